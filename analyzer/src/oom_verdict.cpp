// Verdicts about OOM kills: oom_livelock, oom_reaper_failed, oom_resolved.
#include "verdict_parts.hpp"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <set>

#include "livelock.hpp"
#include "state.hpp"
#include "titles.hpp"

namespace oomlab::analyzer {

namespace {

std::optional<double> start_ts(const OomEvent& e) { return e.invoked ? e.invoked->ts : e.first.ts; }

bool after(const Where& w, const Where& ref, double min_delta) {
  if (w.line <= ref.line) return false;
  if (!w.ts || !ref.ts) return true;   // no clock: order of lines is all we have
  return *w.ts - *ref.ts >= min_delta;
}

// "700ms" -> 700; "-1ms" (not observed) and garbage -> nullopt.
std::optional<long> text_ms(const std::string& v) {
  if (v.empty() || v[0] == '-') return std::nullopt;
  char* end = nullptr;
  long n = std::strtol(v.c_str(), &end, 10);
  if (end == v.c_str() || n < 0) return std::nullopt;
  return n;
}

std::string fmt_s(double s) {
  char b[32];
  std::snprintf(b, sizeof b, "%.0f", s);
  return b;
}

void add_evidence(Finding& f, std::uint64_t line, std::size_t cap) {
  if (f.evidence.size() < cap && (f.evidence.empty() || f.evidence.back() != line)) f.evidence.push_back(line);
}

// The livelock finding: victim, its threads/siblings, the hog, the lock.
Finding livelock_finding(State& st, const OomEvent& e, const Task* victim_task, const Where& last_seen) {
  const auto cap = st.opt.limits.evidence;
  Finding f;
  f.klass = VerdictClass::oom_livelock;
  f.first = e.first;
  f.last = last_seen;
  add_evidence(f, e.first.line, cap);
  if (e.killed) add_evidence(f, e.killed->line, cap);
  const ProcRef& v = *e.victim;
  std::string lock, mode, where;
  if (victim_task) {
    TaskWait w = classify_wait(*victim_task);
    mode = w.kind == "read" || w.kind == "write" ? w.kind : "";
    lock = mode.empty() ? "" : lock_name(*victim_task);
    where = w.where;
    f.tasks.push_back({v.pid, victim_task->comm, "victim", victim_task->state, mode.empty() ? w.kind : lock + " " + mode, w.where});
    add_evidence(f, victim_task->at.line, cap);
  } else {
    f.tasks.push_back({v.pid, v.comm, "victim", '?', "", ""});
  }
  LockInfo li;
  li.name = lock;
  li.mode = mode;
  if (mode == "write") li.write_waiters.push_back(v.pid);
  if (mode == "read") li.read_waiters.push_back(v.pid);
  // Threads and siblings of the victim: same tgid when the dump says so,
  // otherwise same comm and parent (pre-5.11 dumps print no tgid).
  if (victim_task) {
    for (const Task& t : st.report.tasks) {
      if (t.pid == v.pid || t.at.line < e.first.line) continue;
      bool related = victim_task->tgid && t.tgid ? *t.tgid == *victim_task->tgid
                                                 : t.comm == victim_task->comm && t.ppid && t.ppid == victim_task->ppid;
      if (!related) continue;
      TaskWait w = classify_wait(t);
      std::string role = "related", wait;
      if (w.kind == "write" || w.kind == "read") {
        role = "waiter";
        wait = lock_name(t) + " " + w.kind;
        (w.kind == "write" ? li.write_waiters : li.read_waiters).push_back(t.pid);
      } else if (w.kind == "alloc" && w.page_fault) {
        role = "holder";   // in a page fault (mmap_sem held for read) and waiting for memory
        wait = "allocator";
        w.where = first_meaningful(t.frames, 0, true);
        li.holders.push_back(t.pid);
      } else if (w.kind == "alloc") {
        wait = "allocator";
        w.where = first_meaningful(t.frames, 0, true);
      } else if (t.state == 'R') {
        wait = "running";
      }
      f.tasks.push_back({t.pid, t.comm, role, t.state, wait, w.where});
      add_evidence(f, t.at.line, cap);
      if (t.at.line > f.last.line) f.last = t.at;
    }
  }
  // The hog: the task the OOM killer selected when it sacrificed a child,
  // else the largest rss in the task table.
  int hog = 0;
  if (e.selected && e.selected->pid != v.pid) hog = e.selected->pid;
  if (!hog && !e.table.empty()) {
    auto it = std::max_element(e.table.begin(), e.table.end(),
                               [](const TaskTableRow& a, const TaskTableRow& b) { return a.rss.value_or(0) < b.rss.value_or(0); });
    if (it->pid != v.pid) hog = it->pid;
  }
  if (hog) {
    const Task* t = st.task_by_pid(hog);
    TaskWait w = t ? classify_wait(*t) : TaskWait{};
    std::string comm = t ? t->comm : e.selected ? e.selected->comm : "";
    f.tasks.push_back({hog, comm, "hog", t ? t->state : '?', w.kind == "alloc" ? "allocator" : w.kind, w.where});
    if (t) add_evidence(f, t->at.line, cap);
  }
  if (!lock.empty()) f.lock = li;
  double stuck = e.killed && e.killed->ts && last_seen.ts ? *last_seen.ts - *e.killed->ts : 0;
  f.details.emplace_back("victim_pid", static_cast<std::int64_t>(v.pid));
  if (stuck > 0) f.details.emplace_back("victim_stuck_s", stuck);
  if (!lock.empty()) {
    f.title = "OOM livelock: " + v.comm + "(" + std::to_string(v.pid) + ") waits for " + lock + " " + mode +
              (where.empty() ? "" : " in " + title_func(where));
  } else {
    f.title = "OOM livelock: victim " + v.comm + "(" + std::to_string(v.pid) + ") did not exit" +
              (stuck > 0 ? " for " + fmt_s(stuck) + " s" : "");
  }
  return f;
}

}  // namespace

namespace {

std::string field(const WatchdogAction& a, std::string_view key) {
  for (const auto& [k, v] : a.fields)
    if (k == key) return v;
  return {};
}

// oomlab-watchdog's own kills: "killed: pid=N comm=C kill_to_exit=Nms kill_to_freed=Nms".
void watchdog_kills(State& st, std::vector<Finding>& out) {
  for (const WatchdogAction& a : st.report.watchdog_actions) {
    if (a.action != "killed") continue;
    auto freed = text_ms(field(a, "kill_to_freed"));
    Finding f;
    f.first = f.last = a.at;
    f.evidence = {a.at.line};
    int pid = std::atoi(field(a, "pid").c_str());
    std::string who = field(a, "comm") + "(" + std::to_string(pid) + ")";
    f.tasks.push_back({pid, field(a, "comm"), "victim", '?', "", ""});
    if (freed) {
      f.klass = VerdictClass::oom_resolved;
      f.title = "oomlab-watchdog kill of " + who + " freed memory in " + std::to_string(*freed) + " ms";
      f.details.emplace_back("resolved_ms", static_cast<double>(*freed));
    } else {
      f.klass = VerdictClass::oom_reaper_failed;
      f.title = "oomlab-watchdog kill of " + who + " did not free memory";
    }
    f.details.emplace_back("resolved_by", std::string("oomlab-watchdog"));
    out.push_back(std::move(f));
  }
}

// Userspace OOM killers' kills (earlyoom, systemd-oomd, nohang): memory
// trouble that a guard ended; resolved_ms when its victim's exit is logged.
void guard_kills(State& st, std::vector<Finding>& out) {
  for (const GuardKillSeen& g : st.guard_kills) {
    if (g.dry_run) continue;
    Finding f;
    f.klass = VerdictClass::oom_resolved;
    f.first = g.first;
    f.last = g.last;
    f.evidence = g.evidence;
    const facts::GuardKill& k = g.kill;
    std::string who = k.pid ? k.comm + "(" + std::to_string(k.pid) + ")" : k.cgroup;
    f.title = g.killer + " kill of " + who;
    if (!k.reason.empty()) f.title += " (" + k.reason + ")";
    if (g.exited_ms) f.title += ": it exited in " + std::to_string(*g.exited_ms) + " ms";
    if (k.pid) f.tasks.push_back({k.pid, k.comm, "victim", '?', "", ""});
    f.details.emplace_back("resolved_by", g.killer);
    if (!k.signal.empty()) f.details.emplace_back("signal", k.signal);
    if (!k.cgroup.empty()) f.details.emplace_back("cgroup", k.cgroup);
    if (!k.reason.empty()) f.details.emplace_back("reason", k.reason);
    if (g.exited_ms) f.details.emplace_back("resolved_ms", static_cast<double>(*g.exited_ms));
    out.push_back(std::move(f));
  }
}

}  // namespace

void oom_findings(State& st, std::vector<Finding>& out) {
  watchdog_kills(st, out);
  guard_kills(st, out);
  auto& events = st.report.oom_events;
  const double thr = st.opt.victim_threshold_s;
  std::vector<bool> consumed(events.size(), false);
  kill_loop_findings(st, out, consumed);
  reselected_findings(st, out);
  dying_victim_findings(st, out);
  std::set<int> judged;   // one finding per victim, however often it was killed
  for (std::size_t i = 0; i < events.size(); ++i) {
    if (consumed[i]) continue;
    if (!events[i].victim || !events[i].killed || judged.count(events[i].victim->pid)) continue;
    const int pid = events[i].victim->pid;
    judged.insert(pid);
    // A victim killed again later did not die: its first kill is the one that
    // failed, its last one is what a "resolved" verdict would be about.
    std::size_t last_kill = i;
    for (std::size_t j = i + 1; j < events.size(); ++j)
      if (events[j].victim && events[j].killed && events[j].victim->pid == pid) last_kill = j;
    OomEvent& e = events[last_kill];
    const OomEvent& first_kill = events[i];
    const Where kill = *first_kill.killed;
    // Anonymous evidence (MemAlloc-Info counting a victim) counts until the
    // next kill of another victim; evidence naming the pid counts anywhere.
    std::uint64_t until = UINT64_MAX;
    for (std::size_t j = last_kill + 1; j < events.size(); ++j)
      if (events[j].killed && events[j].victim && events[j].victim->pid != pid) {
        until = events[j].killed->line;
        break;
      }
    std::optional<Where> alive;
    if (auto seen = seen_alive_after(st, *first_kill.victim, kill); seen && after(*seen, kill, thr)) alive = seen;
    const Task* vt = st.task_by_pid(pid);
    std::optional<Where> memalloc_alive, progress;
    for (const MemAllocSample& m : st.report.memalloc.series) {
      if (m.at.line <= e.killed->line || m.at.line >= until) continue;
      if (m.victim_here() > 0 || m.dying_here() > 0) {
        if (after(m.at, kill, thr)) memalloc_alive = m.at;
      } else if (!progress) {
        progress = m.at;
      }
    }
    if (!alive && memalloc_alive && !e.reaped) alive = memalloc_alive;
    auto t0 = start_ts(e);
    const int kills = kills_of(st, pid);
    if (alive) {
      out.push_back(livelock_finding(st, first_kill, vt && vt->at.line > kill.line ? vt : nullptr, *alive));
      if (memalloc_alive) add_evidence(out.back(), memalloc_alive->line, st.opt.limits.evidence);
      if (kills > 1) {
        out.back().details.emplace_back("kills", static_cast<std::int64_t>(kills));
        add_evidence(out.back(), e.killed->line, st.opt.limits.evidence);
      }
      continue;
    }
    if (e.reap_failed || first_kill.reap_failed) {
      Finding f;
      f.klass = VerdictClass::oom_reaper_failed;
      f.title = "oom_reaper: unable to reap " + e.victim->comm + "(" + std::to_string(e.victim->pid) + ")";
      f.first = e.first;
      f.last = e.last;
      f.evidence = {e.first.line, kill.line};
      f.tasks.push_back({e.victim->pid, e.victim->comm, "victim", '?', "", ""});
      out.push_back(std::move(f));
      continue;
    }
    std::optional<Where> freed;
    if (e.reaped) {
      freed = e.reaped;
      e.resolved_by = "oom_reaper";
    } else if (progress) {
      freed = progress;
      e.resolved_by = "progress";
    } else {
      freed = *e.killed;
      e.resolved_by = "kill";
    }
    if (t0 && freed->ts) e.resolved_ms = std::max(0.0, (*freed->ts - *t0) * 1000.0);
    Finding f;
    f.klass = VerdictClass::oom_resolved;
    f.first = e.first;
    f.last = *freed;
    f.evidence = {e.first.line, e.killed->line};
    if (freed->line != e.killed->line) f.evidence.push_back(freed->line);
    f.tasks.push_back({e.victim->pid, e.victim->comm, "victim", '?', "", ""});
    char ms[48] = "";
    if (e.resolved_ms) std::snprintf(ms, sizeof ms, " in %.0f ms", *e.resolved_ms);
    f.title = std::string(e.memcg_oom ? "memcg " : "") + "OOM kill of " + e.victim->comm + "(" +
              std::to_string(e.victim->pid) + ") resolved" + ms;
    if (e.resolved_ms) f.details.emplace_back("resolved_ms", *e.resolved_ms);
    f.details.emplace_back("resolved_by", e.resolved_by);
    out.push_back(std::move(f));
  }
}

}  // namespace oomlab::analyzer
