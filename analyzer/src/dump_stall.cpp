// Stalls from task dumps: the evidence logs from real machines carry, fed to
// facts' one stall model (facts/stall.hpp) like MemAlloc reports are
// (progress_evidence.cpp):
//   INFO: task a.out:3420 blocked for more than 120 seconds.   (kernel/hung_task.c)
//     + the task's dump: it has not run since (ts - 120 s) - a stall that
//       began then, the fact a MemAlloc line's delay= gives;
//   sysrq: Show Blocked State / SysRq : Show State + task dumps
//     - which tasks are blocked at ts, on what (a dump that shows no task in
//       a memory wait is progress).
// What each task waits for is its stack as facts::StackClassifier reads it
// (facts/wait_kind.cpp: the one table), classified while the dump streams by.
//
// What a stall is stays facts' rule: tasks blocked in reclaim, the allocator
// or on the mmap lock in every observation for blocked_min_ms; I/O waits
// (folio lock, page-in, writeback) only while memory is short. A log without
// PSI shows memory short where the same dump has tasks in reclaim or the
// allocator, or where the kernel's OOM killer ran since the previous
// observation. So one hung task stuck on I/O with no memory wait beside it is
// a hung_task finding (its own class, from failures.cpp) and no stall; a task
// on a mutex, an inode's rwsem or a completion is no memory wait at all.
//
// Classes, as DESIGN.md and the MemAlloc findings give them (stall_verdict.cpp):
// silent_hang when tasks stayed blocked on memory for the threshold while the
// OOM killer did not act - whatever the wait, like the runner's outcome and
// the watchdog's lines, which count the cmdline readers behind a held mmap
// lock as a stall; allocation_stall when shorter or the OOM killer acted.
#include <algorithm>
#include <cmath>
#include <cstdio>

#include "progress_evidence.hpp"
#include "state.hpp"
#include "titles.hpp"
#include "verdict_parts.hpp"

