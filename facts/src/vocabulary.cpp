#include "oomlab/facts/vocabulary.hpp"

namespace oomlab::facts {
namespace {

constexpr Outcome kOutcomes[] = {Outcome::livelock,     Outcome::stalled_then_resolved, Outcome::rescued,
                                 Outcome::oom_resolved, Outcome::oom_ineffective,       Outcome::no_oom};

}  // namespace

std::string_view outcome_name(Outcome o) {
  switch (o) {
    case Outcome::livelock: return "livelock";
    case Outcome::stalled_then_resolved: return "stalled_then_resolved";
    case Outcome::rescued: return "rescued";
    case Outcome::oom_resolved: return "oom_resolved";
    case Outcome::oom_ineffective: return "oom_ineffective";
    case Outcome::no_oom: break;
  }
  return "no_oom";
}

std::optional<Outcome> outcome_from_name(std::string_view name) {
  for (Outcome o : kOutcomes)
    if (outcome_name(o) == name) return o;
  return std::nullopt;
}

std::string_view verdict_class_for(Outcome o, bool victim_stuck) {
  switch (o) {
    case Outcome::livelock: return victim_stuck ? "oom_livelock" : "silent_hang";
    case Outcome::stalled_then_resolved:
    case Outcome::rescued: return "allocation_stall";
    case Outcome::oom_resolved: return "oom_resolved";
    case Outcome::oom_ineffective: return "oom_ineffective";
    case Outcome::no_oom: break;
  }
  return "clean";
}

int exit_code_for(Outcome o) {
  switch (o) {
    case Outcome::livelock: return exit_code::livelock;
    case Outcome::stalled_then_resolved: return exit_code::stalled_then_resolved;
    case Outcome::rescued: return exit_code::rescued;
    case Outcome::oom_resolved: return exit_code::oom_resolved;
    case Outcome::oom_ineffective: return exit_code::oom_ineffective;
    case Outcome::no_oom: break;
  }
  return exit_code::no_oom;
}

bool is_kill_reason(std::string_view reason) {
  for (const char* r : kKillReasons)
    if (reason == r) return true;
  return false;
}

const char* killer_name(Killer k) { return k == Killer::watchdog ? "oomlab-watchdog" : "the kernel"; }

}  // namespace oomlab::facts
