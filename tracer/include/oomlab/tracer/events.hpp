// What the stall tracer reports: finished episodes as events (consumed from
// the ring buffer) and the state right now as a snapshot (read from the BPF
// maps). Times are CLOCK_MONOTONIC nanoseconds, like oomlab::monotonic_us().
#pragma once
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>
#include <sys/types.h>

namespace oomlab::tracer {

using std::chrono::nanoseconds;

struct TaskId {
  pid_t tid = 0;
  pid_t tgid = 0;
  std::string comm;  // empty when unknown
};

enum class ReclaimKind { Direct, Memcg };
const char* to_string(ReclaimKind k);

// One direct or memcg reclaim episode that ended.
struct ReclaimEpisode {
  TaskId task;
  ReclaimKind kind = ReclaimKind::Direct;
  std::uint32_t gfp = 0;
  int order = 0;
  nanoseconds delay{0};
  std::uint64_t nr_reclaimed = 0;
  std::int64_t end_ns = 0;
};

// Who held an mm's lock, read from the kernel's rwsem when a wait began: the
// writer, or the readers - the last one to take it named (the rwsem's owner
// field), the others counted in unnamed_readers.
struct LockHolders {
  std::optional<TaskId> writer;
  std::vector<TaskId> readers;
  int unnamed_readers = 0;
  bool empty() const { return !writer && readers.empty() && unnamed_readers == 0; }
};

// A wait for an mmap lock: finished (an event) or still going (a snapshot).
struct LockWait {
  TaskId task;
  std::uint64_t mm = 0;  // kernel address of the mm_struct: an identity only
  bool write = false;
  nanoseconds wait{0};
  bool ongoing = false;
  bool acquired = true;  // false: a killable wait gave up on a fatal signal
  LockHolders holders;   // at the start of the wait
  std::int64_t ts_ns = 0;
};

enum class OomStage { MarkVictim, WakeReaper, StartReaping, FinishReaping, SkipReaping, Exited };
const char* to_string(OomStage s);

struct OomEvent {
  TaskId victim;
  OomStage stage = OomStage::MarkVictim;
  std::int64_t ts_ns = 0;
};

using Event = std::variant<ReclaimEpisode, LockWait, OomEvent>;

// An OOM victim from mark_victim to exit, assembled from OomEvents.
struct VictimTimeline {
  TaskId victim;
  std::int64_t marked_ns = 0;
  std::optional<std::int64_t> reaper_woken_ns, reap_start_ns, reaped_ns, skipped_ns, exited_ns;
  // Applies one event of this victim; returns false if it is not this victim's.
  bool apply(const OomEvent& e);
  // Marked at least `within` before now_ns and no exit seen: the victim did
  // not exit in time (the kernel's OOM killer is stuck on it).
  bool overdue(std::int64_t now_ns, nanoseconds within) const {
    return !exited_ns && now_ns - marked_ns >= within.count();
  }
};

struct CurrentReclaim {
  ReclaimKind kind = ReclaimKind::Direct;
  std::uint32_t gfp = 0;
  int order = 0;
  std::int64_t since_ns = 0;
};

// Per task reclaim record (kept for tasks seen in reclaim since open()).
struct TaskReclaim {
  TaskId task;
  std::uint64_t count = 0;
  nanoseconds total{0};
  nanoseconds longest{0};
  std::uint32_t longest_gfp = 0;
  int longest_order = 0;
  ReclaimKind longest_kind = ReclaimKind::Direct;
  std::optional<CurrentReclaim> current;  // in reclaim right now
};

struct MmLockStats {
  std::uint64_t mm = 0;
  std::uint64_t waits[2] = {0, 0};  // [0] read, [1] write
  nanoseconds wait_total[2] = {nanoseconds{0}, nanoseconds{0}};
  nanoseconds longest_wait[2] = {nanoseconds{0}, nanoseconds{0}};
  LockHolders holders;  // at the start of the latest wait on this mm
};

struct Totals {
  std::uint64_t reclaim_count[2] = {0, 0};  // [ReclaimKind]
  nanoseconds reclaim_total[2] = {nanoseconds{0}, nanoseconds{0}};
  std::uint64_t lock_waits = 0;
  nanoseconds lock_wait_total{0};
  std::uint64_t oom_victims = 0;
  std::uint64_t dropped = 0;  // events lost to a full ring buffer
  // Tracepoint hits the kernel skipped because the same program was already
  // running on that CPU (a preempted program; kernel >= 5.12 counts them). A
  // missed release/acquire can leave a stale holder or waiter behind: ongoing
  // waits are therefore only reported for tasks that are blocked (state D).
  std::uint64_t missed = 0;
};

struct Snapshot {
  std::int64_t taken_ns = 0;
  bool lock_tracing = false;
  std::vector<TaskReclaim> reclaim;   // by longest episode, longest first
  std::vector<LockWait> lock_waits;   // ongoing, longest first
  std::vector<MmLockStats> mms;       // mms with waits, most waited first
  std::vector<VictimTimeline> victims;
  Totals totals;
};

}  // namespace oomlab::tracer
