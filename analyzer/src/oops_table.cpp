// Every report kind the kernel prints, with its syzbot-style title. The kinds,
// title formats, frame sources and per-kind helper lists follow syzkaller
// pkg/report/linux.go (linuxOopses; Apache-2.0, commit 1e72964b, copy in
// ../shared/reference/syzkaller-pkg-report/). Differences: verdict classes are
// this project's; "Watchdog detected hard LOCKUP" (which syzkaller leaves to
// the panic after it) is titled like a soft lockup.
//
// Rows are tried in order; the first whose prefix starts the message and
// whose `contains` follows it wins, so specific rows precede general ones.
#include "oops_table.hpp"

#include "text.hpp"

namespace oomlab::analyzer {

namespace {

using P = Part;
using V = VerdictClass;

// --- frame plans (stackFmt in linux.go) -----------------------------------
constexpr std::string_view kKasanSkip[] = {"kernel_fault", "tag_check", "mem_abort", "^el1_", "^el1h_"};
constexpr FramePlan kKasan{{P::header_func, P::call_trace, P::stack}, {}, kKasanSkip};
constexpr std::string_view kKasanFreeSkip[] = {"slab_", "kfree", "vunmap", "vfree"};
constexpr FramePlan kKasanFree{{P::header_func, P::call_trace, P::stack}, {}, kKasanFreeSkip};
constexpr std::string_view kKmsanUsbSkip[] = {"alloc_skb", "usb_submit_urb", "usb_start_wait_urb", "usb_bulk_msg",
                                              "usb_interrupt_msg", "usb_control_msg"};
constexpr FramePlan kKmsanUsb{{P::stack, P::uninit_origin, P::stack}, {}, kKmsanUsbSkip};
// Encryption routines are where KMSAN notices, rarely where the bug is.
constexpr std::string_view kKmsanSkip[] = {"alloc_skb", "netlink_ack", "netlink_rcv_skb", "_encrypt$",
                                           "^crypto_", "^cipher_", "^drbg_", "^rng_"};
constexpr FramePlan kKmsan{{P::stack, P::uninit_origin, P::stack}, {}, kKmsanSkip};
constexpr FramePlan kKfence{{P::header_func, P::stack}};
constexpr FramePlan kRipTrace{{P::rip, P::call_trace, P::stack}};
constexpr FramePlan kRipOnly{{P::rip}};
constexpr FramePlan kTrace{{P::call_trace, P::stack}};
constexpr std::string_view kSpinSkip[] = {"spin_", "_lock", "_unlock"};
constexpr FramePlan kSpin{{P::call_trace, P::stack}, {}, kSpinSkip};
constexpr FramePlan kStallRip{{P::rip, P::call_trace, P::stack}, {}, {}, Extract::stall};
constexpr FramePlan kPcFrame{{P::pc_frame}};
constexpr FramePlan kPcTrace{{P::pc_frame, P::call_trace, P::stack}};
constexpr FramePlan kAtRaw{{P::at_raw}};
constexpr std::string_view kSchedSkip[] = {"schedule"};
constexpr FramePlan kSchedAtomic{{P::call_trace, P::stack}, {}, kSchedSkip};
constexpr std::string_view kBadPageSkip[] = {"free_page", "put_page", "get_page", "update_page", "release_page",
                                             "free_unref", "^folio", "^_folio", "^__folio", "^___folio",
                                             "truncate_inode_pages", "page_frag_free", "alloc", "vmap",
                                             "page_owner"};
constexpr FramePlan kBadPage{{P::page_owner, P::stack}, {}, kBadPageSkip};
constexpr std::string_view kPreemptSkip[] = {"dump_stack", "preemption", "preempt", "debug_", "processor_id",
                                             "this_cpu"};
constexpr FramePlan kPreempt{{P::call_trace, P::stack}, {}, kPreemptSkip};
constexpr std::string_view kLeakSkip[] = {"kmemleak", "mmap", "kmem", "slab", "alloc", "create_object", "idr_get",
                                          "list_lru_init", "kasprintf", "kvasprintf", "pcpu_create", "strdup",
                                          "strndup", "memdup"};
constexpr FramePlan kLeak{{P::backtrace, P::stack}, {}, kLeakSkip};
constexpr std::string_view kLockSockSkip[] = {"lock_sock", "release_sock"};
constexpr FramePlan kLockingBug{{P::call_trace, P::stack}, {}, kLockSockSkip};
// WARNINGs trap: the RIP names the warning's function; older kernels print
// only a stack (warningStackFmt).
constexpr FramePlan kWarn{{P::rip, P::stack}, {P::call_trace, P::stack}};
constexpr std::string_view kOdebugSkip[] = {"debug_", "rcu", "hrtimer_", "timer_", "work_", "percpu_", "vunmap",
                                            "vfree", "__free_", "debug_check", "kobject_"};
constexpr FramePlan kWarnOdebug{{P::rip, P::stack}, {P::call_trace, P::stack}, kOdebugSkip};
constexpr std::string_view kUsercopySkip[] = {"usercopy", "__check"};
constexpr FramePlan kWarnUsercopy{{P::rip, P::stack}, {P::call_trace, P::stack}, kUsercopySkip};
constexpr std::string_view kKobjectSkip[] = {"kobject_"};
constexpr FramePlan kWarnKobject{{P::rip, P::stack}, {P::call_trace, P::stack}, kKobjectSkip};
constexpr std::string_view kProcSkip[] = {"proc_"};
constexpr FramePlan kWarnProc{{P::rip, P::stack}, {P::call_trace, P::stack}, kProcSkip};
constexpr std::string_view kRefcountSkip[] = {"refcount", "kobject_"};
constexpr FramePlan kWarnRefcount{{P::rip, P::stack}, {P::call_trace, P::stack}, kRefcountSkip};
constexpr FramePlan kWarnLocking{{P::rip, P::stack}, {P::call_trace, P::stack}, kLockSockSkip};
constexpr std::string_view kKmallocSkip[] = {"kmalloc", "krealloc", "slab", "kmem"};
constexpr FramePlan kWarnKmalloc{{P::rip, P::stack}, {P::call_trace, P::stack}, kKmallocSkip};
constexpr std::string_view kUsbSkip[] = {"usb_submit_urb", "usb_start_wait_urb", "usb_bulk_msg", "usb_interrupt_msg",
                                         "usb_control_msg"};
constexpr FramePlan kWarnUsb{{P::rip, P::stack}, {P::call_trace, P::stack}, kUsbSkip};
// Work-item locks: deadlocks seen in these are the workqueue's own.
constexpr std::string_view kCircularSkip[] = {"process_one_work", "flush_workqueue", "drain_workqueue",
                                              "destroy_workqueue"};
constexpr FramePlan kCircular{{P::at, P::at, P::stack}, {}, kCircularSkip};
constexpr FramePlan kWhichBecame{{P::which_became, P::stack}};
constexpr std::string_view kRcuUsageSkip[] = {"rcu", "kmem", "slab"};
constexpr FramePlan kRcuUsage{{P::call_trace, P::stack}, {}, kRcuUsageSkip};
// The stalled CPU's frames are those after the timer interrupt that found it.
constexpr std::string_view kRcuSkip[] = {"apic_timer_interrupt", "rcu"};
constexpr FramePlan kRcu{{P::apic, P::rip, P::stack}, {P::irq_entry, P::stack}, kRcuSkip, Extract::stall};
constexpr std::string_view kNonStaticSkip[] = {"stack", "lock", "IRQ"};
constexpr FramePlan kNonStatic{{P::call_trace, P::stack}, {}, kNonStaticSkip};
constexpr FramePlan kHung{{P::call_trace, P::stack}, {}, {}, Extract::hung};
constexpr FramePlan kCantDie{{P::call_trace, P::stack}, {}, kSchedSkip};
constexpr std::string_view kStackChkSkip[] = {"stack_chk"};
constexpr FramePlan kStackProtector{{P::header_func}, {P::call_trace, P::stack}, kStackChkSkip};
constexpr std::string_view kStackEndSkip[] = {"schedule", "retint_kernel"};
constexpr FramePlan kStackEnd{{P::call_trace, P::stack}, {}, kStackEndSkip, Extract::stall};
constexpr std::string_view kBadStackSkip[] = {"bad_stack"};
constexpr FramePlan kStackOverflow{{P::call_trace, P::stack}, {}, kBadStackSkip, Extract::stall};
constexpr std::string_view kUsercopyBugSkip[] = {"usercopy", "__check"};
constexpr FramePlan kUsercopyBug{{P::call_trace, P::stack}, {}, kUsercopyBugSkip};
// Lots of skb wrappers contain BUG_ON, but the bug is almost always in the caller.
constexpr std::string_view kSkbSkip[] = {"^skb_"};
constexpr FramePlan kKernelBug{{P::rip, P::call_trace, P::stack}, {}, kSkbSkip};
constexpr std::string_view kUbsanSkip[] = {"ubsan", "overflow"};
constexpr FramePlan kUbsan{{P::call_trace, P::stack}, {}, kUbsanSkip};

// --- row conditions that a prefix and one substring cannot say --------------
std::string_view func_after_location(std::string_view m) {   // "... at mm/util.c:597 kvmalloc_node+0x.."
  std::size_t c = m.find(".c:");
  if (c == std::string_view::npos) return {};
  std::size_t sp = m.find(' ', c);
  return sp == std::string_view::npos ? std::string_view{} : text::token_at(m, sp + 1);
}
// "WARNING: .*mm/.*\.c.* k?.?malloc" (a kmalloc-family warning in mm/)
bool mm_kmalloc(std::string_view m) {
  if (!text::contains(m, "mm/")) return false;
  std::string_view f = func_after_location(m);
  if (text::starts_with(f, "k")) f.remove_prefix(1);
  return text::starts_with(f, "malloc") || (f.size() > 1 && text::starts_with(f.substr(1), "malloc"));
}
bool vmalloc_node(std::string_view m) { return text::contains(m, "__vmalloc_node"); }
bool kernel_lock(std::string_view m) { return text::contains(func_after_location(m), "lock_"); }
// "{{SRC}}": some "dir/file.ext:LINE" token.
bool has_source(std::string_view m) {
  for (std::size_t c = m.find(':'); c != std::string_view::npos; c = m.find(':', c + 1)) {
    if (c + 1 >= m.size() || !text::is_digit(m[c + 1])) continue;
    std::size_t b = c;
    while (b > 0 && m[b - 1] != ' ' && m[b - 1] != '[') --b;
    std::string_view file = m.substr(b, c - b);
    std::size_t dot = file.rfind('.');
    if (dot != std::string_view::npos && dot + 1 < file.size() && text::is_alpha(file[dot + 1])) return true;
  }
  return false;
}

struct Row {
  OopsFormat f;
  bool (*when)(std::string_view msg) = nullptr;
};

constexpr Row R(std::string_view prefix, std::string_view contains, std::string_view cap_end, V k,
                std::string_view title, const FramePlan* plan = nullptr, bool (*when)(std::string_view) = nullptr) {
  return Row{OopsFormat{prefix, contains, cap_end, k, title, plan, false}, when};
}
constexpr Row Ignore(std::string_view prefix) { return Row{OopsFormat{prefix, {}, {}, V::clean, {}, nullptr, true}}; }

// cap_end "\n" = no capture needed; "" = up to the end of the line.
constexpr std::string_view N = "\n";

const Row kRows[] = {
    // --- BUG: (sanitizers, faults, locking, memory) --------------------------
    R("BUG: KASAN: double-free or invalid-free in", {}, N, V::crash, "KASAN: invalid-free in {frame}", &kKasanFree),
    R("BUG: KASAN: double-free in", {}, N, V::crash, "KASAN: invalid-free in {frame}", &kKasanFree),
    R("BUG: KASAN: invalid-free in", {}, N, V::crash, "KASAN: invalid-free in {frame}", &kKasanFree),
    R("BUG: KASAN: ", " in ", " ", V::crash, "KASAN: {1} {access} in {frame}", &kKasan),
    R("BUG: KASAN: ", " on address", " ", V::crash, "KASAN: {1} {access}"),
    R("BUG: KASAN: ", {}, {}, V::crash, "KASAN: {1}"),
    R("BUG: KMSAN: kernel-usb-infoleak in", {}, N, V::crash, "KMSAN: kernel-usb-infoleak in {frame}", &kKmsanUsb),
    R("BUG: KMSAN: ", " in ", " ", V::crash, "KMSAN: {1} in {frame}", &kKmsan),
    R("BUG: KCSAN: ", {}, {}, V::crash, "KCSAN: {1}"),
    R("BUG: KFENCE: invalid free in", {}, N, V::crash, "KFENCE: invalid free in {frame}", &kKfence),
    R("BUG: KFENCE: memory corruption in", {}, N, V::crash, "KFENCE: memory corruption in {frame}", &kKfence),
    R("BUG: KFENCE: ", " in ", " in ", V::crash, "KFENCE: {1} in {frame}", &kKfence),
    R("BUG: unable to handle kernel paging request", {}, N, V::crash,
      "BUG: unable to handle kernel paging request in {frame}", &kRipTrace),
    R("BUG: unable to handle page fault for address", {}, N, V::crash,
      "BUG: unable to handle kernel paging request in {frame}", &kRipTrace),
    R("BUG: Unable to handle kernel data access", {}, N, V::crash,
      "BUG: unable to handle kernel paging request in {frame}", &kRipTrace),
    R("BUG: unable to handle kernel NULL pointer dereference", {}, N, V::crash,
      "BUG: unable to handle kernel NULL pointer dereference in {frame}", &kRipTrace),
    R("BUG: kernel NULL pointer dereference", {}, N, V::crash,
      "BUG: unable to handle kernel NULL pointer dereference in {frame}", &kRipTrace),
    R("BUG: Kernel NULL pointer dereference", {}, N, V::crash,
      "BUG: unable to handle kernel NULL pointer dereference in {frame}", &kRipTrace),
    R("BUG: unable to handle kernel", {}, N, V::crash, "BUG: unable to handle kernel"),
    R("BUG: Unable to handle kernel", {}, N, V::crash, "BUG: unable to handle kernel"),
    R("BUG: spinlock lockup suspected", {}, N, V::soft_lockup, "BUG: spinlock lockup suspected in {frame}", &kSpin),
    R("BUG: spinlock ", {}, " on ", V::crash, "BUG: spinlock {1} in {frame}", &kSpin),
    R("BUG: rwlock ", {}, " on ", V::crash, "BUG: rwlock {1} in {frame}", &kSpin),
    R("BUG: soft lockup", {}, N, V::soft_lockup, "BUG: soft lockup in {frame}", &kStallRip),
    R("BUG: ", "still has locks held!", N, V::crash, "BUG: still has locks held in {frame}", &kPcFrame),
    R("BUG: scheduling while atomic", {}, N, V::crash, "BUG: scheduling while atomic in {frame}", &kSchedAtomic),
    R("BUG: lock held when returning to user space", {}, N, V::crash,
      "BUG: lock held when returning to user space in {frame}", &kAtRaw),
    R("BUG: bad unlock balance detected!", {}, N, V::crash, "BUG: bad unlock balance in {frame}", &kPcTrace),
    R("BUG: held lock freed!", {}, N, V::crash, "BUG: held lock freed in {frame}", &kPcFrame),
    R("BUG: Bad rss-counter state", {}, N, V::crash, "BUG: Bad rss-counter state"),
    R("BUG: non-zero nr_ptes on freeing mm", {}, N, V::crash, "BUG: non-zero nr_ptes on freeing mm"),
    R("BUG: non-zero nr_pmds on freeing mm", {}, N, V::crash, "BUG: non-zero nr_pmds on freeing mm"),
    // The block device and file system type are left out: loop0/loop1 split one bug.
    R("BUG: Dentry ", "still in use", N, V::crash, "BUG: Dentry still in use in unmount"),
    R("BUG: Bad page state", {}, N, V::crash, "BUG: Bad page state in {frame}", &kBadPage),
    R("BUG: Bad page cache", {}, N, V::crash, "BUG: Bad page cache in {frame}", &kBadPage),
    R("BUG: Bad page map", {}, N, V::crash, "BUG: Bad page map"),
    R("BUG: workqueue lockup", {}, N, V::soft_lockup, "BUG: workqueue lockup"),
    R("BUG: sleeping function called from invalid context", {}, N, V::crash,
      "BUG: sleeping function called from invalid context in {frame}", &kTrace),
    R("BUG: using ", "() in preemptible", "()", V::crash, "BUG: using {1}() in preemptible code in {frame}", &kPreempt),
    R("BUG: workqueue leaked lock or atomic", {}, N, V::crash, "BUG: workqueue leaked lock or atomic"),
    // kmemleak's report keeps the class every "BUG:" line had before this table.
    R("BUG: memory leak", {}, N, V::crash, "memory leak in {frame}", &kLeak),
    R("BUG: ", "stack guard page was hit at", N, V::crash, "BUG: stack guard page was hit in {frame}", &kStallRip),
    // arm/arm64 print as BUG what x86 prints as a lockdep WARNING: one title.
    R("BUG: Invalid wait context", {}, N, V::crash, "WARNING: locking bug in {frame}", &kLockingBug),
    Ignore("BUG: no syscalls can create resource"),
    R("BUG: ", {}, {}, V::crash, "BUG: {1}"),
    R("BUG:", {}, N, V::crash, "BUG: corrupted"),
    R("BUG kmalloc-", "Object already free", N, V::crash, "BUG: Object already free"),

    // --- WARNING: -------------------------------------------------------------
    // Printed by user space or as advice, not kernel warnings.
    Ignore("WARNING: /etc/ssh/moduli does not exist"),
    Ignore("WARNING: workqueue cpumask: online intersect > possible intersect"),
    Ignore("WARNING: The mand mount option"),
    Ignore("WARNING: the mand mount option"),
    Ignore("WARNING: Unsupported flag value(s) of 0x"),
    Ignore("WARNING: Unprivileged eBPF is enabled with eIBRS"),
    Ignore("WARNING: fbcon: Driver '"),
    Ignore("WARNING: See https"),
    Ignore("WARNING: kernel not compiled with CPU_SRSO"),
    R("WARNING: ", "lib/debugobjects.c", N, V::warning, "WARNING: ODEBUG bug in {frame}", &kWarnOdebug),
    R("WARNING: ", "mm/usercopy.c", N, V::warning, "WARNING: bad usercopy in {frame}", &kWarnUsercopy),
    R("WARNING: ", "lib/kobject.c", N, V::warning, "WARNING: kobject bug in {frame}", &kWarnKobject),
    R("WARNING: ", "fs/proc/generic.c", N, V::warning, "WARNING: proc registration bug in {frame}", &kWarnProc),
    R("WARNING: ", "lib/refcount.c", N, V::warning, "WARNING: refcount bug in {frame}", &kWarnRefcount),
    R("WARNING: ", "kernel/locking/lockdep.c", N, V::warning, "WARNING: locking bug in {frame}", &kWarnLocking,
      kernel_lock),
    R("WARNING: ", "still has locks held!", N, V::warning, "WARNING: still has locks held in {frame}", &kAtRaw),
    R("WARNING: Nested lock was not taken", {}, N, V::warning, "WARNING: nested lock was not taken in {frame}", &kWarn),
    R("WARNING: lock held when returning to user space", {}, N, V::warning,
      "WARNING: lock held when returning to user space in {frame}", &kAtRaw),
    R("WARNING: ", "mm/", N, V::warning, "WARNING: kmalloc bug in {frame}", &kWarnKmalloc, mm_kmalloc),
    R("WARNING: ", "mm/vmalloc.c", N, V::warning, "WARNING: zero-size vmalloc in {frame}", &kWarn, vmalloc_node),
    R("WARNING: ", " usb_submit_urb", N, V::warning, "WARNING in {frame}/usb_submit_urb", &kWarnUsb),
    R("WARNING: possible circular locking dependency detected", {}, N, V::warning, "possible deadlock in {frame}",
      &kCircular),
    R("WARNING: possible irq lock inversion dependency detected", {}, N, V::warning, "possible deadlock in {frame}",
      &kAtRaw),
    R("WARNING: ", "lock order detected", N, V::warning, "possible deadlock in {frame}", &kWhichBecame),
    R("WARNING: possible recursive locking detected", {}, N, V::warning, "possible deadlock in {frame}", &kAtRaw),
    R("WARNING: inconsistent lock state", {}, N, V::warning, "inconsistent lock state in {frame}", &kTrace),
    R("WARNING: suspicious RCU usage", {}, N, V::warning, "WARNING: suspicious RCU usage in {frame}", &kRcuUsage),
    R("WARNING: kernel stack regs at ", "has bad 'bp' value", N, V::warning,
      "WARNING: kernel stack regs has bad 'bp' value"),
    R("WARNING: kernel stack frame pointer at ", "has bad value", N, V::warning,
      "WARNING: kernel stack frame pointer has bad value"),
    R("WARNING: bad unlock balance detected!", {}, N, V::warning, "WARNING: bad unlock balance in {frame}", &kPcTrace),
    R("WARNING: held lock freed!", {}, N, V::warning, "WARNING: held lock freed in {frame}", &kAtRaw),
    // "CPU: 0 PID: 1 at FILE:LINE FUNC", "at FILE:LINE FUNC()", "FILE:LINE at FUNC, CPU#0: ..."
    R("WARNING: ", " at ", N, V::warning, "WARNING in {frame}", &kWarn, has_source),
    R("WARNING: ", {}, {}, V::warning, "WARNING: {1}"),
    R("WARNING:", {}, N, V::warning, "WARNING: corrupted"),

    // --- INFO: (lockdep before 4.x, stalls, hung tasks) ------------------------
    Ignore("INFO: lockdep is turned off"),
    Ignore("INFO: Stall ended before state dump start"),
    Ignore("INFO: NMI handler"),
    R("INFO: possible circular locking dependency detected", {}, N, V::warning, "possible deadlock in {frame}", &kAtRaw),
    R("INFO: possible irq lock inversion dependency detected", {}, N, V::warning, "possible deadlock in {frame}",
      &kAtRaw),
    R("INFO: SOFTIRQ-safe -> SOFTIRQ-unsafe lock order detected", {}, N, V::warning, "possible deadlock in {frame}",
      &kAtRaw),
    R("INFO: possible recursive locking detected", {}, N, V::warning, "possible deadlock in {frame}", &kAtRaw),
    R("INFO: inconsistent lock state", {}, N, V::warning, "inconsistent lock state in {frame}", &kAtRaw),
    R("INFO: rcu", "stall", N, V::rcu_stall, "INFO: rcu detected stall in {frame}", &kRcu),
    R("INFO: trying to register non-static key", {}, N, V::warning, "INFO: trying to register non-static key in {frame}",
      &kNonStatic),
    R("INFO: suspicious RCU usage", {}, N, V::warning, "INFO: suspicious RCU usage in {frame}", &kRcuUsage),
    R("INFO: task ", " blocked ", N, V::hung_task, "INFO: task hung in {frame}", &kHung),
    R("INFO: task ", " can't die ", N, V::hung_task, "INFO: task can't die in {frame}", &kCantDie),

    // --- faults, traps, panics ---------------------------------------------------
    R("Unable to handle kernel paging request", {}, N, V::crash, "BUG: unable to handle kernel paging request in {frame}",
      &kRipTrace),
    R("Unable to handle kernel NULL pointer dereference", {}, N, V::crash,
      "BUG: unable to handle kernel NULL pointer dereference in {frame}", &kRipTrace),
    R("Unable to handle kernel access to user memory", {}, N, V::crash,
      "BUG: unable to handle kernel access to user memory in {frame}", &kRipTrace),
    // arm64's other kernel faults ("execute from non-executable memory", "write to
    // read-only memory") are paging faults too.
    R("Unable to handle kernel ", {}, N, V::crash, "BUG: unable to handle kernel paging request in {frame}", &kRipTrace),
    R("general protection fault", {}, N, V::crash, "general protection fault in {frame}", &kRipTrace),
    R("stack segment: ", {}, N, V::crash, "stack segment fault in {frame}", &kRipTrace),
    R("Kernel panic - not syncing: stack-protector:", {}, N, V::crash, "kernel panic: stack is corrupted in {frame}",
      &kStackProtector),
    R("Kernel panic - not syncing: corrupted stack end", {}, N, V::crash, "kernel panic: corrupted stack end in {frame}",
      &kStackEnd),
    R("Kernel panic - not syncing: kernel stack overflow", {}, N, V::crash, "kernel stack overflow in {frame}",
      &kStackOverflow),
    R("Kernel panic - not syncing: Attempted to kill init!", {}, N, V::crash, "kernel panic: Attempted to kill init!"),
    R("Kernel panic - not syncing: Couldn't open N_TTY ldisc", {}, N, V::crash, "kernel panic: Couldn't open N_TTY ldisc"),
    R("Kernel panic - not syncing: ", {}, {}, V::crash, "kernel panic: {1}"),
    R("PANIC: double fault", {}, N, V::crash, "PANIC: double fault in {frame}", &kRipOnly),
    R("kernel BUG at mm/usercopy.c", {}, N, V::crash, "BUG: bad usercopy in {frame}", &kUsercopyBug),
    R("kernel BUG at lib/list_debug.c", {}, N, V::crash, "BUG: corrupted list in {frame}", &kTrace),
    R("kernel BUG at ", {}, N, V::crash, "kernel BUG in {frame}", &kKernelBug),
    R("divide error: ", {}, N, V::crash, "divide error in {frame}", &kRipOnly),
    // A misspelling of the above since 5.9 (x86/entry: Convert Divide Error to IDTENTRY).
    R("divide_error: ", {}, N, V::crash, "divide error in {frame}", &kRipOnly),
    R("invalid opcode: ", {}, N, V::crash, "invalid opcode in {frame}", &kRipOnly),
    R("int3: ", {}, N, V::crash, "int3 in {frame}", &kRipTrace),
    R("Internal error: ", {}, N, V::crash, "Internal error in {frame}", &kRipTrace),
    R("Unhandled fault: ", {}, N, V::crash, "Unhandled fault in {frame}", &kRipTrace),
    R("UBSAN: Undefined behaviour in", {}, N, V::crash, "UBSAN: undefined-behaviour in {frame}", &kUbsan),
    R("UBSAN: array-index-out-of-bounds in", {}, N, V::crash, "UBSAN: array-index-out-of-bounds in {frame}", &kUbsan),
    R("UBSAN: ", " in", " in", V::crash, "UBSAN: {1} in {frame}", &kUbsan),
    R("UBSAN: ", {}, {}, V::crash, "UBSAN: {1}"),
    // The unregistering task waits for the last reference forever.
    R("unregister_netdevice: waiting for ", " to become free", N, V::hung_task,
      "unregister_netdevice: waiting for DEV to become free"),
    R("VFS: Close: file count is 0", {}, N, V::crash, "VFS: Close: file count is zero (use-after-free)"),
    R("VFS: Busy inodes after unmount", {}, N, V::crash, "VFS: Busy inodes after unmount (use-after-free)"),
    // Not in syzkaller's table (the panic that follows names it there).
    R("Watchdog detected hard LOCKUP", {}, N, V::soft_lockup, "BUG: hard lockup in {frame}", &kStallRip),
};

}  // namespace

const OopsFormat* find_oops(std::string_view msg) {
  for (const Row& r : kRows) {
    if (!text::starts_with(msg, r.f.prefix)) continue;
    // From the prefix's last byte: "WARNING: at FILE" holds " at ".
    if (!r.f.contains.empty() && msg.find(r.f.contains, r.f.prefix.size() - 1) == std::string_view::npos) continue;
    if (r.when && !r.when(msg)) continue;
    return &r.f;
  }
  return nullptr;
}

bool is_warn_splat(const OopsFormat* f) {
  return f && f->plan && f->plan->parts[0] == Part::rip && f->plan->parts2[0] == Part::call_trace;
}

}  // namespace oomlab::analyzer
