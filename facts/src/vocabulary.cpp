#include "oomlab/facts/vocabulary.hpp"

#include <iterator>

namespace oomlab::facts {
namespace {

constexpr Outcome kOutcomes[] = {Outcome::livelock,     Outcome::stalled_then_resolved, Outcome::rescued,
                                 Outcome::oom_resolved, Outcome::oom_ineffective,       Outcome::no_oom};
// In VerdictClass order.
constexpr const char* kVerdictClassNames[] = {"oom_livelock", "oom_reaper_failed", "silent_hang",      "oom_ineffective",
                                              "hung_task",    "soft_lockup",       "rcu_stall",        "crash",
                                              "warning",      "allocation_stall",  "oom_resolved",     "clean"};
static_assert(std::size(kVerdictClassNames) == static_cast<std::size_t>(VerdictClass::clean) + 1);

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

const char* verdict_class_name(VerdictClass c) { return kVerdictClassNames[static_cast<int>(c)]; }

std::optional<VerdictClass> verdict_class_from_name(std::string_view name) {
  for (int i = 0; i <= static_cast<int>(VerdictClass::clean); ++i)
    if (name == kVerdictClassNames[i]) return static_cast<VerdictClass>(i);
  return std::nullopt;
}

std::string_view verdict_class_for(Outcome o, bool victim_stuck) {
  VerdictClass c = VerdictClass::clean;
  switch (o) {
    case Outcome::livelock: c = victim_stuck ? VerdictClass::oom_livelock : VerdictClass::silent_hang; break;
    case Outcome::stalled_then_resolved:
    case Outcome::rescued: c = VerdictClass::allocation_stall; break;
    case Outcome::oom_resolved: c = VerdictClass::oom_resolved; break;
    case Outcome::oom_ineffective: c = VerdictClass::oom_ineffective; break;
    case Outcome::no_oom: break;
  }
  return verdict_class_name(c);
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
