// The verdict engine: collects every family's findings, orders them by
// severity (DESIGN.md's class order) and then by position, and names the
// most severe one the verdict.
#include <algorithm>

#include "state.hpp"
#include "titles.hpp"
#include "verdict_parts.hpp"

namespace oomlab::analyzer {

const char* to_string(VerdictClass c) { return facts::verdict_class_name(c); }

std::optional<VerdictClass> verdict_class_from_string(std::string_view s) { return facts::verdict_class_from_name(s); }

void add_blockers(const State& st, Finding& f) {
  for (const RawReport& r : st.reports) {
    if (!r.blocker) continue;
    const facts::HungTaskBlocker& b = *r.blocker;
    auto waiter = std::find_if(f.tasks.begin(), f.tasks.end(), [&](const TaskRole& t) { return t.pid == b.pid; });
    if (waiter == f.tasks.end()) continue;
    LockInfo lock;
    lock.name = facts::blocker_lock_name(b.lock);
    if (b.lock == facts::BlockerLock::RwSemaphore && waiter->wait == "mmap_lock") lock.name = "mmap_lock";
    lock.mode = b.waits_as == "reader" ? "read" : b.waits_as == "writer" ? "write" : "";
    (lock.mode == "read" ? lock.read_waiters : lock.write_waiters).push_back(b.pid);   // a mutex is exclusive
    if (b.owner_pid) {
      lock.holders.push_back(b.owner_pid);
      auto owner = std::find_if(f.tasks.begin(), f.tasks.end(), [&](const TaskRole& t) { return t.pid == b.owner_pid; });
      if (owner == f.tasks.end()) {
        TaskRole holder{b.owner_pid, b.owner_comm, "holder", '?', "", ""};
        for (auto it = st.report.tasks.rbegin(); it != st.report.tasks.rend(); ++it) {
          if (it->pid != b.owner_pid) continue;
          holder.state = it->state;
          holder.where = first_meaningful(it->frames);
          break;
        }
        f.tasks.push_back(std::move(holder));
        owner = std::prev(f.tasks.end());
      }
      owner->role = "holder";
      if (!b.owner_as.empty()) owner->wait = "holds it as " + b.owner_as;
    }
    if (!f.lock) f.lock = std::move(lock);
  }
}

void build_verdict(State& st) {
  std::vector<Finding> out;
  oom_findings(st, out);
  stall_findings(st, out);
  for (const RawReport& r : st.reports) {
    Finding f;
    f.klass = r.klass;
    f.title = report_title(r, st.report.tasks);
    f.first = r.first;
    f.last = r.last;
    f.evidence = r.evidence;
    f.details = r.details;
    if (r.task.pid || !r.task.comm.empty()) {
      TaskRole t{r.task.pid, r.task.comm, "reporting", '?', "", ""};
      if (r.task_idx && *r.task_idx < st.report.tasks.size()) {
        const Task& dumped = st.report.tasks[*r.task_idx];
        t.state = dumped.state;
        t.where = first_meaningful(dumped.frames);
        t.role = "blocked";
        // What it waits for, in facts' words (mmap_lock, reclaim, io...),
        // when its stack says (the stall model reads the same stack).
        facts::StackClassifier wait;
        for (const Frame& fr : dumped.frames)
          if (fr.reliable) wait.add(fr.func);
        if (dumped.state == 'D' && wait.result() != facts::WaitKind::None) t.wait = facts::wait_kind_name(wait.result());
        if (dumped.last.line > f.last.line) f.last = dumped.last;
      }
      f.tasks.push_back(std::move(t));
    }
    if (r.blocker) add_blockers(st, f);
    out.push_back(std::move(f));
  }
  std::stable_sort(out.begin(), out.end(), [](const Finding& a, const Finding& b) {
    if (a.klass != b.klass) return a.klass < b.klass;
    return a.first.line < b.first.line;
  });
  auto& rep = st.report;
  rep.findings_dropped += st.reports_dropped;
  if (out.size() > st.opt.limits.findings) {
    rep.findings_dropped += out.size() - st.opt.limits.findings;
    out.resize(st.opt.limits.findings);
  }
  for (Finding& f : out) {
    std::sort(f.evidence.begin(), f.evidence.end());
    f.evidence.erase(std::unique(f.evidence.begin(), f.evidence.end()), f.evidence.end());
  }
  rep.findings = std::move(out);
  if (rep.findings.empty()) {
    rep.verdict = VerdictClass::clean;
    rep.title = "clean";
  } else {
    rep.verdict = rep.findings.front().klass;
    rep.title = rep.findings.front().title;
  }
}

}  // namespace oomlab::analyzer
