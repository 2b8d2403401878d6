#include "oomlab/facts/wait_kind.hpp"

namespace oomlab::facts {
namespace {

struct Pattern {
  std::string_view prefix;  // matches a symbol that starts with it
  WaitKind kind;
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

WaitKind classify_symbol(std::string_view symbol) {
  if (auto plus = symbol.find('+'); plus != std::string_view::npos) symbol = symbol.substr(0, plus);
  if (symbol.empty() || symbol == "0") return WaitKind::None;
  for (const auto& p : kPatterns)
    if (symbol.substr(0, p.prefix.size()) == p.prefix) return p.kind;
  return WaitKind::None;
}

WaitKind classify_stack(std::string_view text) {
  while (!text.empty()) {
    std::size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    if (WaitKind k = classify_symbol(frame_symbol(line)); k != WaitKind::None) return k;
    if (nl == std::string_view::npos) break;
    text.remove_prefix(nl + 1);
  }
  return WaitKind::None;
}

}  // namespace oomlab::facts
