#include "oomlab/repro/outcome.hpp"

#include <algorithm>
#include <cstdio>

#include "oomlab/common/units.hpp"

namespace oomlab::repro {

double psi_window_share(const std::vector<Sample>& samples, std::size_t i) {
  auto point_at = [&](std::size_t k) -> std::optional<facts::PsiPoint> {
    if (!samples[k].psi) return std::nullopt;
    return facts::psi_point(samples[k].t_ms, *samples[k].psi);
  };
  return facts::psi_series_share(i, point_at, facts::kStallPsiWindow).some;
}

facts::StallRules stall_rules(double psi_share) {
  facts::StallRules r;
  r.psi_share = psi_share;
  r.gap_ms = 500;  // a sample or two of relief in a long thrash is one episode
  return r;
}

facts::ProgressSample progress_sample(const std::vector<Sample>& samples, std::size_t i) {
  const Sample& s = samples[i];
  facts::ProgressSample p;
  p.t_ms = s.t_ms;
  p.psi_share = psi_window_share(samples, i);
  for (int k = 0; k < 6; ++k) p.blocked[k] = s.tasks.blocked[k];
  p.victim_alive = s.victim_alive;
  p.victim_killed_ms = s.victim_killed_ms;
  // No PSI: D-state tasks in a group pressed against its limit.
  if (!s.psi && s.limit_bytes && i > 0 && s.tasks.disk > 0) {
    const Sample& previous = samples[i - 1];
    const bool near_limit = s.usage_bytes * 10 >= *s.limit_bytes * 9;
    const bool hitting_limit = s.events.max > previous.events.max || s.events.under_oom;
    p.limit_pressed = near_limit && hitting_limit;
  }
  return p;
}

bool sample_stalled(const std::vector<Sample>& samples, std::size_t i, double psi_share) {
  facts::ProgressModel m(stall_rules(psi_share));
  facts::StallCause cause = facts::StallCause::none;
  for (std::size_t j = 0; j <= i && j < samples.size(); ++j) cause = m.fold(progress_sample(samples, j));
  return cause != facts::StallCause::none;
}

std::vector<Stall> find_stalls(const std::vector<Sample>& samples, double psi_share, const std::vector<std::int64_t>& kill_ms) {
  facts::ProgressModel m(stall_rules(psi_share));
  for (std::size_t i = 0; i < samples.size(); ++i) {
    facts::ProgressSample p = progress_sample(samples, i);
    for (std::int64_t k : kill_ms)
      if (k <= p.t_ms) p.last_kill_ms = std::max(p.last_kill_ms, k);
    m.fold(p);
  }
  return m.episodes();
}

std::uint64_t freed_threshold_bytes(const OomKill& k, std::optional<std::uint64_t> limit_bytes) {
  std::uint64_t drop = k.anon_rss_kb ? k.anon_rss_kb * 1024 / 2 : limit_bytes.value_or(0) / 10;
  return drop ? drop : 1u << 20;
}

void measure_kill_latency(const std::vector<Sample>& samples, std::vector<OomKill>& kills) {
  for (OomKill& k : kills) {
    k.freed_ms.reset();
    if (k.freed_at_ms) {
      k.freed_ms = std::max<std::int64_t>(0, *k.freed_at_ms - k.t_ms);
      continue;
    }
    // Usage just before the kill: the last sample at or before it.
    const Sample* before = nullptr;
    for (const Sample& s : samples)
      if (s.t_ms <= k.t_ms) before = &s;
    if (!before) continue;
    const std::uint64_t drop = freed_threshold_bytes(k, before->limit_bytes);
    // A group OOM happens at the limit, whatever the last sample saw.
    const std::uint64_t base = std::max(before->usage_bytes, before->limit_bytes.value_or(0));
    for (const Sample& s : samples) {
      if (s.t_ms <= k.t_ms) continue;
      if (s.usage_bytes + drop <= base) {
        k.freed_ms = s.t_ms - k.t_ms;
        break;
      }
    }
  }
}

namespace {

// The last sample at or before t (null: none).
const Sample* sample_before(const std::vector<Sample>& samples, std::int64_t t) {
  const Sample* before = nullptr;
  for (const Sample& s : samples)
    if (s.t_ms <= t) before = &s;
  return before;
}

}  // namespace

std::uint64_t relief_threshold_bytes(const OomKill& k, std::optional<std::uint64_t> limit_bytes) {
  if (limit_bytes && *limit_bytes) return static_cast<std::uint64_t>(static_cast<double>(*limit_bytes) * kReliefShare);
  return std::max<std::uint64_t>(k.anon_rss_kb * 1024 / 2, 1u << 20);
}

void measure_kill_relief(const std::vector<Sample>& samples, std::vector<OomKill>& kills) {
  for (OomKill& k : kills) {
    k.relief_bytes = 0;
    k.relieved = false;
    const Sample* before = sample_before(samples, k.t_ms);
    std::optional<std::uint64_t> limit = before ? before->limit_bytes : std::nullopt;
    if (!limit && !samples.empty()) limit = samples.front().limit_bytes;
    const std::uint64_t base = std::max(before ? before->usage_bytes : 0, limit.value_or(0));
    std::optional<std::uint64_t> low = k.low_usage_bytes;
    for (const Sample& s : samples)
      if (s.t_ms > k.t_ms && s.t_ms <= k.t_ms + kReliefWindowMs) low = std::min(low.value_or(s.usage_bytes), s.usage_bytes);
    if (!low || *low >= base) continue;
    k.relief_bytes = base - *low;
    k.relieved = k.relief_bytes >= relief_threshold_bytes(k, limit);
  }
}

namespace {

std::string at(std::int64_t ms) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "+%.1fs", static_cast<double>(ms) / 1000);
  return buf;
}

