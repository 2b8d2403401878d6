#include "run_metrics.hpp"

#include <algorithm>
#include <ctime>

#include "oomlab/facts/psi.hpp"
#include "oomlab/facts/stall.hpp"

namespace oomlab::peers {

std::vector<std::string> right_victims(std::string_view s) {
  if (s == "mmap-sem") return {"zero-hog", "mmap-victim"};  // the hog, or the kernel's own choice
  if (s == "mmap-lock-hold") return {"lock-holder", "anon-ballast", "cache-churn"};
  if (s == "page-cache-thrash") return {"anon-ballast", "cache-reader"};
  if (s == "memory-high") return {"high-alloc", "memory-high"};
  if (s == "shmem-fill") return {"shmem-fill"};  // the supervisor holds the memfd
  if (s == "pipe-fill") return {"pipe-holder"};
  if (s == "dying-competition") return {"alloc-racer", "dying-compet"};
  return {};
}

std::optional<std::int64_t> parse_iso8601_ms(std::string_view text) {
  std::tm tm{};
  int ms = 0;
  std::string s(text);
  if (std::sscanf(s.c_str(), "%d-%d-%dT%d:%d:%d.%3dZ", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour, &tm.tm_min,
                  &tm.tm_sec, &ms) != 7)
    return std::nullopt;
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  return static_cast<std::int64_t>(timegm(&tm)) * 1000 + ms;
}

namespace {

// The sample's PSI totals as the runner wrote them (report.json timeline
// psi.some_total_us/full_total_us); nullopt when the run had no PSI.
std::optional<facts::PsiPoint> psi_point(const formats::ReportSample& sample) {
  if (!sample.psi) return std::nullopt;
  facts::PsiPoint pt;
  pt.t_ms = sample.t_ms;
  pt.some_us = sample.psi->some_total_us;
  pt.full_us = sample.psi->full_total_us, pt.has_full = true;
  return pt;
}

}  // namespace

std::vector<bool> stalled_samples(const std::vector<formats::ReportSample>& timeline) {
  // The shared stall model (facts/stall.hpp), as oomlab-repro's outcome:
  // memory PSI, tasks blocked in the same memory wait for a second (the
  // cmdline readers of mmap-lock-hold, which show no PSI), a victim that
  // does not exit. Without PSI: D-state tasks in two consecutive samples
  // (mmap/munmap loops enter D for microseconds all the time, which is not
  // a stall).
  facts::StallRules rules;
  rules.psi_share = kStallShare;
  facts::ProgressModel model(rules);
  std::vector<bool> out(timeline.size(), false);
  for (std::size_t i = 0; i < timeline.size(); ++i) {
    const formats::ReportSample& s = timeline[i];
    facts::ProgressSample p;
    p.t_ms = s.t_ms;
    // The share over the trailing second from the PSI totals, as the
    // runner's outcome computes it.
    p.psi_share = facts::psi_series_share(i, [&](std::size_t k) { return psi_point(timeline[k]); },
                                          facts::kStallPsiWindow).some;
    for (const auto& [name, count] : s.tasks.blocked) p.add_blocked(facts::wait_kind_from_name(name), count);
    p.victim_alive = s.victim_alive;
    p.victim_killed_ms = s.victim_killed_ms.value_or(-1);
    p.limit_pressed = p.psi_share < 0 && i > 0 && s.tasks.disk > 0 && timeline[i - 1].tasks.disk > 0;
    out[i] = model.fold(p) != facts::StallCause::none;
  }
  return out;
}

namespace {

// Kill to "memory freed" from the timeline: the first sample after the kill
// whose usage is at least 10% of the limit (else of the usage) below the
// usage at the kill. nullopt: never within the run.
std::optional<std::int64_t> freed_from_timeline(const std::vector<formats::ReportSample>& timeline, std::int64_t kill_ms) {
  std::optional<std::uint64_t> at_kill;
  std::uint64_t drop = 0;
  for (const auto& s : timeline) {
    if (s.t_ms <= kill_ms) {
      at_kill = s.usage_bytes;
      drop = s.limit_bytes.value_or(s.usage_bytes) / 10;
      continue;
    }
    if (!at_kill) return std::nullopt;
    if (s.usage_bytes + drop <= *at_kill) return s.t_ms - kill_ms;
  }
  return std::nullopt;
}

}  // namespace

RunResult measure_run(const formats::Report& report, GuardKind guard, const std::vector<GuardKill>& guard_kills,
                      std::optional<std::int64_t> guard_started_realtime_ms, const GuardCost& cost) {
  RunResult r;
  r.scenario = report.scenario;
  r.guard = std::string(guard_name(guard));
  r.cost = cost;
  r.guard_blocked = cost.longest_d_ms >= kBlockedMs;
  r.outcome = report.outcome.cls;
  const std::vector<formats::ReportSample>& timeline = report.timeline;
  if (!timeline.empty()) r.duration_ms = timeline.back().t_ms;
  auto start = parse_iso8601_ms(report.started_at);
  if (start && guard_started_realtime_ms) r.guard_ready_ms = *guard_started_realtime_ms - *start;

  std::vector<bool> stalled = stalled_samples(timeline);
  for (std::size_t i = 0; i < stalled.size(); ++i) {
    if (!stalled[i]) continue;
    std::int64_t t = timeline[i].t_ms;
    if (!r.first_stall_ms) r.first_stall_ms = t;
    if (i > 0) r.no_progress_ms += t - timeline[i - 1].t_ms;
  }
  r.stalled_at_end = !stalled.empty() && stalled.back();

  const auto right = right_victims(r.scenario);
  auto is_right = [&](const std::string& comm) { return std::find(right.begin(), right.end(), comm) != right.end(); };
  for (const formats::ReportOomKill& k : report.oom_kills) {
    KillEvent e;
    e.t_ms = k.t_ms;
    e.by = "kernel";
    e.pid = static_cast<int>(k.pid);
    e.comm = k.comm;
    e.right = is_right(e.comm);
    e.freed_ms = k.freed_ms;
    r.kills.push_back(e);
  }
  for (const GuardKill& g : guard_kills) {
    if (!start) break;
    KillEvent e;
    e.t_ms = g.realtime_ms - *start;
    e.by = r.guard;
    e.pid = g.pid;
    e.comm = g.whole_group ? "(whole group)" : g.comm;
    e.right = g.whole_group || is_right(e.comm);
    e.freed_ms = freed_from_timeline(timeline, e.t_ms);
    r.kills.push_back(e);
  }
  std::stable_sort(r.kills.begin(), r.kills.end(), [](const KillEvent& a, const KillEvent& b) { return a.t_ms < b.t_ms; });
  if (!r.kills.empty()) {
    const KillEvent& first = r.kills.front();
    r.first_kill_ms = first.t_ms;
    r.kill_to_freed_ms = first.freed_ms;
    r.right_victim = first.right;
    // A kill before any stall was seen has no reaction time (it is counted
    // in the kill and victim columns only).
    if (r.first_stall_ms && *r.first_stall_ms <= first.t_ms) r.stall_to_kill_ms = first.t_ms - *r.first_stall_ms;
  }
  r.hit = r.right_victim && !r.stalled_at_end;
  return r;
}

}  // namespace oomlab::peers
