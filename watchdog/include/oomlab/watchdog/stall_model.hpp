// What has been stalled, for how long: the state that turns a series of
// samples into "this task has been waiting for memory for 12 s". A task is
// stalled while every consecutive sample shows it blocked (D) in a memory
// wait, or dying (SIGKILL pending / PF_EXITING) without finishing; its delay
// counts from the first such sample, so it under-reports by < one period.
//
// With delay accounting, a task is also stalled through every interval
// between two samples in which the kernel charged at least delay_share of
// the elapsed time to reclaim, compaction, thrashing or swap-in: that finds
// the task that loops in reclaim while runnable (no memory wchan to see),
// and its delay then counts from the start of the first such interval.
//
// One process's mmap_lock is one lock (its threads share the mm): while, in
// every scan that looked at the process, at least one of its threads is
// blocked on it, the lock has been held against them all along, whichever
// threads those are. Writers that take turns (mmap-sem: ten threads mapping
// and unmapping) each get the lock now and then, so each one's own wait
// restarts, and under TCG no single wait reached 5 s before the kernel
// acted (bench/peers/RESULTS.md: 2.0-4.4 s waits logged, 8.7 s of stall).
// Once one of the waiters has itself waited --warn-after (a contended but
// healthy lock is handed on in microseconds), every current waiter's stall
// counts from the start of that hold: the same "no progress" the runner's
// facts::ProgressModel counts (blocked in one wait kind in every sample).
#pragma once
#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "oomlab/watchdog/task_sample.hpp"

namespace oomlab::watchdog {

// What showed the stall at the last sample: the task's wait (its wchan or
// state: blocked in a memory wait, dying), its delay-accounting growth (a
// runnable task that loses --delay-share of each interval to reclaim), or
// the BPF tracer's direct-reclaim events.
enum class StallEvidence : std::uint8_t { Wait, Delays, Tracer };
const char* evidence_name(StallEvidence e);

struct TaskStall {
  pid_t tid = 0, tgid = 0;
  std::uint64_t starttime = 0;
  char comm[17] = {};
  char state = '?';
  char wchan[48] = {};
  StallKind kind = StallKind::None;
  StallEvidence evidence = StallEvidence::Wait;
  std::int64_t since_ms = 0;      // first sample of this continuous stall (or of its process's mmap_lock hold)
  std::int64_t own_since_ms = 0;  // first sample of this task's own continuous stall
  bool lock_hold = false;         // since_ms is its process's mmap_lock hold, older than its own wait
  std::int64_t seen_ms = 0;       // last sample
  std::uint64_t rss_kb = 0;
  bool dying = false, exiting = false, victim = false;
  bool warned = false;            // the warn: line was written for this stall
  std::string gfp;                // "0xcc0(GFP_KERNEL)" from the BPF tracer, "" = unknown
  int order = -1;
  const char* lock_mode = nullptr;  // "read"/"write" for an mmap_lock wait seen by the tracer
  std::string cgroup;             // memory cgroup path ("/" = root), filled by the engine
  bool has_delays = false;        // delay accounting seen during this stall
  DelayTotals delays_base;        // totals when the stall began (or were first seen)
  DelayTotals delays_now;         // totals at the last sample
  std::int64_t delay_ms(std::int64_t now) const { return now - since_ms; }
};

// Whether a stall may lead to a kill once it lasts --kill-after. A page-in
// or folio wait (Io) seen in a task's wait channel is everyday I/O - a slow
// or throttled disk, an NFS or FUSE server - unless memory is short, and then
// it counts, as in the runner's model (facts::ProgressModel counts Io waits
// only under memory pressure). An Io stall the delay accounting found
// (thrashing and swap-in delays) is memory by definition.
bool stall_may_kill(const TaskStall& s, bool memory_short);

struct StallCounts {
  int stalling = 0;   // in reclaim/alloc/mmap_lock/io for >= warn_after
  int dying = 0;      // SIGKILL pending
  int exiting = 0;    // PF_EXITING
  int victim = 0;     // OOM victims (kernel's or ours) still alive
  std::uint64_t oom_count = 0;
  std::int64_t longest_ms = 0;
};

// The delay totals of one task between samples (StallModel internal).
struct DelayTrack {
  pid_t tgid = 0;
  std::uint64_t starttime = 0;
  DelayTotals last;
  std::int64_t last_ms = 0, seen_ms = 0;
  std::int64_t run_since_ms = -1;  // start of the current run of stalled intervals, -1: none
  DelayTotals run_base;           // totals at run_since_ms
  StallKind run_kind = StallKind::None;
};

// The mmap_lock of one process, held against its threads (StallModel internal).
struct LockHold {
  std::int64_t since_ms = -1;        // first scan of this continuous hold
  std::int64_t seen_ms = -1;         // last scan that saw a waiter
  std::int64_t longest_wait_ms = 0;  // the longest single wait seen during the hold
};

class StallModel {
 public:
  explicit StallModel(std::int64_t warn_after_ms, double delay_share = 0.5)
      : warn_after_ms_(warn_after_ms), delay_share_(delay_share) {
    stalls_.reserve(1024);
  }

