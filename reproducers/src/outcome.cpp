#include "oomlab/repro/outcome.hpp"

#include <algorithm>

#include "oomlab/common/units.hpp"

namespace oomlab::repro {

std::string_view outcome_name(OutcomeClass c) {
  switch (c) {
    case OutcomeClass::livelock: return "livelock";
    case OutcomeClass::stalled_then_resolved: return "stalled_then_resolved";
    case OutcomeClass::oom_resolved: return "oom_resolved";
    case OutcomeClass::oom_ineffective: return "oom_ineffective";
    case OutcomeClass::no_oom: break;
  }
  return "no_oom";
}

int exit_code_for(OutcomeClass c) {
  switch (c) {
    case OutcomeClass::livelock: return exit_code::livelock;
    case OutcomeClass::stalled_then_resolved: return exit_code::stalled_then_resolved;
    case OutcomeClass::oom_resolved: return exit_code::oom_resolved;
    case OutcomeClass::oom_ineffective: return exit_code::oom_ineffective;
    case OutcomeClass::no_oom: break;
  }
  return exit_code::no_oom;
}

double psi_window_share(const std::vector<Sample>& samples, std::size_t i) {
  const Sample& s = samples[i];
  if (!s.psi) return -1;
  std::size_t j = i;
  while (j > 0 && s.t_ms - samples[j].t_ms < kStallWindowMs) --j;
  if (j == i || !samples[j].psi || s.t_ms <= samples[j].t_ms) return -1;
  const double stalled_us = static_cast<double>(s.psi->some_total_us - samples[j].psi->some_total_us);
  return std::min(1.0, stalled_us / (static_cast<double>(s.t_ms - samples[j].t_ms) * 1000));
}

bool sample_stalled(const std::vector<Sample>& samples, std::size_t i, double psi_share) {
  const Sample& s = samples[i];
  if (s.psi) {
    double share = psi_window_share(samples, i);
    return share >= 0 && share >= psi_share;
  }
  // No PSI: D-state tasks in a group pressed against its limit.
  if (!s.limit_bytes || i == 0 || s.tasks.disk == 0) return false;
  const Sample& previous = samples[i - 1];
  bool near_limit = s.usage_bytes * 10 >= *s.limit_bytes * 9;
  bool hitting_limit = s.events.max > previous.events.max || s.events.under_oom;
  return near_limit && hitting_limit;
}

std::vector<Stall> find_stalls(const std::vector<Sample>& samples, double psi_share) {
  std::vector<Stall> stalls;
  // Tolerate short gaps (a sample or two of relief in a long thrash) so one
  // episode is not reported as many.
  // Consecutive stalled samples always belong together, however late the
  // second one was taken (the runner itself can be starved under pressure).
  constexpr std::int64_t kGapMs = 500;
  bool previous_stalled = false;
  for (std::size_t i = 0; i < samples.size(); ++i) {
    const bool stalled = sample_stalled(samples, i, psi_share);
    const bool continues = previous_stalled;
    previous_stalled = stalled;
    if (!stalled) continue;
    const std::int64_t t = samples[i].t_ms;
    if (!stalls.empty() && (continues || t - stalls.back().end_ms <= kGapMs)) {
      stalls.back().end_ms = t;
    } else {
      // The episode started somewhere in the interval before this sample.
      stalls.push_back({i ? samples[i - 1].t_ms : t, t, false});
    }
  }
  if (!stalls.empty() && !samples.empty() && samples.back().t_ms - stalls.back().end_ms <= kGapMs)
    stalls.back().ongoing = true;
  return stalls;
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

Outcome classify(const std::vector<Sample>& samples, std::vector<OomKill>& kills,
                 std::chrono::milliseconds stall_threshold, double psi_share) {
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
  o.stalls = find_stalls(samples, psi_share);
  const std::int64_t threshold = stall_threshold.count();
  const Stall* longest = nullptr;
  for (const Stall& s : o.stalls)
    if (!longest || s.length_ms() > longest->length_ms()) longest = &s;
  const bool long_ongoing = !o.stalls.empty() && o.stalls.back().ongoing && o.stalls.back().length_ms() >= threshold;
  const std::string kill_text = std::to_string(kills.size()) + " OOM kill" + (kills.size() == 1 ? "" : "s");

  if (long_ongoing) {
    o.cls = OutcomeClass::livelock;
    o.reason = "no progress for " + format_duration(std::chrono::milliseconds(o.stalls.back().length_ms())) +
               " until the end of the run (threshold " + format_duration(stall_threshold) + "); " + kill_text +
               (kills.empty() ? "" : " did not resolve it");
  } else if (longest && longest->length_ms() >= threshold) {
    o.cls = OutcomeClass::stalled_then_resolved;
    o.reason = "stalled for " + format_duration(std::chrono::milliseconds(longest->length_ms())) + " from +" +
               format_duration(std::chrono::milliseconds(longest->start_ms)) + ", then progressed; " + kill_text;
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
  }
  return o;
}

}  // namespace oomlab::repro
