// Evidence that an OOM victim is still there after its kill, whatever lines
// came before it (most real logs are excerpts): the victim in a later task
// dump, hung-task report, OOM task table or MemAlloc line, or chosen and
// killed again (the kernel does not choose a task that has exited). And the
// OOM killer choosing the same task again and again without a kill line.
#include <algorithm>
#include <cstdio>
#include <map>

#include "state.hpp"
#include "titles.hpp"
#include "verdict_parts.hpp"

namespace oomlab::analyzer {

namespace {
// The same task chosen this many times with no kill is a victim that never goes.
constexpr int kReselections = 3;

void later(std::optional<Where>& seen, const Where& w, const Where& kill) {
  if (w.line > kill.line && (!seen || w.line > seen->line)) seen = w;
}
}  // namespace

std::optional<Where> seen_alive_after(State& st, const ProcRef& victim, const Where& kill) {
  // The same pid under another name is a later process that reused it.
  auto same = [&](int pid, std::string_view comm) {
    return pid == victim.pid && (comm.empty() || victim.comm.empty() || comm == victim.comm);
  };
  std::optional<Where> seen;
  if (const Task* t = st.task_by_pid(victim.pid); t && same(t->pid, t->comm)) later(seen, t->at, kill);
  for (const RawReport& r : st.reports)
    if (r.klass == VerdictClass::hung_task && same(r.task.pid, r.task.comm)) later(seen, r.first, kill);
  for (const OomEvent& e : st.report.oom_events) {
    if (e.first.line <= kill.line && (!e.killed || e.killed->line <= kill.line)) continue;
    // dump_tasks() lists tasks that still have their mm: a victim that exited is not there.
    for (const TaskTableRow& row : e.table)
      if (same(row.pid, row.name)) later(seen, e.first, kill);
    if (e.victim && same(e.victim->pid, e.victim->comm) && e.killed) later(seen, *e.killed, kill);
    if (e.selected && same(e.selected->pid, e.selected->comm) && !e.victim) later(seen, e.first, kill);
  }
  for (const MemAllocTask& t : st.report.memalloc.tasks)
    if (same(t.task.pid, t.task.comm)) later(seen, t.at, kill);
  return seen;
}

int kills_of(const State& st, int pid) {
  int n = 0;
  for (const OomEvent& e : st.report.oom_events) n += e.victim && e.killed && e.victim->pid == pid;
  return n;
}

void reselected_findings(State& st, std::vector<Finding>& out) {
  std::map<int, std::vector<const OomEvent*>> chosen;   // selected, never followed by a kill line
  for (const OomEvent& e : st.report.oom_events)
    if (e.selected && !e.victim && !e.killed) chosen[e.selected->pid].push_back(&e);
  for (const auto& [pid, evs] : chosen) {
    if (static_cast<int>(evs.size()) < kReselections || kills_of(st, pid) > 0) continue;
    const OomEvent& a = *evs.front();
    const OomEvent& b = *evs.back();
    Finding f;
    f.klass = VerdictClass::oom_livelock;
    f.first = a.first;
    f.last = b.last;
    for (const OomEvent* e : evs)
      if (f.evidence.size() < st.opt.limits.evidence) f.evidence.push_back(e->first.line);
    const ProcRef& v = *a.selected;
    f.tasks.push_back({pid, v.comm, "victim", '?', "", ""});
    const double span = a.first.ts && b.last.ts ? *b.last.ts - *a.first.ts : 0;
    char buf[64] = "";
    if (span > 0) std::snprintf(buf, sizeof buf, " in %.1f s", span);
    f.title = "OOM livelock: the " + std::string(a.memcg_oom ? "memcg " : "") + "OOM killer chose " + v.comm + "(" +
              std::to_string(pid) + ") " + std::to_string(evs.size()) + " times" + buf + " and it never went away";
    f.details.emplace_back("victim_pid", static_cast<std::int64_t>(pid));
    f.details.emplace_back("selections", static_cast<std::int64_t>(evs.size()));
    out.push_back(std::move(f));
  }
}

void dying_victim_findings(State& st, std::vector<Finding>& out) {
  // kmallocwd marks an OOM victim (TIF_MEMDIE) "victim" on its MemAlloc
  // line. Without the kill in the excerpt, a victim still there the
  // threshold after it was first seen - or stalled in an allocation that
  // long - never got out.
  const double thr = st.opt.victim_threshold_s;
  std::map<int, std::pair<const MemAllocTask*, const MemAllocTask*>> seen;   // first, last
  for (const MemAllocTask& t : st.report.memalloc.tasks) {
    if (!t.victim) continue;
    auto [it, fresh] = seen.try_emplace(t.task.pid, &t, &t);
    if (!fresh) it->second.second = &t;
  }
  for (const auto& [pid, fl] : seen) {
    if (kills_of(st, pid) > 0) continue;   // the kill's own verdict covers it
    const MemAllocTask& a = *fl.first;
    const MemAllocTask& b = *fl.second;
    const double span = a.at.ts && b.at.ts ? *b.at.ts - *a.at.ts : 0;
    const double stalled_s = static_cast<double>(b.delay_ms.value_or(0)) / 1000.0;
    if (span < thr && stalled_s < thr) continue;
    Finding f;
    f.klass = VerdictClass::oom_livelock;
    f.first = a.at;
    f.last = b.at;
    f.evidence = {a.at.line};
    if (b.at.line != a.at.line) f.evidence.push_back(b.at.line);
    TaskRole r{pid, b.task.comm, "victim", b.state.empty() ? '?' : b.state[0], "", ""};
    if (const Task* d = st.task_by_pid(pid)) {
      r.state = d->state;
      r.where = first_meaningful(d->frames);
      if (d->at.line > f.last.line) f.last = d->at;
    }
    f.tasks.push_back(std::move(r));
    char buf[64];
    std::snprintf(buf, sizeof buf, " for %.0f s", std::max(span, stalled_s));
    f.title = "OOM livelock: victim " + b.task.comm + "(" + std::to_string(pid) + ") still dying" + buf;
    f.details.emplace_back("victim_pid", static_cast<std::int64_t>(pid));
    f.details.emplace_back("victim_stuck_s", std::max(span, stalled_s));
    out.push_back(std::move(f));
  }
}

}  // namespace oomlab::analyzer