  // Folds in one scan taken at now_ms. Tasks absent or no longer stalled are
  // forgotten; victims that are gone are dropped from the victim set.
  // looked_at (sorted tgids): the scan sampled only these processes (a
  // follow-up scan of what is tracked): what is known of any other process
  // (its delay totals, a stall, a victim) is kept as it is.
  void update(const std::vector<TaskSample>& samples, std::int64_t now_ms,
              const std::vector<pid_t>* looked_at = nullptr);

  // The scan taken at now_ms followed a PSI event at onset_ms whose stall
  // was still growing a moment later (group_probe.hpp, stall_goes_on): the
  // stalls it found first - in reclaim, an allocation or a lock wait - are
  // dated from the event, as a scan right at the event would have dated
  // them, so the --warn-after and --kill-after clocks lose nothing to the
  // recheck. Page-in waits and exits keep their date: the rule that follows
  // them only once seen twice (idle()) needs it.
  void backdate(std::int64_t now_ms, std::int64_t onset_ms);

  // A process the kernel (kmsg) or we chose as OOM victim.
  void mark_victim(pid_t tgid, std::int64_t now_ms, bool count_as_oom = true);
  bool is_victim(pid_t tgid) const { return victims_.count(tgid) != 0; }
  const std::unordered_map<pid_t, std::int64_t>& victims() const { return victims_; }

  // A task the BPF tracer sees in reclaim right now (possibly running, so
  // invisible to wchan): added as a reclaim stall since the episode began,
  // or, if already stalled, annotated. Call after update() with its now_ms.
  void note_reclaim(pid_t tid, pid_t tgid, const std::string& comm, std::int64_t since_ms, std::int64_t now_ms,
                    std::string gfp, int order);

  StallCounts counts(std::int64_t now_ms) const;
  // Tasks worth a MemAlloc: line (delay >= warn_after, or victims), longest first.
  std::vector<TaskStall*> reportable(std::int64_t now_ms);
  std::unordered_map<pid_t, TaskStall>& stalls() { return stalls_; }
  // The process's mmap_lock hold (nullptr: none of its threads waits on it).
  const LockHold* lock_hold(pid_t tgid) const {
    auto it = lock_holds_.find(tgid);
    return it == lock_holds_.end() ? nullptr : &it->second;
  }

  std::int64_t warn_after_ms() const { return warn_after_ms_; }
  void set_warn_after(std::int64_t ms) { warn_after_ms_ = ms; }
  void set_delay_share(double share) { delay_share_ = share; }

 private:
  // Folds t's delay totals in; returns the kind of the delay stall t is in
  // (None when it is not) and sets since_ms to where that stall began.
  StallKind fold_delays(const TaskSample& t, std::int64_t now_ms, std::int64_t& since_ms, DelayTotals& base);
  // After a scan's stalls are folded in: each process's mmap_lock hold.
  void fold_lock_holds(std::int64_t now_ms, const std::vector<pid_t>* looked_at);

  std::int64_t warn_after_ms_;
  double delay_share_;
  std::unordered_map<pid_t, DelayTrack> delays_;     // by tid, tasks with delay totals
  std::unordered_map<pid_t, TaskStall> stalls_;      // by tid
  std::unordered_map<pid_t, std::int64_t> victims_;  // tgid -> marked at
  std::unordered_map<pid_t, LockHold> lock_holds_;   // by tgid: mmap_lock waits of its threads
  std::uint64_t oom_count_ = 0;
};

}  // namespace oomlab::watchdog
