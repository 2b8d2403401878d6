#include "progress_evidence.hpp"

#include <algorithm>
#include <cmath>

#include "oomlab/facts/wait_kind.hpp"

namespace oomlab::analyzer {
namespace {

std::int64_t ms_of(double ts) { return static_cast<std::int64_t>(std::llround(ts * 1000.0)); }

std::string field(const WatchdogAction& a, std::string_view key) {
  for (const auto& [k, v] : a.fields)
    if (k == key) return v;
  return {};
}

int total_blocked(const facts::ProgressSample& s) {
  int n = 0;
  for (int b : s.blocked) n += b;
  return n;
}

// The kind a reporter's task line names; the kernel's kmallocwd lists tasks
// stalling in the allocator and names no kind.
facts::WaitKind kind_of(const MemAllocTask& t) {
  const facts::WaitKind k = facts::wait_kind_from_name(t.kind);
  return k == facts::WaitKind::None ? facts::WaitKind::Alloc : k;
}

}  // namespace

facts::StallRules log_stall_rules() { return facts::StallRules{}; }

void log_kills(const State& st, std::vector<facts::KillEvent>& kills, std::vector<Where>& kill_at) {
  for (const OomEvent& e : st.report.oom_events) {
    const Where at = e.invoked ? *e.invoked : e.first;
    if (!at.ts) continue;
    facts::KillEvent k{ms_of(*at.ts), 0, "", facts::Killer::kernel, ""};
    if (e.victim) k.pid = e.victim->pid, k.comm = e.victim->comm;
    else if (e.selected) k.pid = e.selected->pid, k.comm = e.selected->comm;
    kills.push_back(k);
    kill_at.push_back(at);
  }
  for (const WatchdogAction& a : st.report.watchdog_actions) {
    if (a.action != "kill" || !a.at.ts || !field(a, "dry_run").empty()) continue;
    facts::KillEvent k{ms_of(*a.at.ts), std::atoi(field(a, "pid").c_str()), field(a, "comm"), facts::Killer::watchdog,
                       field(a, "reason")};
    kills.push_back(k);
    kill_at.push_back(a.at);
  }
  std::vector<std::size_t> order(kills.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return kills[a].t_ms < kills[b].t_ms; });
  std::vector<facts::KillEvent> k;
  std::vector<Where> w;
  for (std::size_t i : order) k.push_back(kills[i]), w.push_back(kill_at[i]);
  kills = std::move(k);
  kill_at = std::move(w);
}

