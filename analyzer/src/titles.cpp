#include "titles.hpp"

#include "state.hpp"
#include "text.hpp"

namespace oomlab::analyzer {

namespace {

using text::starts_with;

// Prefixes of helpers that never explain a report: the machinery of
// locking, sleeping, scheduling, stack dumping and bug reporting, entry
// code, and the sanitizers' own runtime (after syzkaller pkg/report's list).
constexpr std::string_view kGenericPrefixes[] = {
    "schedule", "__schedule", "preempt_schedule", "io_schedule", "__cond_resched", "_cond_resched",
    "rwsem_down_", "call_rwsem_", "down_read", "down_write", "__down", "down", "up_read", "up_write",
    "percpu_down_", "percpu_rwsem_", "rwbase_", "mutex_lock", "__mutex_lock", "mutex_unlock", "__mutex_unlock",
    "_raw_spin_", "_raw_read_", "_raw_write_", "raw_spin_", "spin_lock", "spin_unlock", "do_raw_spin_",
    "queued_spin_lock", "native_queued_spin", "__pv_queued_spin", "queued_read_lock", "queued_write_lock",
    "__lock_acquire", "lock_acquire", "lock_release", "lock_acquired", "lock_contended", "__lock_",
    "lock_sock", "rt_mutex", "__rt_mutex", "rtlock_", "ww_mutex", "__ww_mutex",
    "wait_for_completion", "__wait_for_common", "wait_for_common", "do_wait_for_common", "__wait_event",
    "wait_on_bit", "__wait_on_bit", "out_of_line_wait_on_bit", "bit_wait", "wait_on_page", "__wait_on_page",
    "wait_on_folio", "folio_wait", "__folio_lock", "folio_lock", "__lock_page", "lock_page", "put_and_wait_on_page",
    "prepare_to_wait", "finish_wait", "autoremove_wake", "schedule_timeout", "msleep", "usleep_range",
    "synchronize_rcu", "synchronize_srcu", "__synchronize_srcu", "rcu_barrier", "wait_rcu_gp", "__wait_rcu_gp",
    "dump_stack", "__dump_stack", "dump_backtrace", "show_stack", "show_trace", "sched_show_task", "show_regs", "__show_regs",
    "print_", "printk", "vprintk", "_printk", "warn_slowpath", "__warn", "warn_", "report_bug", "handle_bug",
    "do_error_trap", "do_trap", "do_invalid_op", "invalid_op", "exc_invalid_op", "asm_exc_", "exc_",
    "do_general_protection", "general_protection", "page_fault_oops", "no_context", "__bad_area",
    "bad_area", "kernelmode_fixup_or_oops", "oops_", "die", "__die", "panic", "nmi_", "arch_trigger_",
    "trigger_", "watchdog_timer_fn", "check_hung_", "watchdog", "rcu_dump_", "rcu_sched_clock_irq",
    "rcu_pending", "rcu_check_callbacks", "print_cpu_stall", "print_other_cpu_stall", "check_cpu_stall",
    "kasan_", "__kasan_", "kasan", "check_memory_region", "__asan_", "asan_", "kmsan_", "__msan_",
    "__ubsan_", "ubsan_", "kcsan_", "__kcsan_", "kfence_", "__kfence_", "check_noncircular", "check_prev_add",
    "validate_chain", "__lock_acquire", "check_deadlock", "mark_lock", "lockdep_",
    "entry_SYSCALL", "do_syscall_", "system_call", "ret_from_fork", "ret_from_intr", "kthread",
    "__sysvec_", "sysvec_", "asm_sysvec_", "smp_apic_timer_interrupt", "apic_timer_interrupt",
    "hrtimer_", "__hrtimer_", "tick_", "update_process_times", "irq_exit", "__irq_exit", "do_softirq",
    "__do_softirq", "handle_softirqs", "run_timer_softirq", "call_timer_fn", "__run_timers", "__sanitizer_",
    "memcpy", "memset", "memmove", "strlen", "strcmp", "strncpy", "__memcpy", "__memset",
    "__might_fault", "might_fault", "__might_sleep", "___might_sleep", "__might_resched", "_copy_to_user",
    "_copy_from_user", "copy_user_", "handle_overflow", "handle_null_ptr_deref", "handle_object_size_mismatch",
};

// Functions whose prefix is generic but which are real places.
constexpr std::string_view kNotGeneric[] = {"down_read_killable_nested_not_really", "downgrade_write", "dump_page"};

constexpr std::string_view kAllocatorPrefixes[] = {
    "__alloc_pages", "alloc_pages", "__get_free_pages", "get_zeroed_page", "__page_cache_alloc",
    "try_to_free_pages", "do_try_to_free_pages", "__perform_reclaim", "__alloc_pages_direct_", "out_of_memory",
    "__alloc_pages_may_oom", "shrink_", "warn_alloc", "kmalloc", "__kmalloc", "kmem_cache_alloc",
    "__kmem_cache_alloc", "slab_alloc", "___slab_alloc", "__slab_alloc", "new_slab", "allocate_slab",
    "alloc_slab_page", "kmalloc_order", "kmalloc_large", "vmalloc", "__vmalloc", "get_page_from_freelist",
    "alloc_page_interleave", "__folio_alloc", "folio_alloc", "vma_alloc_folio", "try_charge", "mem_cgroup_",
    "__mem_cgroup_", "charge_memcg", "throttle_direct_reclaim", "congestion_wait", "wait_iff_congested",
    "compact_", "__alloc_pages_slowpath", "kmem_getpages", "fallback_alloc", "cache_grow", "cache_alloc_refill",
    "____cache_alloc", "__do_cache_alloc", "__alloc_skb", "alloc_skb", "__netdev_alloc_skb", "netdev_alloc_skb",
    "__napi_alloc_skb", "page_frag_alloc", "__page_frag_alloc", "pagecache_get_page", "__filemap_get_folio",
};

}  // namespace

bool is_generic_frame(std::string_view f) {
  for (auto n : kNotGeneric)
    if (f == n) return false;
  for (auto p : kGenericPrefixes)
    if (starts_with(f, p)) return true;
  return false;
}

// Allocator entry points and internals (kmalloc, slab, skb, folio...):
// skipped when a title names where an allocation came from. Only titles ask
// this; what a task waits for is facts' one wait table (classify_symbol).
static bool is_allocator_frame(std::string_view f) {
  for (auto p : kAllocatorPrefixes)
    if (starts_with(f, p)) return true;
  return false;
}

std::string first_meaningful(const std::vector<Frame>& frames, std::size_t from, bool skip_alloc) {
  for (int pass = 0; pass < 2; ++pass) {   // reliable frames first
    for (std::size_t i = from; i < frames.size(); ++i) {
      const Frame& f = frames[i];
      if (pass == 0 && !f.reliable) continue;
      if (is_generic_frame(f.func) || (skip_alloc && is_allocator_frame(f.func))) continue;
      return f.func;
    }
  }
  return {};
}

std::string title_func(std::string_view f) {
  // GCC clones: "shrink_slab.part.47", "oom_kill_process.cold", "__alloc_pages_slowpath.constprop.0".
  std::size_t dot = f.find('.');
  return std::string(dot == std::string_view::npos || dot == 0 ? f : f.substr(0, dot));
}

}  // namespace oomlab::analyzer
