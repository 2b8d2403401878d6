// Stalls from MemAlloc reports (and, in dump_stall.cpp, from hung-task
// reports and sysrq dumps): the episodes of facts' one stall model
// (progress_evidence.cpp turns the log into its samples). silent_hang: no
// progress for longer than the threshold while the OOM killer never acted
// (no victim kept it stalled); allocation_stall: shorter, or ended.
#include <algorithm>
#include <cstdio>

#include "progress_evidence.hpp"
#include "state.hpp"
#include "titles.hpp"
#include "verdict_parts.hpp"

namespace oomlab::analyzer {

namespace {

std::string seconds(std::int64_t ms) {
  char buf[32];
  std::snprintf(buf, sizeof buf, ms < 10000 ? "%.1f s" : "%.0f s", static_cast<double>(ms) / 1000);
  return buf;
}

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
    TaskRole r{t->task.pid, t->task.comm, "stalled", t->state.empty() ? '?' : t->state[0],
               t->kind.empty() ? "allocator" : t->kind, ""};
    if (const Task* dumped = const_cast<State&>(st).task_by_pid(t->task.pid); dumped && dumped->at.line >= from) {
      r.state = dumped->state;
      r.where = first_meaningful(dumped->frames);
      r.wait = "";
    }
    f.tasks.push_back(std::move(r));
  }
}

}  // namespace

// The episode's own facts, in the same keys for every source of a stall
// finding (MemAlloc reports, task dumps): FORMATS.md "Stall verdicts".
void ender_details(const std::string& ended_by, const facts::KillEvent* ender, Finding& f) {
  f.details.emplace_back("ended_by", ended_by);
  if (!ender) return;
  f.details.emplace_back("ended_by_pid", static_cast<std::int64_t>(ender->pid));
  f.details.emplace_back("ended_by_comm", ender->comm);
  f.details.emplace_back("ended_by_ts", static_cast<double>(ender->t_ms) / 1000.0);
  if (!ender->reason.empty()) f.details.emplace_back("ended_by_reason", ender->reason);
}

void episode_details(const facts::StallEpisode& e, Finding& f) {
  const std::int64_t length = e.length_ms();
  f.details.emplace_back("start_ts", static_cast<double>(e.start_ms) / 1000.0);
  f.details.emplace_back("end_ts", static_cast<double>(e.end_ms) / 1000.0);
  f.details.emplace_back("duration_s", static_cast<double>(length) / 1000.0);
  f.details.emplace_back("cause", std::string(facts::stall_cause_name(e.cause)));
  if (e.cause == facts::StallCause::blocked_wait) f.details.emplace_back("wait", std::string(facts::wait_kind_name(e.wait)));
  f.details.emplace_back("max_blocked", static_cast<std::int64_t>(e.max_blocked));
}

