// /proc/PID/status, parsed once for every tool: the tracer's tgid of a
// victim the tracepoint gave only as a pid, the benches' peak RSS of a guard
// (VmHWM). The file is "Name:\tvalue" lines (fs/proc/array.c); the memory
// lines end in " kB". Kernel threads have no Vm*/Rss* lines; old kernels
// (< 4.5) have no RssAnon/RssFile/RssShmem. A fuzz target may call
// parse_proc_status() with any bytes.
#pragma once
#include <cstdint>
#include <string_view>
#include <sys/types.h>

namespace oomlab::facts {

struct ProcStatus {
  pid_t tgid = 0, ppid = 0;          // Tgid:, PPid:
  std::uint64_t vm_hwm_kb = 0;       // VmHWM: peak resident set
  std::uint64_t vm_rss_kb = 0;       // VmRSS: resident set now
  std::uint64_t rss_anon_kb = 0;     // RssAnon: (4.5+)
  std::uint64_t rss_file_kb = 0;     // RssFile:
  std::uint64_t rss_shmem_kb = 0;    // RssShmem: (shmem/tmpfs/memfd pages mapped)
  bool has_memory = false;           // VmRSS: was there (false for kernel threads)
};

// False when the text has no "Tgid:" line (not a status file). Never
// allocates; unknown and malformed lines are skipped.
bool parse_proc_status(std::string_view text, ProcStatus& out);

}  // namespace oomlab::facts
