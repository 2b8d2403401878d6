#include "records.hpp"

#include <cstring>

namespace oomlab::tracer {
namespace {

ReclaimKind to_kind(std::uint32_t k) { return k == STALL_RECLAIM_MEMCG ? ReclaimKind::Memcg : ReclaimKind::Direct; }

std::optional<OomStage> to_stage(std::uint32_t s) {
  switch (s) {
    case STALL_OOM_MARK_VICTIM: return OomStage::MarkVictim;
    case STALL_OOM_WAKE_REAPER: return OomStage::WakeReaper;
    case STALL_OOM_START_REAPING: return OomStage::StartReaping;
    case STALL_OOM_FINISH_REAPING: return OomStage::FinishReaping;
    case STALL_OOM_SKIP_REAPING: return OomStage::SkipReaping;
    case STALL_OOM_EXITED: return OomStage::Exited;
    default: return std::nullopt;
  }
}

}  // namespace

TaskId to_task(const stall_task_id& id) {
  TaskId t;
  t.tid = static_cast<pid_t>(id.tid);
  t.tgid = static_cast<pid_t>(id.tgid);
  t.comm.assign(id.comm, strnlen(id.comm, sizeof id.comm));
  return t;
}

LockHolders to_holders(const stall_holders& h) {
  LockHolders out;
  if (h.writer.tid) out.writer = to_task(h.writer);
  for (const auto& r : h.readers) {
    bool dup = false;
    for (const auto& seen : out.readers) dup |= seen.tid == static_cast<pid_t>(r.tid);
    if (r.tid && !dup) out.readers.push_back(to_task(r));
  }
  // The kernel's rwsem counts every reader but names only the last one to
  // take it (its owner field): the rest are unnamed.
  const int unnamed = h.nreaders - static_cast<int>(out.readers.size());
  out.unnamed_readers = unnamed > 0 ? unnamed : 0;
  return out;
}

std::optional<Event> to_event(const stall_event& e) {
  switch (e.type) {
    case STALL_EV_RECLAIM: {
      ReclaimEpisode r;
      r.task = to_task(e.task);
      r.kind = to_kind(e.reclaim.kind);
      r.gfp = e.reclaim.gfp;
      r.order = e.reclaim.order;
      r.delay = nanoseconds(e.reclaim.delay_ns);
      r.nr_reclaimed = e.reclaim.nr_reclaimed;
      r.end_ns = static_cast<std::int64_t>(e.ts_ns);
      return r;
    }
    case STALL_EV_LOCKWAIT: {
      LockWait w;
      w.task = to_task(e.task);
      w.mm = e.lock.mm;
      w.write = e.lock.write != 0;
      w.wait = nanoseconds(e.lock.wait_ns);
      w.acquired = e.lock.acquired != 0;
      w.holders = to_holders(e.lock.holders);
      w.ts_ns = static_cast<std::int64_t>(e.ts_ns);
      return w;
    }
    case STALL_EV_OOM: {
      auto stage = to_stage(e.oom.stage);
      if (!stage) return std::nullopt;
      OomEvent o;
      o.victim = to_task(e.task);
      o.victim.tid = static_cast<pid_t>(e.oom.pid);
      o.stage = *stage;
      o.ts_ns = static_cast<std::int64_t>(e.ts_ns);
      return o;
    }
    default: return std::nullopt;
  }
}

TaskReclaim to_task_reclaim(const stall_reclaim_task& r) {
  TaskReclaim t;
  t.task = to_task(r.task);
  t.count = r.count;
  t.total = nanoseconds(r.total_ns);
  t.longest = nanoseconds(r.longest_ns);
  t.longest_gfp = r.longest_gfp;
  t.longest_order = r.longest_order;
  t.longest_kind = to_kind(r.longest_kind);
  if (r.cur_start_ns) t.current = CurrentReclaim{to_kind(r.cur_kind), r.cur_gfp, r.cur_order, static_cast<std::int64_t>(r.cur_start_ns)};
  return t;
}

LockWait to_ongoing_wait(const stall_lock_waiter& w, const stall_holders* now, std::int64_t now_ns) {
  LockWait out;
  out.task = to_task(w.task);
  out.mm = w.mm;
  out.write = w.write != 0;
  out.ongoing = true;
  const auto start = static_cast<std::int64_t>(w.start_ns);
  out.wait = nanoseconds(now_ns > start ? now_ns - start : 0);
  out.holders = to_holders(now ? *now : w.holders);
  out.ts_ns = now_ns;
  return out;
}

MmLockStats to_mm_stats(std::uint64_t mm, const stall_mm_state& s) {
  MmLockStats m;
  m.mm = mm;
  for (int i = 0; i < 2; i++) {
    m.waits[i] = s.waits[i];
    m.wait_total[i] = nanoseconds(s.wait_ns[i]);
    m.longest_wait[i] = nanoseconds(s.longest_wait_ns[i]);
  }
  m.holders = to_holders(s.holders);
  return m;
}

Totals to_totals(const stall_totals& t) {
  Totals out;
  for (int i = 0; i < 2; i++) {
    out.reclaim_count[i] = t.reclaim_count[i];
    out.reclaim_total[i] = nanoseconds(t.reclaim_ns[i]);
  }
  out.lock_waits = t.lock_waits;
  out.lock_wait_total = nanoseconds(t.lock_wait_ns);
  out.oom_victims = t.oom_victims;
  out.dropped = t.dropped;
  return out;
}

}  // namespace oomlab::tracer
