#include "oomlab/watchdog/stall_patterns.hpp"

namespace oomlab::watchdog {
namespace {

struct Pattern {
  std::string_view prefix;  // matches a symbol that starts with it
  StallKind kind;
};

// Most specific first. Checked on 6.1-6.18 (wchan of an mmap() blocked behind
// a held lock is vm_mmap_pgoff; the rwsem slow path itself is __sched).
constexpr Pattern kPatterns[] = {
    // reclaim and its throttles
    {"try_to_free_pages", StallKind::Reclaim},
    {"try_to_free_mem_cgroup_pages", StallKind::Reclaim},
    {"do_try_to_free_pages", StallKind::Reclaim},
    {"shrink_", StallKind::Reclaim},
    {"reclaim_throttle", StallKind::Reclaim},
    {"throttle_direct_reclaim", StallKind::Reclaim},
    {"mem_cgroup_handle_over_high", StallKind::Reclaim},
    {"reclaim_high", StallKind::Reclaim},
    {"__perform_reclaim", StallKind::Reclaim},
    {"__alloc_pages_direct_reclaim", StallKind::Reclaim},
    {"congestion_wait", StallKind::Reclaim},
    {"balance_dirty_pages", StallKind::Reclaim},
    // allocator, OOM, charge
    {"__alloc_pages_slowpath", StallKind::Alloc},
    {"__alloc_pages_may_oom", StallKind::Alloc},
    {"__alloc_pages_direct_compact", StallKind::Alloc},
    {"out_of_memory", StallKind::Alloc},
    {"mem_cgroup_out_of_memory", StallKind::Alloc},
    {"mem_cgroup_oom", StallKind::Alloc},
    {"memcg1_oom", StallKind::Alloc},
    {"try_charge", StallKind::Alloc},
    {"compact_zone", StallKind::Alloc},
    {"try_to_compact_pages", StallKind::Alloc},
    {"pagefault_out_of_memory", StallKind::Alloc},
    // mmap lock: the lock helpers and the callers that take it
    {"rwsem_down_", StallKind::MmapLock},
    {"mmap_read_lock", StallKind::MmapLock},
    {"mmap_write_lock", StallKind::MmapLock},
    {"__mmap_lock", StallKind::MmapLock},
    {"lock_mm_and_find_vma", StallKind::MmapLock},
    {"vm_mmap_pgoff", StallKind::MmapLock},
    {"ksys_mmap_pgoff", StallKind::MmapLock},
    {"__vm_munmap", StallKind::MmapLock},
    {"vm_munmap", StallKind::MmapLock},
    {"__do_sys_brk", StallKind::MmapLock},
    {"__x64_sys_brk", StallKind::MmapLock},
    {"do_mprotect_pkey", StallKind::MmapLock},
    {"do_madvise", StallKind::MmapLock},
    {"__do_sys_mremap", StallKind::MmapLock},
    {"do_mlock", StallKind::MmapLock},
    {"apply_mlockall_flags", StallKind::MmapLock},
    {"__mm_populate", StallKind::MmapLock},
    {"__access_remote_vm", StallKind::MmapLock},
    {"access_remote_vm", StallKind::MmapLock},
    {"get_cmdline", StallKind::MmapLock},
    {"proc_pid_cmdline_read", StallKind::MmapLock},
    {"environ_read", StallKind::MmapLock},
    {"mem_rw", StallKind::MmapLock},
    {"m_start", StallKind::MmapLock},
    {"exit_mmap", StallKind::MmapLock},
    {"exit_mm", StallKind::MmapLock},
    {"dup_mmap", StallKind::MmapLock},
    {"userfaultfd_", StallKind::MmapLock},
    // waiting for a page to come in (or go out) while memory is short
    {"folio_wait_bit", StallKind::Io},
    {"folio_wait_", StallKind::Io},
    {"__folio_lock", StallKind::Io},
    {"wait_on_page_bit", StallKind::Io},
    {"__lock_page", StallKind::Io},
    {"filemap_fault", StallKind::Io},
    {"io_schedule", StallKind::Io},
    {"swap_readpage", StallKind::Io},
    {"swap_read_folio", StallKind::Io},
    {"do_swap_page", StallKind::Io},
};

// "[<0>] try_to_free_pages+0x1c/0x40" -> "try_to_free_pages+0x1c/0x40"
std::string_view frame_symbol(std::string_view line) {
  if (auto close = line.find("] "); close != std::string_view::npos) line.remove_prefix(close + 2);
  while (!line.empty() && line.front() == ' ') line.remove_prefix(1);
  return line;
}

}  // namespace

const char* kind_name(StallKind k) {
  switch (k) {
    case StallKind::Reclaim: return "reclaim";
    case StallKind::Alloc: return "alloc";
    case StallKind::MmapLock: return "mmap_lock";
    case StallKind::Io: return "io";
    case StallKind::Exit: return "exit";
    case StallKind::None: break;
  }
  return "none";
}

StallKind classify_symbol(std::string_view symbol) {
  if (auto plus = symbol.find('+'); plus != std::string_view::npos) symbol = symbol.substr(0, plus);
  if (symbol.empty() || symbol == "0") return StallKind::None;
  for (const auto& p : kPatterns)
    if (symbol.substr(0, p.prefix.size()) == p.prefix) return p.kind;
  return StallKind::None;
}

StallKind classify_stack(std::string_view text) {
  while (!text.empty()) {
    std::size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    if (StallKind k = classify_symbol(frame_symbol(line)); k != StallKind::None) return k;
    if (nl == std::string_view::npos) break;
    text.remove_prefix(nl + 1);
  }
  return StallKind::None;
}

}  // namespace oomlab::watchdog
