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

// Which side of an rwsem a frame's task sleeps for (4.x
// rwsem_down_write_failed and its call_ thunk, 5.x+ rwsem_down_write_slowpath,
// __down_write*, down_write_killable, mmap_write_lock; the same for read),
// None for any other frame. The plain down_read/down_write wrappers say
// nothing: a stack shows them under the slow path, and a stale "? down_write"
// word is no wait.
enum class LockMode : std::uint8_t { None, Read, Write };
LockMode rwsem_mode(std::string_view symbol);

// A whole stack, fed one frame at a time from the innermost out (a
// /proc/PID/stack text, a kernel log's "Call Trace:" as it streams by). The
// first frame that classifies wins, so a reclaim under an mmap read lock
// counts as reclaim; except for the generic rwsem slow path
// (rwsem_down_read_slowpath, down_write, call_rwsem_down_read_failed ...):
// which lock it waits for is said by the frame that took it. When that frame
// is an mmap-lock taker (a fault, vm_munmap, __access_remote_vm...) the wait
// is mmap_lock; otherwise the rwsem is another lock (an inode's, a
// superblock's) and mmap-lock frames further out hold the mmap lock rather
// than wait for it (kswapd on xfs_ilock under shrink_page_list: reclaim).
// A stack that ends inside the rwsem slow path (nothing took it, a cut
// stack) counts as mmap_lock, as classify_symbol() says of such a wchan.
class StackClassifier {
 public:
  // One frame's symbol ("down_read+0x12/0x20", offsets allowed). Callers
  // leave out the "? " frames of a kernel log: they are stale stack words.
  void add(std::string_view symbol);
  WaitKind result() const;
  bool decided() const { return decided_; }

 private:
  WaitKind kind_ = WaitKind::None;
  bool decided_ = false;
  bool in_rwsem_ = false;     // the frames so far are the rwsem slow path
  bool other_lock_ = false;   // an rwsem taken by a frame that is not an mmap-lock taker
};

// The kind for a /proc/PID/stack text ("[<0>] func+0x1/0x2" lines), as
// StackClassifier reads it.
WaitKind classify_stack(std::string_view stack_text);

}  // namespace oomlab::facts
