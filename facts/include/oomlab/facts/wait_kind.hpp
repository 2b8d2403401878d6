// Kernel function names -> what a blocked task waits for. The one table of
// oomlab (the watchdog's scans, the runner's samples, the peers bench and
// the analyzer's task summaries all ask it). A table, as in syzkaller's
// pkg/report: wchan gives one symbol (scheduler and lock slow paths are
// skipped by the kernel, so an mmap-lock wait shows its caller, e.g.
// vm_mmap_pgoff); /proc/PID/stack gives the whole chain when readable.
#pragma once
#include <cstdint>
#include <string_view>

namespace oomlab::facts {

// What a blocked task waits for (docs/FORMATS.md KIND). None: not a memory
// wait (a pipe read, a futex, ...). Exit: dying without finishing (set by
// the watchdog from the task's flags, never from a symbol).
enum class WaitKind : std::uint8_t { None, Reclaim, Alloc, MmapLock, Io, Exit };

// "reclaim", "alloc", "mmap_lock", "io", "exit", "none".
const char* wait_kind_name(WaitKind k);

// The kind named by wait_kind_name() (None for an unknown name).
WaitKind wait_kind_from_name(std::string_view name);

// The kind for one symbol ("vm_mmap_pgoff", "try_to_free_pages+0x1c/0x40"
// offsets allowed), None when it says nothing about memory.
WaitKind classify_symbol(std::string_view symbol);

// The kind for a /proc/PID/stack text: the first frame (innermost) that
// classifies wins, so a reclaim under an mmap read lock counts as reclaim.
WaitKind classify_stack(std::string_view stack_text);

}  // namespace oomlab::facts
