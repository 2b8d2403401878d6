#include "oomlab/facts/wait_kind.hpp"

namespace oomlab::facts {
namespace {

struct Pattern {
  std::string_view prefix;  // matches a symbol that starts with it
  WaitKind kind;
  // In a whole stack, only right above the rwsem slow path: a fault entry
  // or a syscall that takes the mmap lock and goes on to do other things
  // (a fault further out of an I/O wait holds the lock, it does not wait).
  bool taker_only = false;
};

// Most specific first. Checked on 6.1-6.18 (wchan of an mmap() blocked behind
// a held lock is vm_mmap_pgoff; the rwsem slow path itself is __sched).
constexpr Pattern kPatterns[] = {
    // reclaim and its throttles
    {"try_to_free_pages", WaitKind::Reclaim},
    {"try_to_free_mem_cgroup_pages", WaitKind::Reclaim},
    {"do_try_to_free_pages", WaitKind::Reclaim},
    {"shrink_", WaitKind::Reclaim},
    {"reclaim_throttle", WaitKind::Reclaim},
    {"throttle_direct_reclaim", WaitKind::Reclaim},
    {"mem_cgroup_handle_over_high", WaitKind::Reclaim},
    {"reclaim_high", WaitKind::Reclaim},
    {"__perform_reclaim", WaitKind::Reclaim},
    {"__alloc_pages_direct_reclaim", WaitKind::Reclaim},
    {"congestion_wait", WaitKind::Reclaim},
    {"wait_iff_congested", WaitKind::Reclaim},   // 4.x reclaim throttle
    {"throttle_vm_writeout", WaitKind::Reclaim},
    {"balance_dirty_pages", WaitKind::Reclaim},
    // allocator, OOM, charge
    {"__alloc_pages_slowpath", WaitKind::Alloc},
    {"__alloc_pages_may_oom", WaitKind::Alloc},
    {"__alloc_pages_direct_compact", WaitKind::Alloc},
    {"out_of_memory", WaitKind::Alloc},
    {"mem_cgroup_out_of_memory", WaitKind::Alloc},
    {"mem_cgroup_oom", WaitKind::Alloc},
    {"memcg1_oom", WaitKind::Alloc},
    {"try_charge", WaitKind::Alloc},
    {"compact_zone", WaitKind::Alloc},
    {"try_to_compact_pages", WaitKind::Alloc},
    {"pagefault_out_of_memory", WaitKind::Alloc},
    // The allocator's entry after its more specific parts above: a task
    // asleep under it is in an allocation (2015's "too small to fail" retry
    // sleeps in schedule_timeout_uninterruptible from __alloc_pages_nodemask).
    {"__alloc_pages_nodemask", WaitKind::Alloc},
    {"__alloc_pages", WaitKind::Alloc},
    // mmap lock: the lock helpers and the callers that take it
    {"rwsem_down_", WaitKind::MmapLock},
    {"mmap_read_lock", WaitKind::MmapLock},
    {"mmap_write_lock", WaitKind::MmapLock},
    {"__mmap_lock", WaitKind::MmapLock},
    {"lock_mm_and_find_vma", WaitKind::MmapLock},
    {"vm_mmap_pgoff", WaitKind::MmapLock},
    {"ksys_mmap_pgoff", WaitKind::MmapLock},
    {"__vm_munmap", WaitKind::MmapLock},
    {"vm_munmap", WaitKind::MmapLock},
    {"__do_sys_brk", WaitKind::MmapLock},
    {"__x64_sys_brk", WaitKind::MmapLock},
    {"do_mprotect_pkey", WaitKind::MmapLock},
    {"do_madvise", WaitKind::MmapLock},
    {"__do_sys_mremap", WaitKind::MmapLock},
    {"do_mlock", WaitKind::MmapLock},
    {"apply_mlockall_flags", WaitKind::MmapLock},
    {"__mm_populate", WaitKind::MmapLock},
    {"__access_remote_vm", WaitKind::MmapLock},
    {"access_remote_vm", WaitKind::MmapLock},
    {"get_cmdline", WaitKind::MmapLock},
    {"proc_pid_cmdline_read", WaitKind::MmapLock},
    {"environ_read", WaitKind::MmapLock},
    {"mem_rw", WaitKind::MmapLock},
    {"m_start", WaitKind::MmapLock},
    {"exit_mmap", WaitKind::MmapLock},
    {"exit_mm", WaitKind::MmapLock},
    {"dup_mmap", WaitKind::MmapLock},
    {"userfaultfd_", WaitKind::MmapLock},
    // Takers seen right above the rwsem slow path in hung-task and sysrq
    // stacks (mmap_read_lock() is inline, so the fault or syscall itself is
    // the caller): faults of x86 (4.x: __do_page_fault, 5.x+:
    // do_user_addr_fault), arm64 and others (do_page_fault), powerpc,
    // sparc64; the syscalls of kernels before the do_* helpers; khugepaged.
    {"do_user_addr_fault", WaitKind::MmapLock, true},
    {"__do_page_fault", WaitKind::MmapLock, true},
    {"___do_page_fault", WaitKind::MmapLock, true},
    {"do_page_fault", WaitKind::MmapLock, true},
    {"do_sparc64_fault", WaitKind::MmapLock, true},
    {"SyS_munmap", WaitKind::MmapLock, true},   // 2.6: the syscalls took the lock themselves
    {"sys_munmap", WaitKind::MmapLock, true},
    {"SyS_mmap", WaitKind::MmapLock, true},
    {"sys_mmap", WaitKind::MmapLock, true},
    {"SyS_brk", WaitKind::MmapLock, true},
    {"sys_brk", WaitKind::MmapLock, true},
    {"SyS_mprotect", WaitKind::MmapLock, true},
    {"sys_mprotect", WaitKind::MmapLock, true},
    {"SyS_mremap", WaitKind::MmapLock, true},
    {"sys_mremap", WaitKind::MmapLock, true},
    {"SyS_madvise", WaitKind::MmapLock, true},
    {"sys_madvise", WaitKind::MmapLock, true},
    {"vm_brk", WaitKind::MmapLock, true},
    {"get_user_pages_unlocked", WaitKind::MmapLock, true},
    {"process_vm_rw_core", WaitKind::MmapLock, true},
    {"collapse_huge_page", WaitKind::MmapLock, true},
    {"khugepaged_scan_mm_slot", WaitKind::MmapLock, true},
    {"hpage_collapse_scan_mm_slot", WaitKind::MmapLock, true},
    // waiting for a page to come in (or go out) while memory is short
    {"folio_wait_bit", WaitKind::Io},
    {"folio_wait_", WaitKind::Io},
    {"__folio_lock", WaitKind::Io},
    {"wait_on_page_bit", WaitKind::Io},
    {"__lock_page", WaitKind::Io},
    {"filemap_fault", WaitKind::Io},
    {"io_schedule", WaitKind::Io},
    {"swap_readpage", WaitKind::Io},
    {"swap_read_folio", WaitKind::Io},
    {"do_swap_page", WaitKind::Io},
};

// The generic sleeping-rwsem path, whatever the lock (4.x:
// rwsem_down_read_failed via call_rwsem_down_read_failed; 5.x+:
// rwsem_down_read_slowpath via down_read_killable; lockdep's _nested).
constexpr std::string_view kRwsemPath[] = {"rwsem_down_", "call_rwsem_down_", "__down_read", "__down_write",
                                           "down_read", "down_write", "__rwsem_", "rwsem_"};

std::string_view strip_offset(std::string_view symbol) {
  if (auto plus = symbol.find('+'); plus != std::string_view::npos) symbol = symbol.substr(0, plus);
  while (!symbol.empty() && (symbol.back() == ' ' || symbol.back() == '\n' || symbol.back() == '\r')) symbol.remove_suffix(1);
  return symbol;
}

bool starts(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }

const Pattern* find_pattern(std::string_view symbol) {
  for (const auto& p : kPatterns)
    if (starts(symbol, p.prefix)) return &p;
  return nullptr;
}

// "[<0>] try_to_free_pages+0x1c/0x40" -> "try_to_free_pages+0x1c/0x40"
std::string_view frame_symbol(std::string_view line) {
  if (auto close = line.find("] "); close != std::string_view::npos) line.remove_prefix(close + 2);
  while (!line.empty() && line.front() == ' ') line.remove_prefix(1);
  return line;
}

}  // namespace

const char* wait_kind_name(WaitKind k) {
  switch (k) {
    case WaitKind::Reclaim: return "reclaim";
    case WaitKind::Alloc: return "alloc";
    case WaitKind::MmapLock: return "mmap_lock";
    case WaitKind::Io: return "io";
    case WaitKind::Exit: return "exit";
    case WaitKind::None: break;
  }
  return "none";
}

WaitKind wait_kind_from_name(std::string_view name) {
  for (WaitKind k : {WaitKind::Reclaim, WaitKind::Alloc, WaitKind::MmapLock, WaitKind::Io, WaitKind::Exit})
    if (name == wait_kind_name(k)) return k;
  return WaitKind::None;
}

LockMode rwsem_mode(std::string_view symbol) {
  symbol = strip_offset(symbol);
  static constexpr std::string_view kWrite[] = {"rwsem_down_write", "call_rwsem_down_write", "__down_write",
                                                "down_write_killable", "mmap_write_lock"};
  static constexpr std::string_view kRead[] = {"rwsem_down_read", "call_rwsem_down_read", "__down_read",
                                               "down_read_killable", "mmap_read_lock"};
  for (auto p : kWrite)
    if (starts(symbol, p)) return LockMode::Write;
  for (auto p : kRead)
    if (starts(symbol, p)) return LockMode::Read;
  return LockMode::None;
}

WaitKind classify_symbol(std::string_view symbol) {
  symbol = strip_offset(symbol);
  if (symbol.empty() || symbol == "0") return WaitKind::None;
  const Pattern* p = find_pattern(symbol);
  return p ? p->kind : WaitKind::None;
}

void StackClassifier::add(std::string_view symbol) {
  if (decided_) return;
  symbol = strip_offset(symbol);
  if (symbol.empty() || symbol == "0") return;
  for (std::string_view r : kRwsemPath)
    if (starts(symbol, r)) {
      // Further out of another lock's taker, an rwsem frame is not a wait.
      if (!other_lock_) in_rwsem_ = true;
      return;
    }
  const Pattern* p = find_pattern(symbol);
  if (in_rwsem_) {   // the frame that took the rwsem names it
    in_rwsem_ = false;
    if (p && p->kind == WaitKind::MmapLock) {
      kind_ = WaitKind::MmapLock;
      decided_ = true;
      return;
    }
    other_lock_ = true;
    if (p) {   // reclaim or the allocator taking a lock of its own: it stalls there
      kind_ = p->kind;
      decided_ = true;
    }
    return;
  }
  if (!p || p->taker_only) return;
  if (p->kind == WaitKind::MmapLock && other_lock_) return;   // holds the mmap lock, waits for another
  kind_ = p->kind;
  decided_ = true;
}

WaitKind StackClassifier::result() const {
  if (decided_) return kind_;
  return in_rwsem_ ? WaitKind::MmapLock : WaitKind::None;
}

WaitKind classify_stack(std::string_view text) {
  StackClassifier c;
  while (!text.empty() && !c.decided()) {
    std::size_t nl = text.find('\n');
    std::string_view sym = frame_symbol(text.substr(0, nl));
    if (!starts(sym, "? ")) c.add(sym);
    if (nl == std::string_view::npos) break;
    text.remove_prefix(nl + 1);
  }
  return c.result();
}

}  // namespace oomlab::facts
