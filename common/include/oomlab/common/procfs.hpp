// Reading /proc without ever touching the files that block behind a held
// mmap lock. PLATFORM.md: cmdline, environ, maps, smaps, smaps_rollup,
// numa_maps, mem and pagemap take the target's mmap lock; a monitor that reads
// them hangs in exactly the livelock it should report. Every /proc read in
// oomlab goes through read_proc_file(), which refuses those paths.
#pragma once
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <sys/types.h>

namespace oomlab {

// True for /proc/<pid>/<file> and /proc/<pid>/task/<tid>/<file> where <file>
// may block on the target's mmap lock. /proc/self/... is allowed: a process
// never deadlocks on its own files in these tools (they do not hold their
// own mmap lock while reading).
bool is_mmap_lock_proc_path(std::string_view path);

// Reads at most max_bytes of a small file (proc, sysfs, cgroupfs) with one
// open + read loop, O_CLOEXEC. Returns nullopt when the file cannot be opened
// or read (task gone, permission). Throws std::logic_error for a forbidden
// path: that is a programming error, never a runtime condition.
std::optional<std::string> read_proc_file(const std::string& path, std::size_t max_bytes = 64 * 1024);

// Same into a caller-provided buffer (no allocation: the watchdog's hot path).
// Returns the number of bytes read, or -1.
long read_proc_file_into(const char* path, char* buf, std::size_t cap);

// Writes a whole string to a control file (cgroupfs, /proc/<pid>/oom_score_adj).
// Returns 0 or the errno.
int write_control_file(const std::string& path, std::string_view value);

}  // namespace oomlab
