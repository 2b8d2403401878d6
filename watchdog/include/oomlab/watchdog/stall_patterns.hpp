// Kernel function names -> what a blocked task waits for. A table, as in
// syzkaller's pkg/report: wchan gives one symbol (scheduler and lock slow
// paths are skipped by the kernel, so an mmap-lock wait shows its caller,
// e.g. vm_mmap_pgoff); /proc/PID/stack gives the whole chain when readable.
#pragma once
#include <string_view>

#include "oomlab/watchdog/task_sample.hpp"

namespace oomlab::watchdog {

// The kind for one symbol ("vm_mmap_pgoff", "try_to_free_pages+0x1c/0x40"
// offsets allowed), None when it says nothing about memory.
StallKind classify_symbol(std::string_view symbol);

// The kind for a /proc/PID/stack text: the first frame (innermost) that
// classifies wins, so a reclaim under an mmap read lock counts as reclaim.
StallKind classify_stack(std::string_view stack_text);

}  // namespace oomlab::watchdog
