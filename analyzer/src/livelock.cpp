// OOM victims that do not go away. For each OOM kill, look for proof that
// the victim was still there after the threshold (a later task dump, a hung
// task report, MemAlloc-Info still counting a victim or dying tasks), then
// read the dumped stacks to name the lock it waits for and who else is
// involved: the seed's mmap_sem livelock (victim in rwsem_down_write_failed
// via vm_munmap, its threads in rwsem_down_read_failed, one thread holding
// mmap_sem for read inside a page fault while it waits for memory, the hog
// in the allocator).
#include "livelock.hpp"

#include "oomlab/facts/wait_kind.hpp"

#include <algorithm>

#include "state.hpp"
#include "text.hpp"
#include "titles.hpp"

namespace oomlab::analyzer {

namespace {

using text::starts_with;

bool any_frame(const Task& t, std::initializer_list<std::string_view> prefixes) {
  for (const Frame& f : t.frames)
    for (auto p : prefixes)
      if (starts_with(f.func, p)) return true;
  return false;
}

}  // namespace

TaskWait classify_wait(const Task& t) {
  TaskWait w;
  // The first rwsem wait from the top among reliable frames; "? " frames
  // are stale stack words and only count when nothing reliable was printed.
  bool has_reliable = std::any_of(t.frames.begin(), t.frames.end(), [](const Frame& f) { return f.reliable; });
  for (const Frame& f : t.frames) {
    if (has_reliable && !f.reliable) continue;
    std::string_view fn = f.func;
    if (const facts::LockMode m = facts::rwsem_mode(fn); m != facts::LockMode::None) {
      w.kind = m == facts::LockMode::Write ? "write" : "read";
      break;
    }
    // In the allocator (allocating, compacting or reclaiming), as facts'
    // one wait table reads the frame.
    if (const facts::WaitKind k = facts::classify_symbol(fn); k == facts::WaitKind::Alloc || k == facts::WaitKind::Reclaim) {
      w.kind = "alloc";
      break;
    }
  }
  w.page_fault = any_frame(t, {"__do_page_fault", "do_page_fault", "do_user_addr_fault", "handle_mm_fault",
                               "exc_page_fault", "page_fault", "filemap_fault", "__handle_mm_fault"});
  w.where = first_meaningful(t.frames);
  return w;
}

std::string lock_name(const Task& t) {
  if (any_frame(t, {"mmap_write_lock", "mmap_read_lock", "__mmap_lock", "lock_mm_and_find_vma", "mmap_lock"}))
    return "mmap_lock";
  // Which rwsem: the frame that took it, as facts' one wait table reads the
  // stack (a fault, vm_munmap, exit_mm... is the mmap lock; xfs_ilock is not).
  facts::StackClassifier c;
  const bool has_reliable = std::any_of(t.frames.begin(), t.frames.end(), [](const Frame& f) { return f.reliable; });
  for (const Frame& f : t.frames)
    if (f.reliable || !has_reliable) c.add(f.func);
  return c.result() == facts::WaitKind::MmapLock ? "mmap_sem" : "rwsem";
}

}  // namespace oomlab::analyzer
