#include "oomlab/watchdog/stall_model.hpp"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <unistd.h>
#include <unordered_set>

namespace oomlab::watchdog {

void StallModel::update(const std::vector<TaskSample>& samples, std::int64_t now_ms) {
  static const long page_kb = ::sysconf(_SC_PAGESIZE) / 1024;
  std::unordered_set<pid_t> live_tgids;
  live_tgids.reserve(victims_.size());
  for (const TaskSample& t : samples) {
    if (victims_.count(t.tgid)) live_tgids.insert(t.tgid);
    if (t.kind == StallKind::None) continue;
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
      s.since_ms = now_ms;
    }
    std::memcpy(s.comm, t.comm, sizeof s.comm);
    std::memcpy(s.wchan, t.wchan, sizeof s.wchan);
    s.state = t.state;
    s.kind = t.kind;
    s.seen_ms = now_ms;
    s.rss_kb = t.rss_pages * static_cast<std::uint64_t>(page_kb);
    s.dying = t.dying();
    s.exiting = t.exiting();
  }
  // Not seen stalled in this sample: the stall ended (or the task is gone).
  for (auto it = stalls_.begin(); it != stalls_.end();) {
    if (it->second.seen_ms != now_ms) it = stalls_.erase(it);
    else ++it;
  }
  for (auto it = victims_.begin(); it != victims_.end();) {
    if (!live_tgids.count(it->first)) it = victims_.erase(it);
    else ++it;
  }
  for (auto& [tid, s] : stalls_) s.victim = victims_.count(s.tgid) != 0;
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
    s.since_ms = since_ms;
    s.victim = victims_.count(tgid) != 0;
  } else {
    s.since_ms = std::min(s.since_ms, since_ms);
    if (s.kind == StallKind::Io || s.kind == StallKind::None) s.kind = StallKind::Reclaim;
  }
  s.seen_ms = now_ms;
  s.gfp = std::move(gfp);
  s.order = order;
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
