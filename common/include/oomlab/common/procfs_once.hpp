// One-read variant of read_proc_file_into for the watchdog's hot path.
// A /proc file generated whole by the kernel on the first read (stat, statm,
// wchan, status, schedstat: seq_file single_open) needs exactly one read()
// when the buffer is large enough; the EOF read that read_proc_file_into
// adds doubles the syscalls of a 2,000-task scan. Same guard: the paths that
// block behind the target's mmap lock are refused (std::logic_error).
#pragma once
#include <cstddef>

namespace oomlab {

// open + one read + close. Returns the bytes read (a result equal to cap
// means the file may be longer: truncated), or -1.
long read_proc_file_once(const char* path, char* buf, std::size_t cap);

}  // namespace oomlab