namespace oomlab::analyzer {

namespace {

// One dump's tasks come within seconds of each other (a slow serial console
// stretches a long sysrq-t); a hung-task scan prints its reports together.
constexpr std::int64_t kSnapshotGapMs = 10000;

std::int64_t ms_of(double ts) { return static_cast<std::int64_t>(std::llround(ts * 1000.0)); }

bool memory_wait(facts::WaitKind k) { return k != facts::WaitKind::None; }

struct Seen {
  int pid = 0;
  facts::WaitKind kind = facts::WaitKind::None;   // None: not blocked, or not on memory
  std::size_t obs = 0;                            // its TaskObservation
};

// One observation of the blocked tasks: a dump the log printed, or the
// moment a hung-task report dates its task's block back to.
struct Snapshot {
  std::int64_t t = 0;
  bool printed = false;   // a dump in the log (else implied by "for more than N seconds")
  bool partial = false;   // hung-task reports list only the tasks past the timeout
  std::vector<Seen> tasks;
  bool has(int pid) const {
    return std::any_of(tasks.begin(), tasks.end(), [&](const Seen& s) { return s.pid == pid; });
  }
  int blocked(facts::WaitKind k) const {
    return static_cast<int>(std::count_if(tasks.begin(), tasks.end(), [&](const Seen& s) { return s.kind == k; }));
  }
};

std::vector<Snapshot> snapshots(const State& st) {
  std::vector<Snapshot> out;
  std::int64_t last_t = 0;
  for (std::size_t i = 0; i < st.observations.size(); ++i) {
    const TaskObservation& o = st.observations[i];
    if (!o.at.ts) continue;   // no clock: nothing to measure
    const std::int64_t t = ms_of(*o.at.ts);
    Snapshot* cur = out.empty() ? nullptr : &out.back();
    // A new dump: after a pause, a task seen twice, or hung-task reports
    // after a sysrq dump. Tasks dumped right after a hung report (6.14+
    // prints the likely owner of the lock) belong to its scan.
    if (!cur || t - last_t > kSnapshotGapMs || t < last_t || cur->has(o.pid) || (o.hung && !cur->partial)) {
      out.push_back(Snapshot{t, true, o.hung, {}});
      cur = &out.back();
    }
    const facts::WaitKind k = o.state == 'D' ? o.stack.result() : facts::WaitKind::None;
    cur->tasks.push_back(Seen{o.pid, k, i});
    last_t = t;
  }
  // A hung task was blocked from (ts - N) to ts: a snapshot at its start,
  // and the task in every snapshot between.
  std::vector<Snapshot> implied;
  for (const Snapshot& s : out)
    for (const Seen& seen : s.tasks) {
      const TaskObservation& o = st.observations[seen.obs];
      if (o.hung && o.blocked_ms > 0 && memory_wait(seen.kind))
        implied.push_back(Snapshot{ms_of(*o.at.ts) - o.blocked_ms, false, true, {}});
    }
  out.insert(out.end(), implied.begin(), implied.end());
  std::stable_sort(out.begin(), out.end(), [](const Snapshot& a, const Snapshot& b) { return a.t < b.t; });
  for (std::size_t i = 0; i < out.size(); ++i)
    for (const Seen& seen : out[i].tasks) {
      const TaskObservation& o = st.observations[seen.obs];
      if (!o.hung || o.blocked_ms <= 0 || !memory_wait(seen.kind) || !out[i].printed) continue;
      const std::int64_t t = ms_of(*o.at.ts), from = t - o.blocked_ms;
      for (Snapshot& other : out)
        if (other.t >= from && other.t <= t && !other.has(seen.pid)) other.tasks.push_back(seen);
    }
  // One snapshot per moment; partial ones without memory waits say nothing
  // (the hung-task detector lists a few tasks, not all the blocked ones).
  std::vector<Snapshot> merged;
  for (Snapshot& s : out) {
    if (!merged.empty() && merged.back().t == s.t) {
      Snapshot& m = merged.back();
      m.printed = m.printed || s.printed;
      m.partial = m.partial && s.partial;
      for (const Seen& seen : s.tasks)
        if (!m.has(seen.pid)) m.tasks.push_back(seen);
      continue;
    }
    merged.push_back(std::move(s));
  }
  std::erase_if(merged, [](const Snapshot& s) {
    return s.partial && std::none_of(s.tasks.begin(), s.tasks.end(), [](const Seen& x) { return memory_wait(x.kind); });
  });
  return merged;
}

// The kernel's OOM kill of a task this dump shows blocked (same pid and
// comm, killed before the dump): a victim that does not exit, facts'
// victim_not_exiting - the OOM killer acted, so no silent hang.
const facts::KillEvent* killed_victim(const State& st, const Snapshot& s, const std::vector<facts::KillEvent>& kills) {
  const facts::KillEvent* found = nullptr;
  for (const Seen& seen : s.tasks) {
    const TaskObservation& o = st.observations[seen.obs];
    if (o.state != 'D') continue;
    for (const facts::KillEvent& k : kills)
      if (k.by == facts::Killer::kernel && k.pid == o.pid && k.comm == o.comm && k.t_ms <= s.t && (!found || k.t_ms < found->t_ms))
        found = &k;
  }
  return found;
}

std::vector<facts::ProgressSample> to_samples(const State& st, const std::vector<Snapshot>& snaps,
                                              const std::vector<facts::KillEvent>& kills) {
  std::vector<facts::ProgressSample> out;
  for (std::size_t i = 0; i < snaps.size(); ++i) {
    const Snapshot& s = snaps[i];
    facts::ProgressSample p;
    p.t_ms = s.t;
    for (const Seen& seen : s.tasks)
      if (memory_wait(seen.kind)) p.add_blocked(seen.kind);
    const std::int64_t since = i > 0 ? snaps[i - 1].t : s.t - kSnapshotGapMs;
    bool oom_ran = false;
    for (const facts::KillEvent& k : kills) oom_ran = oom_ran || (k.by == facts::Killer::kernel && k.t_ms > since && k.t_ms <= s.t);
    const bool short_of_memory =
        oom_ran || p.blocked[static_cast<int>(facts::WaitKind::Reclaim)] + p.blocked[static_cast<int>(facts::WaitKind::Alloc)] > 0;
    int blocked = 0;
    for (int b : p.blocked) blocked += b;
    // No PSI in a log: "D tasks while memory is short" is facts' fallback.
    p.limit_pressed = short_of_memory && blocked > 0;
    if (const facts::KillEvent* v = killed_victim(st, s, kills)) {
      p.victim_alive = true;
      p.victim_killed_ms = v->t_ms;
    }
    out.push_back(p);
  }
  return out;
}

std::string seconds(std::int64_t ms) {
  char buf[32];
  std::snprintf(buf, sizeof buf, ms < 10000 ? "%.1f s" : "%.0f s", static_cast<double>(ms) / 1000);
  return buf;
}

Finding to_finding(const State& st, const std::vector<Snapshot>& snaps, const facts::StallEpisode& e,
                   const std::vector<facts::KillEvent>& kills, const std::vector<Where>& kill_at) {
  const facts::StallRules rules = log_stall_rules();
  Finding f;
  std::vector<Seen> tasks;   // each task once, its latest observation
  int max_by_kind[6] = {};
  std::int64_t hung_reports = 0, dumps = 0;
  const TaskObservation* first = nullptr;
  const TaskObservation* last = nullptr;
  for (const Snapshot& s : snaps) {
    if (s.t < e.start_ms || s.t > e.end_ms) continue;
    if (s.printed && !s.partial) ++dumps;
    for (int k = 1; k < 6; ++k) max_by_kind[k] = std::max(max_by_kind[k], s.blocked(static_cast<facts::WaitKind>(k)));
    for (const Seen& seen : s.tasks) {
      if (!memory_wait(seen.kind)) continue;
      const TaskObservation& o = st.observations[seen.obs];
      if (!first || o.at.line < first->at.line) first = &o;
      if (!last || o.at.line > last->at.line) last = &o;
      auto it = std::find_if(tasks.begin(), tasks.end(), [&](const Seen& x) { return x.pid == seen.pid; });
      if (it == tasks.end()) tasks.push_back(seen);
      else if (st.observations[it->obs].at.line < o.at.line) *it = seen;
      if (f.evidence.size() < st.opt.limits.evidence) f.evidence.push_back(o.at.line);
    }
  }
  for (const Seen& seen : tasks) hung_reports += st.observations[seen.obs].hung ? 1 : 0;
  std::optional<facts::KillEvent> ender = facts::kill_that_ended(e, kills, rules.gap_ms);
  std::optional<Where> ender_at;
  if (ender)
    for (std::size_t i = 0; i < kills.size(); ++i)
      if (kills[i].t_ms == ender->t_ms && kills[i].pid == ender->pid && kills[i].by == ender->by) ender_at = kill_at[i];
  const std::int64_t length = e.length_ms();
  const auto threshold_ms = static_cast<std::int64_t>(st.opt.stall_threshold_s * 1000);
  bool killed_early = false;   // the kernel's OOM killer acted before the threshold passed
  for (const facts::KillEvent& k : kills)
    killed_early = killed_early || (k.by == facts::Killer::kernel && k.t_ms >= e.start_ms && k.t_ms < e.start_ms + threshold_ms);
  const bool silent = length >= threshold_ms && !killed_early && e.cause != facts::StallCause::victim_not_exiting;
  f.klass = silent ? VerdictClass::silent_hang : VerdictClass::allocation_stall;
  f.first = Where{first ? first->at.line : 0, static_cast<double>(e.start_ms) / 1000.0};
  f.last = ender_at ? *ender_at : (last ? last->at : f.first);
  if (ender_at && f.evidence.size() < st.opt.limits.evidence) f.evidence.push_back(ender_at->line);
  // A dump shows who is blocked, not that they stay blocked after it: an
  // episode still stalled at the last dump has an unknown end.
  std::string end_text = "still blocked when last reported";
  std::string ended_by = "unknown";
  if (ender) {
    end_text = std::string("ended by ") + facts::killer_name(ender->by) +
               (ender->by == facts::Killer::watchdog ? "'s kill of " : "'s OOM kill of ") + ender->comm + "(" +
               std::to_string(ender->pid) + ")";
    ended_by = ender->by == facts::Killer::watchdog ? "watchdog_kill" : "oom_kill";
  } else if (!e.ongoing) {
    end_text = "then a task dump showed them gone";
    ended_by = "recovered";
  }
  const std::string cause = facts::describe_cause(e, rules);
  char seen_in[96];
  std::snprintf(seen_in, sizeof seen_in, "%lld hung-task report(s), %lld task dump(s)", static_cast<long long>(hung_reports),
                static_cast<long long>(dumps));
  f.title = std::string(silent ? "silent hang" : "allocation stall") + ": no progress for " + (e.ongoing ? "at least " : "") +
            seconds(length) + " (" + cause + "; " + seen_in + "), " + end_text;
  for (const Seen& seen : tasks) {
    if (f.tasks.size() >= 16) break;
    const TaskObservation& o = st.observations[seen.obs];
    TaskRole r{o.pid, o.comm, "blocked", o.state, facts::wait_kind_name(seen.kind), ""};
    if (const Task* dumped = const_cast<State&>(st).task_by_pid(o.pid); dumped && dumped->at.line == o.header_line)
      r.where = first_meaningful(dumped->frames);
    f.tasks.push_back(std::move(r));
  }
  add_blockers(st, f);
  f.details.emplace_back("source", std::string("task_dumps"));
  f.details.emplace_back("hung_reports", hung_reports);
  f.details.emplace_back("task_dumps", dumps);
  episode_details(e, f);
  for (int k = 1; k < 6; ++k)
    if (max_by_kind[k] > 0)
      f.details.emplace_back(std::string("blocked_") + facts::wait_kind_name(static_cast<facts::WaitKind>(k)),
                             static_cast<std::int64_t>(max_by_kind[k]));
  f.details.emplace_back("description", cause);
  ender_details(ended_by, ender ? &*ender : nullptr, f);
  return f;
}

}  // namespace

void dump_stall_findings(const State& st, const std::vector<std::pair<std::int64_t, std::int64_t>>& covered,
                         std::vector<Finding>& out) {
  if (st.observations.empty()) return;
  const std::vector<Snapshot> snaps = snapshots(st);
  if (snaps.empty()) return;
  std::vector<facts::KillEvent> kills;
  std::vector<Where> kill_at;
  log_kills(st, kills, kill_at);
  const facts::StallRules rules = log_stall_rules();
  for (const facts::StallEpisode& e : facts::find_stall_episodes(to_samples(st, snaps, kills), rules)) {
    // One dump is a moment, not a stall: it takes two observations (or a
    // hung report's "for more than") the model's blocked time apart.
    if (e.length_ms() < rules.blocked_min_ms) continue;
    // The MemAlloc reports of the same time tell the same stall, finer.
    const bool told = std::any_of(covered.begin(), covered.end(), [&](const auto& c) {
      return e.start_ms <= c.second && c.first <= e.end_ms;
    });
    if (!told) out.push_back(to_finding(st, snaps, e, kills, kill_at));
  }
}

}  // namespace oomlab::analyzer
