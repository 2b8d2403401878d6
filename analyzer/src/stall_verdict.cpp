// Allocation stalls: silent_hang (tasks stalling in the allocator for longer
// than the threshold with no OOM kill and no dying task: the kernel neither
// makes progress nor gives up) and allocation_stall (stalls that ended).
#include <algorithm>
#include <cstdio>

#include "state.hpp"
#include "titles.hpp"
#include "verdict_parts.hpp"

namespace oomlab::analyzer {

namespace {

// Moments the OOM killer (or oomlab-watchdog) acted: they end a silent hang.
struct Activity {
  Where at;
  const char* what;
};

std::vector<Activity> oom_activity(const State& st, std::string_view source) {
  std::vector<Activity> w;
  for (const OomEvent& e : st.report.oom_events) {
    w.push_back({e.invoked ? *e.invoked : e.first, "oom_kill"});
    if (e.killed) w.push_back({*e.killed, "oom_kill"});
  }
  if (source == "oomlab-watchdog")
    for (const WatchdogAction& a : st.report.watchdog_actions)
      if (a.action == "kill") w.push_back({a.at, "watchdog_kill"});
  std::sort(w.begin(), w.end(), [](const Activity& a, const Activity& b) { return a.at.line < b.at.line; });
  return w;
}

const char* describe(const std::string& ended_by) {
  if (ended_by == "oom_kill") return "ended by an OOM kill";
  if (ended_by == "watchdog_kill") return "ended by an oomlab-watchdog kill";
  if (ended_by == "oom_victim") return "OOM victim present";
  if (ended_by == "recovered") return "recovered";
  return "until the log ends";
}

struct Episode {
  std::vector<const MemAllocSample*> samples;
  std::optional<Where> end;       // what ended it, if anything did
  std::string ended_by = "end_of_log";
};

// The tasks the episode's MemAlloc lines name, longest stall first, with
// where a task dump shows them waiting (kswapd on a filesystem lock...).
void stalled_tasks(const State& st, std::uint64_t from, std::uint64_t to, std::string_view source, Finding& f) {
  constexpr std::size_t kMaxTasks = 16;
  std::vector<const MemAllocTask*> seen;
  for (const MemAllocTask& t : st.report.memalloc.tasks) {
    if (t.at.line < from || t.at.line > to || t.source != source) continue;
    auto it = std::find_if(seen.begin(), seen.end(), [&](const MemAllocTask* o) { return o->task.pid == t.task.pid; });
    if (it == seen.end()) seen.push_back(&t);
    else if (t.delay_ms.value_or(0) >= (*it)->delay_ms.value_or(0)) *it = &t;
  }
  std::stable_sort(seen.begin(), seen.end(), [](const MemAllocTask* a, const MemAllocTask* b) {
    return a->delay_ms.value_or(0) > b->delay_ms.value_or(0);
  });
  for (const MemAllocTask* t : seen) {
    if (f.tasks.size() >= kMaxTasks) break;
    TaskRole r{t->task.pid, t->task.comm, "stalled", t->state.empty() ? '?' : t->state[0], "allocator", ""};
    if (const Task* dumped = const_cast<State&>(st).task_by_pid(t->task.pid); dumped && dumped->at.line >= from) {
      r.state = dumped->state;
      r.where = first_meaningful(dumped->frames);
      r.wait = "";
    }
    f.tasks.push_back(std::move(r));
  }
}

Finding to_finding(const State& st, const Episode& ep) {
  const MemAllocSample& first = *ep.samples.front();
  const MemAllocSample& last = *ep.samples.back();
  int max_stalling = 0;
  for (auto* s : ep.samples) max_stalling = std::max(max_stalling, s->stalling);
  const double span = first.at.ts && last.at.ts ? *last.at.ts - *first.at.ts : 0;
  const Where end = ep.end ? *ep.end : last.at;
  const double duration = first.at.ts && end.ts ? *end.ts - *first.at.ts : span;
  Finding f;
  f.first = first.at;
  f.last = end;
  const bool silent = span >= st.opt.stall_threshold_s;
  f.klass = silent ? VerdictClass::silent_hang : VerdictClass::allocation_stall;
  for (auto* s : ep.samples)
    if (f.evidence.size() < st.opt.limits.evidence) f.evidence.push_back(s->at.line);
  if (ep.end && f.evidence.size() < st.opt.limits.evidence) f.evidence.push_back(ep.end->line);
  char buf[200];
  if (silent)
    std::snprintf(buf, sizeof buf, "silent hang: %d -> %d tasks stalling in memory allocation for %.0f s without an OOM kill%s",
                  first.stalling, max_stalling, duration,
                  ep.ended_by == "watchdog_kill" ? " (until oomlab-watchdog killed)" : "");
  else
    std::snprintf(buf, sizeof buf, "allocation stall: up to %d task(s) stalling for %.0f s, %s", max_stalling, duration,
                  describe(ep.ended_by));
  f.title = buf;
  stalled_tasks(st, first.at.line, end.line, first.source, f);
  f.details.emplace_back("source", first.source);
  f.details.emplace_back("stalling_first", static_cast<std::int64_t>(first.stalling));
  f.details.emplace_back("stalling_max", static_cast<std::int64_t>(max_stalling));
  f.details.emplace_back("samples", static_cast<std::int64_t>(ep.samples.size()));
  f.details.emplace_back("duration_s", duration);
  f.details.emplace_back("stalled_span_s", span);
  f.details.emplace_back("ended_by", ep.ended_by);
  for (const Where& w : st.sysrq_oom)
    if (w.line > first.at.line && w.line <= end.line && w.ts) f.details.emplace_back("sysrq_oom_ts", *w.ts);
  return f;
}

void series_findings(const State& st, std::string_view source, std::vector<Finding>& out) {
  const std::vector<Activity> activity = oom_activity(st, source);
  std::optional<Episode> ep;
  std::uint64_t prev_line = 0;
  auto close = [&](std::optional<Where> end, std::string by) {
    if (!ep) return;
    ep->end = end;
    ep->ended_by = std::move(by);
    out.push_back(to_finding(st, *ep));
    ep.reset();
  };
  for (const MemAllocSample& s : st.report.memalloc.series) {
    if (s.source != source) continue;
    if (ep) {   // OOM activity since the previous sample ends the episode
      auto it = std::find_if(activity.begin(), activity.end(),
                             [&](const Activity& a) { return a.at.line > prev_line && a.at.line < s.at.line; });
      if (it != activity.end()) close(it->at, it->what);
    }
    prev_line = s.at.line;
    const bool stalled = s.stalling > 0;
    // No OOM victim pending: the OOM killer is not acting. (A dying task
    // that is no OOM victim - killed by someone else - changes nothing.)
    const bool quiet = s.victim == 0;
    if (ep && !stalled) close(s.at, "recovered");
    else if (ep && !quiet) close(s.at, "oom_victim");
    else if (ep) ep->samples.push_back(&s);
    else if (stalled && quiet) ep = Episode{{&s}, std::nullopt, "end_of_log"};
  }
  if (ep) {
    auto it = std::find_if(activity.begin(), activity.end(), [&](const Activity& a) { return a.at.line > prev_line; });
    if (it != activity.end()) close(it->at, it->what);
    else close(std::nullopt, "end_of_log");
  }
}

}  // namespace

void stall_findings(State& st, std::vector<Finding>& out) {
  series_findings(st, "kernel", out);
  series_findings(st, "oomlab-watchdog", out);
  const auto& stalls = st.report.memalloc.alloc_stalls;
  if (!stalls.empty()) {   // "page allocation stalls for Nms": one finding for all of them
    Finding f;
    f.klass = VerdictClass::allocation_stall;
    f.first = stalls.front().at;
    f.last = stalls.back().at;
    std::uint64_t max_ms = 0;
    for (const AllocStall& a : stalls) {
      max_ms = std::max(max_ms, a.ms);
      if (f.evidence.size() < st.opt.limits.evidence) f.evidence.push_back(a.at.line);
    }
    f.title = "page allocation stalls for up to " + std::to_string(max_ms) + " ms";
    for (const AllocStall& a : stalls) {
      const bool listed = std::any_of(f.tasks.begin(), f.tasks.end(), [&](const TaskRole& t) {
        return t.pid == a.task.pid && t.comm == a.task.comm;
      });
      if (!listed && f.tasks.size() < 16) f.tasks.push_back({a.task.pid, a.task.comm, "stalled", '?', "allocator", ""});
    }
    f.details.emplace_back("reports", static_cast<std::int64_t>(stalls.size() + st.report.memalloc.alloc_stalls_dropped));
    f.details.emplace_back("max_ms", static_cast<std::int64_t>(max_ms));
    out.push_back(std::move(f));
  }
}

}  // namespace oomlab::analyzer