std::string describe_kill(const facts::KillEvent& k) {
  std::string s = std::string(facts::killer_name(k.by)) + (k.by == facts::Killer::watchdog ? "'s kill of " : "'s OOM kill of ") +
                  k.comm + "(" + std::to_string(k.pid) + ") at " + at(k.t_ms);
  if (!k.reason.empty()) s += " (reason=" + k.reason + ")";
  return s;
}

std::string stall_text(const Stall& s, const std::string& cause) {
  return "no progress from " + at(s.start_ms) + " for " + format_duration(std::chrono::milliseconds(s.length_ms())) +
         " (" + cause + ")";
}

}  // namespace

Outcome classify(const std::vector<Sample>& samples, std::vector<OomKill>& kills,
                 std::chrono::milliseconds stall_threshold, double psi_share,
                 const std::vector<facts::KillEvent>& watchdog_kills) {
  Outcome o;
  measure_kill_latency(samples, kills);
  measure_kill_relief(samples, kills);
  bool any_relieved = false;
  const OomKill* most = nullptr;  // the kill with the largest relief
  for (const OomKill& k : kills) {
    if (k.relieved && k.freed_ms && !o.kill_to_freed_ms) o.kill_to_freed_ms = k.freed_ms;
    any_relieved = any_relieved || k.relieved;
    if (!most || k.relief_bytes > most->relief_bytes) most = &k;
  }
  const facts::StallRules rules = stall_rules(psi_share);
  std::vector<std::int64_t> kill_ms;
  for (const OomKill& k : kills) kill_ms.push_back(k.t_ms);
  for (const facts::KillEvent& k : watchdog_kills) kill_ms.push_back(k.t_ms);
  o.stalls = find_stalls(samples, psi_share, kill_ms);
  const std::int64_t threshold = stall_threshold.count();
  const Stall* longest = nullptr;
  for (const Stall& s : o.stalls)
    if (!longest || s.length_ms() > longest->length_ms()) longest = &s;
  // The longest stall a watchdog kill ended: the watchdog rescued the run.
  const Stall* rescued = nullptr;
  std::optional<facts::KillEvent> rescuer;
  for (const Stall& s : o.stalls)
    if (auto k = facts::kill_that_ended(s, watchdog_kills); k && (!rescued || s.length_ms() > rescued->length_ms())) {
      rescued = &s;
      rescuer = k;
    }
  const bool long_ongoing = !o.stalls.empty() && o.stalls.back().ongoing && o.stalls.back().length_ms() >= threshold;
  std::string kill_text = std::to_string(kills.size()) + " OOM kill" + (kills.size() == 1 ? "" : "s");
  if (!watchdog_kills.empty())
    kill_text += ", " + std::to_string(watchdog_kills.size()) + " oomlab-watchdog kill" + (watchdog_kills.size() == 1 ? "" : "s");

  if (long_ongoing) {
    o.cls = OutcomeClass::livelock;
    o.stall = o.stalls.back();
    o.stall_cause = facts::describe_cause(*o.stall, rules);
    o.reason = stall_text(*o.stall, o.stall_cause) + " until the end of the run (threshold " +
               format_duration(stall_threshold) + "); " + kill_text +
               (kills.empty() && watchdog_kills.empty() ? "" : " did not resolve it");
  } else if (rescued) {
    o.cls = OutcomeClass::rescued;
    o.stall = *rescued;
    o.stall_cause = facts::describe_cause(*o.stall, rules);
    o.ended_by = rescuer;
    o.reason = stall_text(*o.stall, o.stall_cause) + ", ended by " + describe_kill(*rescuer) + "; " + kill_text;
  } else if (longest && longest->length_ms() >= threshold) {
    o.cls = OutcomeClass::stalled_then_resolved;
    o.stall = *longest;
    o.stall_cause = facts::describe_cause(*o.stall, rules);
    std::vector<facts::KillEvent> kernel_kills;
    for (const OomKill& k : kills) kernel_kills.push_back({k.t_ms, k.pid, k.comm, facts::Killer::kernel, ""});
    o.ended_by = facts::kill_that_ended(*longest, kernel_kills);
    o.reason = stall_text(*o.stall, o.stall_cause) + ", then progressed" +
               (o.ended_by ? " after " + describe_kill(*o.ended_by) : std::string(" with no kill")) + "; " + kill_text;
  } else if (any_relieved) {
    o.cls = OutcomeClass::oom_resolved;
    o.reason = kill_text + "; " +
               (o.kill_to_freed_ms ? "memory freed " + std::to_string(*o.kill_to_freed_ms) + " ms after the first that relieved the group"
                                   : std::string("usage fell after a kill"));
  } else if (!kills.empty()) {
    o.cls = OutcomeClass::oom_ineffective;
    const std::uint64_t limit = samples.empty() ? 0 : samples.front().limit_bytes.value_or(0);
    std::string best = format_size(most->relief_bytes);
    if (limit)
      best += " (" + std::to_string(static_cast<int>(100.0 * static_cast<double>(most->relief_bytes) / static_cast<double>(limit))) +
              "% of the limit; " + std::to_string(static_cast<int>(kReliefShare * 100)) + "% needed)";
    o.reason = kill_text + " freed no substantial memory: the largest drop within " +
               format_duration(std::chrono::milliseconds(kReliefWindowMs)) + " of a kill was " + best +
               ", the rest stays charged to the group";
  } else {
    o.cls = OutcomeClass::no_oom;
    o.reason = "no OOM kill and no stall of " + format_duration(stall_threshold) + " or more";
    if (!watchdog_kills.empty()) o.reason += "; " + kill_text + " ended no stall the runner saw";
  }
  return o;
}

}  // namespace oomlab::repro
