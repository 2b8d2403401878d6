// Frame facts taken from syzkaller pkg/report/linux.go (Apache-2.0, commit
// 1e72964b, copy in ../shared/reference/syzkaller-pkg-report/): the generic
// helper list (linuxStackParams.skipPatterns), the syscall-wrapper prefixes
// (stripFramePrefixes), the stall anchors (linuxStallAnchorFrames) and the
// hung-task rules (linuxHangTaskFrameExtractor). Their regular expressions
// are written out here as plain patterns (see frame_rules.hpp for the syntax):
// "k?v?(?:m|z|c)alloc" becomes "malloc", "zalloc", "calloc" and so on.
#include "frame_rules.hpp"

#include "text.hpp"

namespace oomlab::analyzer {

namespace {

// linuxStackParams.skipPatterns: helpers that are where a report is printed,
// not where the bug is (sanitizer runtime, reporting, allocation, locking,
// string/copy/list helpers, workqueue/device teardown, MMIO accessors).
constexpr std::string_view kSkip[] = {
    "__sanitizer", "__asan", "kasan", "hwasan", "__msan", "kmsan", "kcsan_setup_watchpoint",
    "check_memory_region", "check_heap_object", "check_object", "read_word_at_a_time",
    "read_once_*nocheck", "write_once_*nocheck", "print_address_description", "panic", "invalid_op",
    "report_bug", "fixup_bug", "print_report", "print_usage_bug", "do_error", "_trap$", "do_trap",
    "show_stack", "dump_stack", "walk_stack", "dump_backtrace", "warn_slowpath", "warn_alloc", "warn_bogus",
    "__warn", "alloc_page", "malloc", "zalloc", "calloc", "krealloc", "kmem_cache", "allocate_slab",
    "__alloc_frozen_pages_noprof", "folio_alloc", "folio_unlock", "filemap_alloc_folio", "__filemap_get_folio",
    "find_or_create_page", "do_read_cache_folio", "read_cache_page", "pagecache_get_page",
    "grab_cache_page_write_begin", "slab_", "debug_object", "timer_is_static_object", "work_is_static_object",
    "__might_fault", "print_unlock", "imbalance_bug", "lockdep", "bh_enable", "bh_disable", "perf_trace",
    "lock_acquire", "lock_release", "lock_class", "mark_lock", "reacquire_held_locks", "mark_held_locks",
    "raw_spin_rq", "spin_lock", "spin_trylock", "spin_unlock", "read_lock", "read_trylock", "write_lock",
    "write_trylock", "read_unlock", "write_unlock", "^down$", "down_read", "down_write", "down_read_trylock",
    "down_write_trylock", "down_trylock", "up_read", "up_write", "^mutex_", "^__mutex_", "^rt_mutex_",
    "owner_on_cpu", "osq_lock", "osq_unlock",
    // atomic(64)?_(dec|inc|read|set|or|xor|and|add|sub|fetch|xchg|cmpxchg|try)
    "atomic_dec", "atomic_inc", "atomic_read", "atomic_set", "atomic_or", "atomic_xor", "atomic_and", "atomic_add",
    "atomic_sub", "atomic_fetch", "atomic_xchg", "atomic_cmpxchg", "atomic_try", "atomic64_dec", "atomic64_inc",
    "atomic64_read", "atomic64_set", "atomic64_or", "atomic64_xor", "atomic64_and", "atomic64_add", "atomic64_sub",
    "atomic64_fetch", "atomic64_xchg", "atomic64_cmpxchg", "atomic64_try",
    "set_bit", "clear_bit", "change_bit", "test_bit", "__wake_up", "^refcount_", "^kref_", "ref_tracker",
    "seqprop_assert", "memcpy", "memcmp", "memset", "memchr", "memmove", "memdup", "strcmp", "strncmp", "strcpy",
    "strlcpy", "strncpy", "strscpy", "strlen", "strstr", "strnstr", "strnlen", "strchr", "strdup", "strndup",
    "copy_to_user", "copy_from_user", "copy_to_iter", "copy_from_iter", "copy_page_to_iter", "copy_page_from_iter",
    "copy_folio_to_iter", "^copyin$", "^copyout$", "put_user", "get_user", "might_fault", "might_sleep",
    "list_add", "list_del", "list_replace", "list_move", "list_splice", "^rb_", "^__rb_",
    "_indirect_thunk_",   // retpolines
    "string", "pointer", "snprintf", "scnprintf", "kasprintf", "kvasprintf", "printk", "va_format", "dev_info",
    "dev_notice", "dev_warn", "dev_err", "dev_alert", "dev_crit", "dev_emerg", "program_check_exception",
    "program_check_common", "del_timer", "flush_work", "__cancel_work_timer", "cancel_work_sync",
    "try_to_grab_pending", "flush_workqueue", "drain_workqueue", "destroy_workqueue", "queue_work", "finish_wait",
    "kthread_stop", "kobject_", "add_uevent_var", "get_device_parent", "device_add", "device_del",
    "device_unregister", "device_destroy", "device_release", "devres_release_all", "hwrng_unregister",
    "i2c_del_adapter", "__unregister_client", "device_for_each_child", "rollback_registered", "unregister_netdev",
    "sysfs_remove", "device_remove_file", "tty_unregister_device", "dummy_urb_enqueue", "usb_kill_urb",
    "usb_kill_anchored_urbs", "usb_control_msg", "usb_hcd_submit_urb", "usb_submit_urb", "^complete$",
    "wait_for_completion", "^kfree$", "^kvfree$", "kfree_skb", "readb$", "readw$", "readl$", "readq$", "writeb$",
    "writew$", "writel$", "writeq$", "logic_in", "logic_out", "^crc#", "crc_itu_t", "__might_resched",
    "assertfail", "^iput$", "^iput_final$", "^ihold$", "hex_dump_to_buffer", "print_hex_dump", "^klist_",
    "trace_hardirq", "trace_softirq", "lockdep_hardirq", "lockdep_softirq", "^lock_page", "^unlock_page",
    "stack_trace_consume_entry", "arch_stack_walk", "stack_trace_save", "insert_work", "__queue_delayed_work",
    "queue_delayed_work_on", "ida_free",
    // arm64 translation exception handling path.
    "do_kernel_fault", "do_translation_fault", "do_mem_abort", "el1_abort", "el1h_64_sync", "print_tainted",
    "xas_start", "xas_load", "xas_find", "find_lock_entries", "truncate_inode_pages_range", "__phys_addr",
    "__fortify_report", "cleanup_srcu_struct", "rhashtable_lookup", "extract_user_to_sg", "extract_iter_to_sg",
    "drop_nlink", "^get_taint$", "^put_device$", "lock_timer_base", "__timer_delete_sync", "sk_stop_timer_sync",
    "__mod_timer", "fast_dput", "dput", "mark_buffer_dirty",
};

// linuxStackParams.stripFramePrefixes.
constexpr std::string_view kSyscallPrefixes[] = {
    "SYSC_", "SyS_", "sys_", "__x64_", "__ia32_", "__arm64_", "____sys_", "___sys_", "__sys_",
    "__se_", "__se_sys_", "__do_sys_", "compat_SYSC_", "compat_SyS_", "ksys_",
};

// linuxStallAnchorFrames: generic functions that dispatch work (syscall entry,
// workqueues, softirqs, timers, kthreads) and the discriminating syscalls
// (file and socket operations) whose caller is the interesting frame.
constexpr std::string_view kStallAnchors[] = {
    "process_one_work", "do_syscall_", "do_fast_syscall_", "sysenter_dispatch", "tracesys_phase2",
    "el0_svc_handler", "invoke_syscall", "ret_fast_syscall", "netif_receive_skb", "do_softirq", "call_timer_fn",
    "_run_timers", "run_timer_softirq", "hrtimer_run", "run_ksoftirqd", "smpboot_thread_fn", "^kthread$",
    "start_secondary", "cpu_startup_entry", "ret_from_fork",
    "vfs_write", "vfs_read", "vfs_iter_read", "vfs_iter_write", "do_iter_read", "do_iter_write", "call_read_iter",
    "call_write_iter", "new_sync_read", "new_sync_write", "vfs_ioctl", "ksys_ioctl", "compat_ioctl",
    "compat_sys_ioctl", "blkdev_driver_ioctl", "blkdev_ioctl", "do_iter_readv_writev", "^call_mmap",
    "mmap_region", "do_mmap", "do_dentry_open", "vfs_open",
    "^sock_sendmsg", "^sock_recvmsg", "^sock_release", "^__sock_release", "^setsockopt$", "kernel_setsockopt",
    "sock_common_setsockopt", "^listen$", "kernel_listen", "sk_common_release", "^sock_mmap", "^accept$",
    "kernel_accept", "^sock_do_ioctl", "^sock_ioctl", "^compat_sock_ioctl", "^nfnetlink_rcv_msg",
    "^rtnetlink_rcv_msg", "^netlink_dump", "^socketpair", "^connect", "^ioctl", "^sys_socketpair",
    "^sys_connect", "^sys_ioctl",
    "__do_fault", "do_page_fault", "^page_fault$", "__fput", "task_work_run", "exit_to_usermode",
    "smp_call_function", "tasklet_action", "tasklet_hi_action",
};

// linuxHangTaskFrameExtractor: waits that many unrelated hangs share, named
// by the wait itself, and the waiting machinery skipped otherwise.
struct HungAnchor {
  std::string_view contains, title;   // title "" = the frame itself
};
constexpr HungAnchor kHungAnchors[] = {
    {"rtnl_lock", ""},
    {"synchronize_rcu", "synchronize_rcu"},
    {"synchronize_srcu", "synchronize_rcu"},
    {"synchronize_net", "synchronize_rcu"},
    {"synchronize_sched", "synchronize_rcu"},
};
constexpr std::string_view kHungSkip[] = {
    "sched", "_lock", "_slowlock", "down", "rwsem", "completion", "kthread", "wait", "synchronize",
    "context_switch", "__switch_to", "cancel_delayed_work", "rcu_barrier",
};

bool match_at(std::string_view p, std::string_view s, bool to_end) {
  // Matches p against a prefix of s (all of s when to_end); '*' any run, '#' a digit.
  while (!p.empty()) {
    if (p[0] == '*') {
      p.remove_prefix(1);
      for (std::size_t i = 0; i <= s.size(); ++i)
        if (match_at(p, s.substr(i), to_end)) return true;
      return false;
    }
    if (s.empty()) return false;
    if (p[0] == '#' ? !text::is_digit(s[0]) : p[0] != s[0]) return false;
    p.remove_prefix(1);
    s.remove_prefix(1);
  }
  return !to_end || s.empty();
}

}  // namespace

bool frame_pattern_match(std::string_view p, std::string_view s) {
  const bool start = !p.empty() && p.front() == '^';
  if (start) p.remove_prefix(1);
  const bool end = !p.empty() && p.back() == '$';
  if (end) p.remove_suffix(1);
  if (start) return match_at(p, s, end);
  for (std::size_t i = 0; i <= s.size(); ++i)
    if (match_at(p, s.substr(i), end)) return true;
  return false;
}

bool skip_title_frame(std::string_view func, std::span<const std::string_view> extra) {
  for (auto p : kSkip)
    if (frame_pattern_match(p, func)) return true;
  for (auto p : extra)
    if (frame_pattern_match(p, func)) return true;
  return false;
}

std::string_view strip_syscall_prefix(std::string_view func) {
  std::string_view best = func;
  for (auto p : kSyscallPrefixes)
    if (text::starts_with(func, p) && func.size() - p.size() < best.size()) best = func.substr(p.size());
  return best;
}

std::string stall_frame(const std::vector<std::string>& frames) {
  if (frames.empty()) return {};
  std::string_view prev = frames[0];
  for (const std::string& f : frames) {
    for (auto a : kStallAnchors) {
      if (!frame_pattern_match(a, f)) continue;
      // smp_call_function*: the cross-CPU call itself names the stall.
      return text::contains(f, "smp_call_function") ? std::string("smp_call_function") : std::string(prev);
    }
    prev = f;
  }
  return {};
}

std::string hung_frame(const std::vector<std::string>& frames) {
  for (const std::string& f : frames)
    for (const HungAnchor& a : kHungAnchors)
      if (text::contains(f, a.contains)) return std::string(a.title.empty() ? std::string_view(f) : a.title);
  for (const std::string& f : frames) {
    bool skip = false;
    for (auto s : kHungSkip) skip = skip || text::contains(f, s);
    if (!skip) return f;
  }
  return {};
}

}  // namespace oomlab::analyzer
