#include "oomlab/watchdog/stall_model.hpp"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <unistd.h>
#include <unordered_set>

namespace oomlab::watchdog {
namespace {

// What a delay growth says the task waited for: the largest memory share.
StallKind kind_of_growth(const DelayTotals& from, const DelayTotals& to) {
  std::uint64_t reclaim = to.reclaim_ns - from.reclaim_ns, compact = to.compact_ns - from.compact_ns;
  std::uint64_t pagein = (to.thrashing_ns - from.thrashing_ns) + (to.swapin_ns - from.swapin_ns);
  if (compact > reclaim && compact >= pagein) return StallKind::Alloc;
  if (pagein > reclaim) return StallKind::Io;
  return StallKind::Reclaim;
}

}  // namespace

const char* evidence_name(StallEvidence e) {
  switch (e) {
    case StallEvidence::Wait: return "wait";
    case StallEvidence::Delays: return "delays";
    case StallEvidence::Tracer: return "tracer";
  }
  return "wait";
}

StallKind StallModel::fold_delays(const TaskSample& t, std::int64_t now_ms, std::int64_t& since_ms,
                                  DelayTotals& base) {
  auto [it, inserted] = delays_.try_emplace(t.tid);
  DelayTrack& d = it->second;
  d.seen_ms = now_ms;
  d.tgid = t.tgid;
  const DelayTotals& cur = t.delays;
  if (inserted || d.starttime != t.starttime || cur.memory_ns() < d.last.memory_ns()) {
    // New task, pid reused, or counters that went back (reset, wrap): start over.
    d = DelayTrack{};
    d.starttime = t.starttime;
    d.last = cur;
    d.last_ms = d.seen_ms = now_ms;
    d.tgid = t.tgid;
    return StallKind::None;
  }
  std::int64_t dt_ms = now_ms - d.last_ms;
  double grown = static_cast<double>(cur.memory_ns() - d.last.memory_ns()) / 1e6;  // ms
  if (dt_ms <= 0) return d.run_since_ms >= 0 ? d.run_kind : StallKind::None;
  if (grown > 1.5 * static_cast<double>(dt_ms) + 100) {
    // More delay than elapsed time: a wait that began while accounting was
    // off ends with a start of 0 and adds the whole uptime. Not a measure.
    d.run_since_ms = -1;
  } else if (grown >= delay_share_ * static_cast<double>(dt_ms)) {
    if (d.run_since_ms < 0) {
      d.run_since_ms = d.last_ms;
      d.run_base = d.last;
    }
    d.run_kind = kind_of_growth(d.last, cur);
  } else {
    d.run_since_ms = -1;
  }
  d.last = cur;
  d.last_ms = now_ms;
  if (d.run_since_ms < 0) return StallKind::None;
  since_ms = d.run_since_ms;
  base = d.run_base;
  return d.run_kind;
}

void StallModel::update(const std::vector<TaskSample>& samples, std::int64_t now_ms,
                        const std::vector<pid_t>* looked_at) {
  static const long page_kb = ::sysconf(_SC_PAGESIZE) / 1024;
  std::unordered_set<pid_t> live_tgids;
  live_tgids.reserve(victims_.size());
  for (const TaskSample& t : samples) {
    // A zombie has released its memory (exit_mm comes before it): a victim
    // whose parent does not reap it is gone. A victim whose leader is a
    // zombie but one of whose threads still runs (stuck in exit) is not.
    if (t.state != 'Z' && t.state != 'X' && victims_.count(t.tgid)) live_tgids.insert(t.tgid);
    StallKind kind = t.kind;
    StallEvidence evidence = StallEvidence::Wait;
    std::int64_t delay_since = now_ms;
    DelayTotals delay_base = t.delays;
    if (t.has_delays) {
      StallKind by_delay = fold_delays(t, now_ms, delay_since, delay_base);
      // Delays say more than a page-in wchan (Io): that wait is where a
      // reclaiming task sleeps between reclaim passes.
      if (kind == StallKind::None || (kind == StallKind::Io && by_delay != StallKind::None)) {
        kind = by_delay;
        evidence = StallEvidence::Delays;
      }
    }
    if (kind == StallKind::None) continue;
    auto [it, inserted] = stalls_.try_emplace(t.tid);
    TaskStall& s = it->second;
    if (!inserted && s.starttime != t.starttime) {  // pid reused: a new task
      s = TaskStall{};
      inserted = true;
    }
    if (inserted) {
      s.tid = t.tid;
      s.tgid = t.tgid;
      s.starttime = t.starttime;
      s.since_ms = s.own_since_ms = std::min(now_ms, delay_since);
    }
    if (t.has_delays) {
      if (!s.has_delays) s.delays_base = delay_base;  // first totals of this stall
      s.has_delays = true;
      s.delays_now = t.delays;
    }
    std::memcpy(s.comm, t.comm, sizeof s.comm);
    if (t.wchan[0]) std::memcpy(s.wchan, t.wchan, sizeof s.wchan);
    else std::snprintf(s.wchan, sizeof s.wchan, "?");  // runnable: found by its delays, wchan not read
    s.state = t.state;
    s.kind = kind;
    s.evidence = evidence;
    s.seen_ms = now_ms;
    s.rss_kb = t.rss_pages * static_cast<std::uint64_t>(page_kb);
    s.dying = t.dying();
    s.exiting = t.exiting();
  }
  // Not seen stalled in this sample: the stall ended (or the task is gone).
  auto looked = [looked_at](pid_t tgid) {
    return !looked_at || std::binary_search(looked_at->begin(), looked_at->end(), tgid);
  };
  std::erase_if(stalls_, [&](const auto& e) { return e.second.seen_ms != now_ms && looked(e.second.tgid); });
  std::erase_if(delays_, [&](const auto& e) { return e.second.seen_ms != now_ms && looked(e.second.tgid); });
  for (auto it = victims_.begin(); it != victims_.end();) {
    if (!live_tgids.count(it->first) && looked(it->first)) it = victims_.erase(it);
    else ++it;
  }
  for (auto& [tid, s] : stalls_) s.victim = victims_.count(s.tgid) != 0;
  fold_lock_holds(now_ms, looked_at);
}

void StallModel::fold_lock_holds(std::int64_t now_ms, const std::vector<pid_t>* looked_at) {
  // Waiters of this scan. A hold goes on while every scan that looked at
  // the process saw one (as facts::ProgressModel's held wait kinds: seen in
  // the previous observation too); a scan that looked and saw none ends it.
  for (auto& [tid, s] : stalls_) {
    if (s.kind != StallKind::MmapLock || s.seen_ms != now_ms) continue;
    LockHold& h = lock_holds_[s.tgid];
    if (h.since_ms < 0 || s.own_since_ms < h.since_ms) h.since_ms = s.own_since_ms;
    h.seen_ms = now_ms;
    h.longest_wait_ms = std::max(h.longest_wait_ms, now_ms - s.own_since_ms);
  }
  std::erase_if(lock_holds_, [&](const auto& e) {
    return e.second.seen_ms != now_ms &&
           (!looked_at || std::binary_search(looked_at->begin(), looked_at->end(), e.first));
  });
  for (auto& [tid, s] : stalls_) {
    if (s.kind != StallKind::MmapLock) continue;
    auto it = lock_holds_.find(s.tgid);
    // Only a hold that has shown one long wait: a busy lock handed on
    // quickly always has waiters, and none of them waits long.
    if (it == lock_holds_.end() || it->second.longest_wait_ms < warn_after_ms_ || it->second.since_ms >= s.since_ms)
      continue;
    s.since_ms = it->second.since_ms;
    s.lock_hold = true;
  }
}

void StallModel::backdate(std::int64_t now_ms, std::int64_t onset_ms) {
  for (auto& [tid, s] : stalls_)
    if (s.seen_ms == now_ms && s.since_ms > onset_ms && s.kind != StallKind::Io && s.kind != StallKind::Exit) {
      s.since_ms = onset_ms;
      s.own_since_ms = std::min(s.own_since_ms, onset_ms);  // its own wait too: the lock hold reads it
    }
}

void StallModel::mark_victim(pid_t tgid, std::int64_t now_ms, bool count_as_oom) {
  if (victims_.try_emplace(tgid, now_ms).second && count_as_oom) ++oom_count_;
  for (auto& [tid, s] : stalls_)
    if (s.tgid == tgid) s.victim = true;
}

void StallModel::note_reclaim(pid_t tid, pid_t tgid, const std::string& comm, std::int64_t since_ms,
                              std::int64_t now_ms, std::string gfp, int order) {
  auto [it, inserted] = stalls_.try_emplace(tid);
  TaskStall& s = it->second;
  if (inserted) {
    s.tid = tid;
    s.tgid = tgid;
    std::snprintf(s.comm, sizeof s.comm, "%s", comm.c_str());
    s.state = 'R';
    std::snprintf(s.wchan, sizeof s.wchan, "?");
    s.kind = StallKind::Reclaim;
    s.evidence = StallEvidence::Tracer;
    s.since_ms = s.own_since_ms = since_ms;
    s.victim = victims_.count(tgid) != 0;
  } else {
    s.since_ms = std::min(s.since_ms, since_ms);
    s.own_since_ms = std::min(s.own_since_ms, since_ms);
    if (s.kind == StallKind::Io || s.kind == StallKind::None) {
      s.kind = StallKind::Reclaim;
      s.evidence = StallEvidence::Tracer;
    }
  }
  s.seen_ms = now_ms;
  s.gfp = std::move(gfp);
  s.order = order;
}

bool stall_may_kill(const TaskStall& s, bool memory_short) {
  return s.kind != StallKind::Io || memory_short || s.evidence == StallEvidence::Delays;
}

StallCounts StallModel::counts(std::int64_t now_ms) const {
  StallCounts c;
  c.oom_count = oom_count_;
  c.victim = static_cast<int>(victims_.size());
  for (const auto& [tid, s] : stalls_) {
    c.dying += s.dying;
    c.exiting += s.exiting;
    std::int64_t d = s.delay_ms(now_ms);
    if (s.kind != StallKind::Exit && d >= warn_after_ms_) ++c.stalling;
    c.longest_ms = std::max(c.longest_ms, d);
  }
  return c;
}

std::vector<TaskStall*> StallModel::reportable(std::int64_t now_ms) {
  std::vector<TaskStall*> out;
  for (auto& [tid, s] : stalls_)
    if (s.delay_ms(now_ms) >= warn_after_ms_ || s.victim) out.push_back(&s);
  std::sort(out.begin(), out.end(), [now_ms](const TaskStall* a, const TaskStall* b) {
    return a->delay_ms(now_ms) != b->delay_ms(now_ms) ? a->delay_ms(now_ms) > b->delay_ms(now_ms) : a->tid < b->tid;
  });
  return out;
}

}  // namespace oomlab::watchdog