LogProgress log_progress(const State& st, std::string_view source) {
  LogProgress out;
  log_kills(st, out.kills, out.kill_at);

  std::vector<const MemAllocSample*> reports;
  // Under --cgroup a watchdog report that lists none of the group's tasks
  // was written for other groups: on a machine where only this group ran
  // the watchdog would not have reported, so it counts as no report (a
  // silence), not as a sample saying nothing was blocked - which would cut
  // the group's stall at another group's report and stop its next report's
  // delay= from dating the stall back.
  for (const MemAllocSample& s : st.report.memalloc.series)
    if (s.source == source && s.at.ts && !(s.machine_wide && s.listed == 0 && s.listed_victim == 0)) reports.push_back(&s);
  if (reports.empty()) return out;
  // The report period: the median gap between two reports (several reports
  // of one scan, or a stale one, can come a few ms apart).
  {
    std::vector<std::int64_t> gaps;
    for (std::size_t i = 1; i < reports.size(); ++i)
      if (auto gap = ms_of(*reports[i]->at.ts) - ms_of(*reports[i - 1]->at.ts); gap > 0) gaps.push_back(gap);
    if (!gaps.empty()) {
      std::nth_element(gaps.begin(), gaps.begin() + gaps.size() / 2, gaps.end());
      out.period_ms = gaps[gaps.size() / 2];
    }
  }
  const bool merged = !st.report.input.watchdog_log.empty();
  // "(...snipped...)": lines are missing, a silence there says nothing.
  bool lost = st.report.input.gaps > 0;
  if (source == "oomlab-watchdog" && !merged) {
    lost = lost || st.watchdog_withheld;
    for (const auto& [who, n] : st.report.input.suppressed) lost = lost || who == "oomlab-watchdog";
  }
  // Longer than facts' gap too: a shorter relief would not end an episode.
  const std::int64_t silence = std::max<std::int64_t>(out.period_ms * kSilencePeriods, log_stall_rules().gap_ms + 1);

  const auto& tasks = st.report.memalloc.tasks;
  std::size_t ti = 0;
  facts::WaitKind previous_kind = facts::WaitKind::Alloc;
  std::int64_t victim_since = -1;
  auto push = [&](const facts::ProgressSample& s, const MemAllocSample* r) {
    out.samples.push_back(s);
    out.reports.push_back(r);
  };
  for (std::size_t i = 0; i < reports.size(); ++i) {
    const MemAllocSample& r = *reports[i];
    const std::int64_t t = ms_of(*r.at.ts);
    const std::uint64_t next_line = i + 1 < reports.size() ? reports[i + 1]->at.line : UINT64_MAX;
    facts::ProgressSample s;
    s.t_ms = t;
    std::int64_t earliest = t;  // when the reporter first saw these tasks stalled (delay=)
    int listed = 0;
    while (ti < tasks.size() && tasks[ti].at.line <= r.at.line) ++ti;
    for (; ti < tasks.size() && tasks[ti].at.line < next_line; ++ti) {
      const MemAllocTask& task = tasks[ti];
      if (task.source != source) continue;
      s.add_blocked(kind_of(task));
      ++listed;
      if (task.delay_ms) earliest = std::min<std::int64_t>(earliest, t - static_cast<std::int64_t>(*task.delay_ms));
    }
    int most = -1;
    for (int k = 1; k < 6; ++k)
      if (s.blocked[k] > 0 && (most < 0 || s.blocked[k] > s.blocked[most])) most = k;
    if (most > 0) previous_kind = static_cast<facts::WaitKind>(most);
    // Task lines lost (ratelimit, a cap): the others wait like the listed
    // ones, or like the previous report's. Not under --cgroup: the count is
    // then the watchdog's machine-wide one, and the tasks missing from the
    // list are mostly other groups' (left out on purpose).
    if (!r.machine_wide && r.stalling > listed) s.add_blocked(previous_kind, r.stalling - listed);
    // A reporter lists tasks it judged stalled on memory: without PSI in a
    // log, that is what limit_pressed stands for (page-in waits count).
    s.limit_pressed = total_blocked(s) > 0;
    if (r.victim_here() > 0) {
      const facts::KillEvent* last = nullptr;
      for (const facts::KillEvent& k : out.kills)
        if (k.t_ms <= t) last = &k;
      if (victim_since < 0) victim_since = t;
      s.victim_alive = true;
      s.victim_killed_ms = last ? last->t_ms : victim_since;
    } else {
      victim_since = -1;
    }
    // Silence since the previous report: progress in between.
    if (i > 0 && !lost && out.period_ms > 0 && t - ms_of(*reports[i - 1]->at.ts) > silence) {
      facts::ProgressSample p;
      p.t_ms = ms_of(*reports[i - 1]->at.ts) + out.period_ms;
      push(p, nullptr);
    }
    // The first report of a stall dates it back by its delays: the reporter
    // saw the tasks blocked since then (the runner's samples do the same).
    const bool fresh = out.samples.empty() || total_blocked(out.samples.back()) == 0;
    if (fresh && earliest < t && total_blocked(s) > 0) {
      facts::ProgressSample back = s;
      back.t_ms = out.samples.empty() ? earliest : std::max(earliest, out.samples.back().t_ms + 1);
      back.victim_alive = false;
      if (back.t_ms < t) push(back, nullptr);
    }
    push(s, &r);
  }
  // The reports stopped while the log went on: the stall ended.
  const std::int64_t last = ms_of(*reports.back()->at.ts);
  out.lost = lost;
  out.reports_stopped = st.last_ts && ms_of(*st.last_ts) - last > silence && out.period_ms > 0;
  if (!lost && out.reports_stopped) {
    facts::ProgressSample p;
    p.t_ms = last + out.period_ms;  // the report that did not come
    push(p, nullptr);
    p.t_ms = last + silence;        // and the silence that followed
    push(p, nullptr);
  }
  return out;
}

}  // namespace oomlab::analyzer
