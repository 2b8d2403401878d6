// syzbot-style titles for each report kind the kernel prints, on reports in
// the shape syzbot and distribution kernels print them (raw console output
// with caller ids, symbolised reports with inlined frames, 4.x reports with
// "[<addr>]" and "? " frames). Each expected title follows syzkaller
// pkg/report's convention: which frame names the report and which helpers
// (list_del, memcmp, _copy_to_iter, usb_submit_urb, refcount_*, mutexes,
// the scheduler...) are skipped on the way.
#include <gtest/gtest.h>

#include "helpers.hpp"

namespace oomlab::analyzer::test {
namespace {

struct Case {
  const char* fixture;
  VerdictClass klass;
  const char* title;
};

class SyzbotTitles : public ::testing::TestWithParam<Case> {};

TEST_P(SyzbotTitles, FirstFindingHasTheConventionalTitle) {
  const Case& c = GetParam();
  Report r = fixture(c.fixture);
  ASSERT_FALSE(r.findings.empty());
  EXPECT_EQ(r.findings[0].title, c.title);
  EXPECT_EQ(r.findings[0].klass, c.klass) << to_string(r.findings[0].klass);
}

INSTANTIATE_TEST_SUITE_P(
    Kinds, SyzbotTitles,
    ::testing::Values(
        // KASAN: the header's function is a list helper, the caller names the bug.
        Case{"syzbot_kasan.txt", VerdictClass::crash, "KASAN: slab-use-after-free Read in hci_conn_unlink"},
        Case{"syzbot_kasan_copy_iter.txt", VerdictClass::crash, "KASAN: use-after-free Read in __skb_datagram_iter"},
        // WARN(): the trap's RIP, past refcount/usb helpers to the call trace.
        Case{"syzbot_warning_refcount.txt", VerdictClass::warning, "WARNING: refcount bug in nfc_llcp_sock_link"},
        Case{"syzbot_warning_usb.txt", VerdictClass::warning, "WARNING in ath9k_hif_usb_reg_in_cb/usb_submit_urb"},
        Case{"syzbot_odebug.txt", VerdictClass::warning, "WARNING: ODEBUG bug in nfc_llcp_local_put"},
        // Faults: RIP first, then the stack when the RIP is a helper.
        Case{"syzbot_gpf_memcmp.txt", VerdictClass::crash, "general protection fault in xfrm_state_lookup_byaddr"},
        Case{"syzbot_null_4.9.txt", VerdictClass::crash,
             "BUG: unable to handle kernel NULL pointer dereference in bond_3ad_state_machine_handler"},
        Case{"syzbot_divide.txt", VerdictClass::crash, "divide error in __tcp_select_window"},
        Case{"syzbot_list_corruption.txt", VerdictClass::crash, "BUG: corrupted list in nsim_dev_trap_report_work"},
        // Hung tasks: rtnl_lock and synchronize_rcu name themselves; otherwise
        // the first frame that is not waiting machinery.
        Case{"syzbot_hung_rtnl.txt", VerdictClass::hung_task, "INFO: task hung in rtnl_lock"},
        Case{"syzbot_hung_sync_rcu.txt", VerdictClass::hung_task, "INFO: task hung in synchronize_rcu"},
        Case{"syzbot_hung_4.x_old.txt", VerdictClass::hung_task, "INFO: task hung in jbd2_journal_commit_transaction"},
        // Stalls: the frame above the first dispatch point (syscall, ioctl,
        // netlink...), or smp_call_function for cross-CPU calls.
        Case{"syzbot_soft_lockup_smp.txt", VerdictClass::soft_lockup, "BUG: soft lockup in smp_call_function"},
        Case{"syzbot_soft_lockup_ioctl.txt", VerdictClass::soft_lockup, "BUG: soft lockup in snd_seq_ioctl"},
        Case{"syzbot_rcu_nmi.txt", VerdictClass::rcu_stall, "INFO: rcu detected stall in tc_ctl_action"},
        // Another CPU stalled: its NMI backtrace comes from its own printk context.
        Case{"syzbot_rcu_other_cpu.txt", VerdictClass::rcu_stall, "INFO: rcu detected stall in ip_set_destroy"},
        // lockdep: the held lock's "at:" (symbolised inline lines do not count).
        Case{"syzbot_lockdep_shmem.txt", VerdictClass::warning, "possible deadlock in shmem_file_write_iter"},
        Case{"syzbot_memleak.txt", VerdictClass::crash, "memory leak in ip6_route_info_create"},
        Case{"syzbot_ubsan_aiob.txt", VerdictClass::crash, "UBSAN: array-index-out-of-bounds in dbAdjTree"},
        // KMSAN/KFENCE print frames right after the header; KMSAN's origin
        // stack ("Uninit was created at:") does not name the report.
        Case{"syzbot_kmsan_origin.txt", VerdictClass::crash, "KMSAN: uninit-value in hfsplus_lookup"},
        Case{"syzbot_kfence.txt", VerdictClass::crash, "KFENCE: use-after-free read in __skb_clone"},
        Case{"syzbot_rcu_usage.txt", VerdictClass::warning, "WARNING: suspicious RCU usage in tcf_chain_tp_find"},
        // page_owner's allocation stack, past the allocator.
        Case{"syzbot_bad_page.txt", VerdictClass::crash, "BUG: Bad page state in __handle_mm_fault"},
        Case{"syzbot_sleeping.txt", VerdictClass::crash,
             "BUG: sleeping function called from invalid context in hci_cmd_sync_queue"}));

Report text(std::string_view t) { return analyze_text(t); }

TEST(SyzbotTitles, PanicOnWarnBelongsToTheWarning) {
  Report r = fixture("syzbot_warning_refcount.txt");
  ASSERT_EQ(r.findings.size(), 1u);
  EXPECT_EQ(*detail<std::string>(r.findings[0], "panic"), "kernel: panic_on_warn set ...");
}

TEST(SyzbotTitles, HeaderOnlyKindsAndSanitizedCopies) {
  EXPECT_EQ(text("unregister_netdevice: waiting for lo to become free. Usage count = 2\n").title,
            "unregister_netdevice: waiting for DEV to become free");
  EXPECT_EQ(text("BUG: KCSAN: data-race in tick_nohz_next_event / tick_nohz_stop_tick\n").title,
            "KCSAN: data-race in tick_nohz_next_event / tick_nohz_stop_tick");
  // Numbers and addresses copied from the log vary between runs of one bug.
  EXPECT_EQ(text("Kernel panic - not syncing: Out of memory: compulsory panic_on_oom is enabled\n").title,
            "kernel panic: Out of memory: compulsory panic_on_oom is enabled");
  EXPECT_EQ(text("BUG: Bad rss-counter state mm:ffff88801d8e0000 type:MM_ANONPAGES val:1\n").title,
            "BUG: Bad rss-counter state");
  EXPECT_EQ(text("BUG: unknown thing at 0xffffffff81234567 cpu 3\n").title, "BUG: unknown thing at ADDR cpu NUM");
  // The frame part too: JIT-ed BPF programs carry their tag in the name.
  EXPECT_EQ(text("BUG: unable to handle page fault for address: ffffc90000a3e000\n"
                 "RIP: 0010:bpf_prog_4b3e5f17a2c8e1d9+0x45/0x1000\n").title,
            "BUG: unable to handle kernel paging request in bpf_prog_ADDR");
}

TEST(SyzbotTitles, TrapsBehindThe69OopsPrefix) {
  Report r = text(
      "Oops: invalid opcode: 0000 [#1] PREEMPT SMP KASAN NOPTI\n"
      "CPU: 1 UID: 0 PID: 5312 Comm: syz.0.17 Not tainted 6.12.0-rc3-syzkaller #0\n"
      "RIP: 0010:skb_put+0x1a3/0x1b0 net/core/skbuff.c:2609\n"
      "Call Trace:\n"
      " <TASK>\n"
      " ? die+0x34/0x90\n"
      " nsh_gso_segment+0x4e1/0xe30 net/nsh/nsh.c:110\n"
      " </TASK>\n");
  EXPECT_EQ(r.title, "invalid opcode in skb_put");   // the RIP names it; only the frame plan's own skips apply
}

TEST(SyzbotTitles, EveryVariantOfAKnownHeaderIsAFinding) {
  Report arm = text(
      "Unable to handle kernel execute from non-executable memory at virtual address ffff000012345678\n"
      "pc : 0xffff000012345678\n"
      "lr : nf_hook_slow+0x48/0xd8\n"
      "Call trace:\n"
      " 0xffff000012345678\n"
      " nf_hook_slow+0x48/0xd8\n"
      " ip_output+0xd4/0x118\n");
  EXPECT_EQ(arm.verdict, VerdictClass::crash);
  EXPECT_EQ(arm.title, "BUG: unable to handle kernel paging request in nf_hook_slow");
  Report ub = text("UBSAN: some future check\n");
  EXPECT_EQ(ub.verdict, VerdictClass::crash);
  EXPECT_EQ(ub.title, "UBSAN: some future check");
}

TEST(SyzbotTitles, NotReportsStayClean) {
  // Printed by user space or as advice (syzkaller's suppressions).
  EXPECT_EQ(text("WARNING: /etc/ssh/moduli does not exist, using fixed modulus\n").verdict, VerdictClass::clean);
  EXPECT_EQ(text("INFO: lockdep is turned off.\n").verdict, VerdictClass::clean);
  EXPECT_EQ(text("INFO: recovery required on readonly filesystem.\n").verdict, VerdictClass::clean);
}

TEST(SyzbotTitles, WarningWithOnlyGenericFramesStillNamesAPlace) {
  // All frames "? " or generic: syzkaller calls it corrupted; the header's
  // function is still better than no place at all.
  Report r = fixture("warning_3.16.dmesg");
  EXPECT_EQ(r.title, "WARNING in __alloc_pages_nodemask");
}

}  // namespace
}  // namespace oomlab::analyzer::test