namespace {

// One episode of facts' stall model as a finding: its start, length, cause
// and what ended it are the numbers the runner's outcome gives for the same
// run (docs/FORMATS.md "Stall verdicts").
Finding to_finding(const State& st, const LogProgress& lp, const facts::StallEpisode& e, std::string_view source) {
  const facts::StallRules rules = log_stall_rules();
  std::vector<const MemAllocSample*> reports;   // the reports inside the episode
  for (std::size_t i = 0; i < lp.samples.size(); ++i)
    if (lp.reports[i] && lp.samples[i].t_ms >= e.start_ms && lp.samples[i].t_ms <= e.end_ms) reports.push_back(lp.reports[i]);
  const MemAllocSample& first = *reports.front();
  const MemAllocSample& last = *reports.back();
  int max_stalling = 0;
  for (auto* r : reports) max_stalling = std::max(max_stalling, r->stalling_here());
  // The kill that ended it: within one report period of its last stalled
  // sample (at least facts' default slack).
  const std::int64_t slack = std::max<std::int64_t>(500, lp.period_ms);
  std::optional<facts::KillEvent> ender = facts::kill_that_ended(e, lp.kills, slack);
  std::optional<Where> ender_at;
  if (ender)
    for (std::size_t i = 0; i < lp.kills.size(); ++i)
      if (lp.kills[i].t_ms == ender->t_ms && lp.kills[i].pid == ender->pid && lp.kills[i].by == ender->by) ender_at = lp.kill_at[i];
  // Ongoing at the last report of a source whose lines the log lost, while
  // the log went on: whether it ended is not in the log.
  const bool unknown_end = e.ongoing && lp.lost && lp.reports_stopped;
  const std::string ended_by = ender         ? (ender->by == facts::Killer::watchdog ? "watchdog_kill" : "oom_kill")
                               : unknown_end ? "unknown"
                               : e.ongoing   ? "end_of_log"
                                             : "recovered";
  const std::int64_t length = e.length_ms();
  Finding f;
  f.first = Where{first.at.line, static_cast<double>(e.start_ms) / 1000.0};
  f.last = ender_at ? *ender_at : last.at;
  // Silent: no progress for the threshold while the kernel's OOM killer did
  // not act (no OOM kill within it, no victim keeping it stalled).
  const auto threshold_ms = static_cast<std::int64_t>(st.opt.stall_threshold_s * 1000);
  bool killed_early = false;   // the kernel's OOM killer acted before the threshold passed
  for (const facts::KillEvent& k : lp.kills)
    killed_early = killed_early || (k.by == facts::Killer::kernel && k.t_ms >= e.start_ms && k.t_ms < e.start_ms + threshold_ms);
  const bool silent = length >= threshold_ms && e.cause != facts::StallCause::victim_not_exiting && !killed_early;
  f.klass = silent ? VerdictClass::silent_hang : VerdictClass::allocation_stall;
  for (auto* r : reports)
    if (f.evidence.size() < st.opt.limits.evidence) f.evidence.push_back(r->at.line);
  if (ender_at && f.evidence.size() < st.opt.limits.evidence) f.evidence.push_back(ender_at->line);
  std::string end_text = "until the log ends";
  if (ender)
    end_text = std::string("ended by ") + facts::killer_name(ender->by) +
               (ender->by == facts::Killer::watchdog ? "'s kill of " : "'s OOM kill of ") + ender->comm + "(" +
               std::to_string(ender->pid) + ")";
  else if (unknown_end)
    end_text = "end unknown: the log lost lines (printk ratelimit, snipped)";
  else if (!e.ongoing)
    end_text = "then progressed";
  const std::string cause = facts::describe_cause(e, rules);
  f.title = std::string(silent ? "silent hang" : "allocation stall") + ": no progress for " + seconds(length) + " (" + cause +
            "), " + end_text;
  stalled_tasks(st, first.at.line, f.last.line, source, f);
  f.details.emplace_back("source", std::string(source));
  f.details.emplace_back("stalling_first", static_cast<std::int64_t>(first.stalling_here()));
  f.details.emplace_back("stalling_max", static_cast<std::int64_t>(max_stalling));
  f.details.emplace_back("samples", static_cast<std::int64_t>(reports.size()));
  episode_details(e, f);
  f.details.emplace_back("description", cause);
  f.details.emplace_back("report_period_ms", lp.period_ms);
  ender_details(ended_by, ender ? &*ender : nullptr, f);
  for (const Where& w : st.sysrq_oom)
    if (w.line > first.at.line && w.line <= f.last.line && w.ts) f.details.emplace_back("sysrq_oom_ts", *w.ts);
  return f;
}

// Reports without timestamps: the model cannot measure them, so the
// finding says stalls were reported and nothing about their length.
void untimed_finding(const State& st, std::string_view source, std::vector<Finding>& out) {
  const MemAllocSample* first = nullptr;
  const MemAllocSample* last = nullptr;
  int max_stalling = 0;
  for (const MemAllocSample& s : st.report.memalloc.series) {
    if (s.source != source || s.at.ts || s.stalling_here() == 0) continue;
    if (!first) first = &s;
    last = &s;
    max_stalling = std::max(max_stalling, s.stalling_here());
  }
  if (!first) return;
  Finding f;
  f.klass = VerdictClass::allocation_stall;
  f.first = first->at;
  f.last = last->at;
  f.title = "allocation stall: up to " + std::to_string(max_stalling) +
            " task(s) stalling (the log has no timestamps: length unknown)";
  for (const MemAllocSample& s : st.report.memalloc.series)
    if (s.source == source && !s.at.ts && f.evidence.size() < st.opt.limits.evidence) f.evidence.push_back(s.at.line);
  stalled_tasks(st, first->at.line, last->at.line, source, f);
  f.details.emplace_back("source", std::string(source));
  f.details.emplace_back("stalling_max", static_cast<std::int64_t>(max_stalling));
  out.push_back(std::move(f));
}

// `covered`: the episodes' spans, which task dumps need not tell again.
void series_findings(const State& st, std::string_view source, std::vector<Finding>& out,
                     std::vector<std::pair<std::int64_t, std::int64_t>>& covered) {
  untimed_finding(st, source, out);
  const LogProgress lp = log_progress(st, source);
  if (lp.samples.empty()) return;
  for (const facts::StallEpisode& e : facts::find_stall_episodes(lp.samples, log_stall_rules())) {
    bool has_report = false;
    for (std::size_t i = 0; i < lp.samples.size(); ++i)
      has_report = has_report || (lp.reports[i] && lp.samples[i].t_ms >= e.start_ms && lp.samples[i].t_ms <= e.end_ms);
    if (has_report) {
      out.push_back(to_finding(st, lp, e, source));
      covered.emplace_back(e.start_ms, e.end_ms);
    }
  }
}

}  // namespace

