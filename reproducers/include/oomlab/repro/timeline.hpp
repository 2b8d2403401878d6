// What the runner records while a scenario runs: one Sample per period, the
// OOM kills the kernel reported, and the kernel log lines of the run.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <sys/types.h>
#include <utility>
#include <vector>

#include "oomlab/cgroups/stats.hpp"
#include "oomlab/facts/psi.hpp"

namespace oomlab::repro {

struct TaskStates {
  int running = 0;   // R
  int sleeping = 0;  // S, I
  int disk = 0;      // D (uninterruptible: reclaim, mmap lock, page-in)
  int other = 0;     // T, t, Z, X
  // The wait channels of the D-state threads, most frequent first (top 3).
  std::vector<std::pair<std::string, int>> top_wait;
  // D-state threads per wait kind (facts::WaitKind as the index) from the
  // shared symbol table: what the stall model calls "blocked".
  int blocked[6] = {};
  int total() const { return running + sleeping + disk + other; }
};

// From the BPF stall tracer (--trace): the group's tasks in reclaim and
// waiting for an mmap lock at the moment of the sample.
struct TraceSample {
  int in_reclaim = 0;                   // tasks in direct or memcg reclaim now
  std::int64_t reclaim_longest_ms = 0;  // the longest current episode...
  std::string reclaim_task;             // ...its task "comm(tid)", kind, gfp and order
  std::string reclaim_kind;             // "direct" / "memcg"
  std::string reclaim_gfp;              // "0xcc0(GFP_KERNEL)"
  int reclaim_order = 0;
  int lock_waiters = 0;                 // tasks blocked on an mmap lock now
  std::int64_t lockwait_longest_ms = 0; // the longest current wait...
  std::string lockwait_waiter;          // ..."comm(tid)"
  bool lockwait_write = false;
  std::string lockwait_holders;         // "held for read by a(1), b(2)" / "holder unknown"
};

struct Sample {
  std::int64_t t_ms = 0;                     // since the workload started
  std::uint64_t usage_bytes = 0;
  std::optional<std::uint64_t> limit_bytes;  // nullopt: unlimited
  cgroups::MemoryEvents events;              // cumulative counters of the group
  std::optional<facts::PsiReading> psi;      // group PSI, else system-wide
  // Share of the last interval some/all tasks were stalled on memory, from
  // the PSI totals (exact over the interval, unlike the avg10 smoothing);
  // -1 when unknown.
  double psi_some_ratio = -1;
  double psi_full_ratio = -1;
  int processes = 0;
  TaskStates tasks;
  int oom_kills = 0;                         // cumulative, ours, from the kernel log
  // A kernel OOM victim of this run is still alive (not exited, not a
  // zombie) at this sample; victim_killed_ms: the oldest such kill.
  bool victim_alive = false;
  std::int64_t victim_killed_ms = -1;
  std::optional<TraceSample> trace;          // --trace with the tracer loaded
};

struct OomKill {
  std::int64_t t_ms = 0;      // kernel timestamp, relative to the workload start
  pid_t pid = 0;
  std::string comm;
  std::uint64_t anon_rss_kb = 0;
  std::string source;         // "kmsg" or "memory.events" (no kernel log access)
  // When the group's usage had dropped by half the victim's anon RSS (or 10%
  // of the limit when that is unknown), relative to the workload start. The
  // runner wakes up on the kernel's kill line and polls usage every
  // millisecond until then; nullopt when it did not see it that way.
  std::optional<std::int64_t> freed_at_ms;
  // freed_at_ms - t_ms; without freed_at_ms, from the samples (one period of
  // resolution). nullopt: nothing was freed.
  std::optional<std::int64_t> freed_ms;
  // The lowest group usage the runner's millisecond polling saw in the
  // kReliefWindowMs after the kill (nullopt: not polled). The samples of the
  // same window count too; see kill_relief_bytes().
  std::optional<std::uint64_t> low_usage_bytes;
  // How far below the usage at the kill (the limit, for a group OOM) the
  // group fell within kReliefWindowMs, and whether that is a substantial
  // drop (filled in by classify()).
  std::uint64_t relief_bytes = 0;
  bool relieved = false;
};

struct KernelLine {
  std::int64_t t_ms = 0;      // relative to the workload start (negative: before)
  std::string text;           // dmesg form "[  12.345678] message"
};

}  // namespace oomlab::repro
