// /proc/PID/stat and /proc/PID/task/TID/stat, parsed once for every tool:
// the watchdog's per-period scan (allocation-free: this parser never
// allocates), the runner's samples and its subreaper's child list, the
// cgroups library (owner start times, parents), the tracer's state check and
// the peers bench's CPU probe. A fuzz
// target may call parse_proc_stat() with any bytes.
#pragma once
#include <cstdint>
#include <string_view>
#include <sys/types.h>

namespace oomlab::facts {

struct ProcStat {
  pid_t pid = 0;                 // field 1 (the tid for task/TID/stat)
  char comm[17] = {};            // field 2, cut to 16 bytes; between the first '(' and the LAST ')'
  char state = '?';              // field 3: R, S, D, Z, T, t, X, I
  pid_t ppid = 0;                // field 4
  std::uint64_t flags = 0;       // field 9: PF_*
  std::uint64_t utime = 0, stime = 0, cutime = 0, cstime = 0;  // fields 14-17: CPU in clock ticks
  int num_threads = 1;           // field 20
  std::uint64_t starttime = 0;   // field 22: clock ticks since boot
  std::uint64_t rss_pages = 0;   // field 24
  std::uint64_t sigpending = 0;  // field 31: the thread's pending signal set
  std::uint64_t blkio_ticks = 0; // field 42: delayacct_blkio_ticks (0 unless task_delayacct)
  int fields = 0;                // the last field read (the kernel prints 52; 3 = up to state)
};

// False when the text is not a stat line (no "pid (comm) S"); fields tells
// how far it went (a caller that needs rss wants fields >= 24). Never
// allocates.
bool parse_proc_stat(std::string_view text, ProcStat& out);

}  // namespace oomlab::facts