namespace {
// warn_alloc names its task by comm only; the pid comes from the dump_stack()
// "CPU: N PID: N Comm:" line after it (failures.cpp), which a cut or
// ratelimited log can lack. Such a report is the task of the same comm whose
// pid another report gave, when exactly one pid has that comm; else 0 (unknown).
int known_stall_pid(const std::vector<AllocStall>& stalls, const std::string& comm) {
  int pid = 0;
  for (const AllocStall& a : stalls) {
    if (a.task.pid == 0 || a.task.comm != comm || a.task.pid == pid) continue;
    if (pid != 0) return 0;   // two tasks of that name: cannot tell which
    pid = a.task.pid;
  }
  return pid;
}
}  // namespace

void stall_findings(State& st, std::vector<Finding>& out) {
  std::vector<std::pair<std::int64_t, std::int64_t>> covered;
  series_findings(st, "kernel", out, covered);
  series_findings(st, "oomlab-watchdog", out, covered);
  // Hung-task reports and sysrq dumps (dump_stall.cpp): the evidence of
  // logs without MemAlloc lines, where those did not tell the stall.
  dump_stall_findings(st, covered, out);
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
    // An allocation stalled for the threshold with no OOM kill in that time
    // is a silent hang (DESIGN.md), whoever reported it: warn_alloc's own
    // "stalls for Nms" counts from the allocation's start.
    const auto threshold_ms = static_cast<std::uint64_t>(st.opt.stall_threshold_s * 1000);
    const AllocStall* silent = nullptr;   // the longest stall no OOM kill interrupted
    for (const AllocStall& a : stalls) {
      if (a.ms < threshold_ms || (silent && silent->ms >= a.ms)) continue;
      bool killed = false;
      for (const OomEvent& e : st.report.oom_events) {
        if (!e.killed) continue;
        if (!e.killed->ts || !a.at.ts) { killed = true; break; }   // no clock: cannot tell, keep the milder class
        const double from = *a.at.ts - static_cast<double>(a.ms) / 1000.0;
        if (*e.killed->ts >= from && *e.killed->ts <= *a.at.ts) { killed = true; break; }
      }
      if (!killed) silent = &a;
    }
    if (silent) {
      f.klass = VerdictClass::silent_hang;
      const int pid = silent->task.pid ? silent->task.pid : known_stall_pid(stalls, silent->task.comm);
      f.title = "silent hang: " + silent->task.comm + (pid ? "(" + std::to_string(pid) + ")" : std::string()) +
                " stalled in the page allocator for " + std::to_string(silent->ms / 1000) +
                " s with no OOM kill (page allocation stalls for up to " + std::to_string(max_ms) + " ms)";
    }
    for (const AllocStall& a : stalls) {
      const int pid = a.task.pid ? a.task.pid : known_stall_pid(stalls, a.task.comm);
      const bool listed = std::any_of(f.tasks.begin(), f.tasks.end(), [&](const TaskRole& t) {
        return t.pid == pid && t.comm == a.task.comm;
      });
      if (!listed && f.tasks.size() < 16) f.tasks.push_back({pid, a.task.comm, "stalled", '?', "allocator", ""});
    }
    f.details.emplace_back("reports", static_cast<std::int64_t>(stalls.size() + st.report.memalloc.alloc_stalls_dropped));
    f.details.emplace_back("max_ms", static_cast<std::int64_t>(max_ms));
    out.push_back(std::move(f));
  }
}

}  // namespace oomlab::analyzer
