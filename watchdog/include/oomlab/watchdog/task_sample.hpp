// One task as seen by one scan, filled from /proc/PID/stat by facts'
// parse_proc_stat (the one stat parser). Fixed-size on purpose: the sampler fills a preallocated array of
// these every period without touching the heap.
#pragma once
#include <cstdint>
#include <string_view>
#include <sys/types.h>

#include "oomlab/facts/wait_kind.hpp"
#include "oomlab/watchdog/taskstats.hpp"

namespace oomlab::watchdog {

// include/linux/sched.h
constexpr std::uint64_t kPfExiting = 0x00000004;
constexpr std::uint64_t kPfKthread = 0x00200000;
constexpr std::uint64_t kSigkillBit = 1ull << (9 - 1);

// What a blocked task waits for: the shared table of facts/wait_kind.hpp.
using StallKind = facts::WaitKind;
inline const char* kind_name(StallKind k) { return facts::wait_kind_name(k); }
using facts::classify_stack;
using facts::classify_symbol;

struct TaskSample {
  pid_t tid = 0;
  pid_t tgid = 0;
  char comm[17] = {};
  char state = '?';
  std::uint64_t flags = 0;          // PF_* (stat field 9)
  std::uint64_t sigpending = 0;     // the thread's pending set (stat field 31)
  std::uint64_t starttime = 0;      // clock ticks since boot: (tid, starttime) names a task
  std::uint64_t rss_pages = 0;      // of the whole process
  std::uint64_t blkio_ticks = 0;    // delayacct_blkio_ticks (field 42); 0 unless task_delayacct
  int num_threads = 1;
  // Filled for blocked/dying tasks only (sampler.cpp: detail pass).
  char wchan[48] = {};
  StallKind kind = StallKind::None;  // from wchan, else from the kernel stack
  // Delay accounting (sampler.cpp: blocked, dying and running tasks while
  // kernel.task_delayacct is on and taskstats answers).
  bool has_delays = false;
  DelayTotals delays;

  bool kernel_thread() const { return flags & kPfKthread; }
  bool exiting() const { return flags & kPfExiting; }
  bool dying() const { return sigpending & kSigkillBit; }
};

// The content of /proc/PID/stat or /proc/PID/task/TID/stat into t (tid,
// comm, state, flags, sigpending, starttime, rss, blkio, num_threads),
// through facts::parse_proc_stat. False when the text is not a stat line or
// ends before rss (field 24).
bool parse_stat(std::string_view text, TaskSample& t);

}  // namespace oomlab::watchdog
