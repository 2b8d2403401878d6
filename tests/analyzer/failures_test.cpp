// Non-OOM kernel failures: class and syzbot-style title for each fixture,
// then field checks for the parts titles do not show.
#include <gtest/gtest.h>

#include "helpers.hpp"

namespace oomlab::analyzer::test {
namespace {

struct TitleCase {
  const char* fixture;
  VerdictClass verdict;
  std::vector<std::string> titles;   // every finding, most severe first
};

class Titles : public ::testing::TestWithParam<TitleCase> {};

TEST_P(Titles, ClassAndTitles) {
  const TitleCase& c = GetParam();
  Report r = fixture(c.fixture);
  EXPECT_EQ(r.verdict, c.verdict) << to_string(r.verdict);
  std::vector<std::string> titles;
  for (const Finding& f : r.findings) titles.push_back(f.title);
  EXPECT_EQ(titles, c.titles);
  ASSERT_FALSE(r.findings.empty());
  EXPECT_EQ(r.title, r.findings[0].title);
}

INSTANTIATE_TEST_SUITE_P(
    Fixtures, Titles,
    ::testing::Values(
        TitleCase{"hung_task_4.3.dmesg", VerdictClass::hung_task, {"INFO: task hung in lo_release"}},
        TitleCase{"hung_task_6.1_caller_crlf.dmesg", VerdictClass::hung_task, {"INFO: task hung in write_cache_pages"}},
        TitleCase{"soft_lockup_4.9.dmesg", VerdictClass::soft_lockup, {"BUG: soft lockup in shrink_page_list"}},
        TitleCase{"soft_lockup_6.1.dmesg", VerdictClass::soft_lockup, {"BUG: soft lockup in free_pcppages_bulk"}},
        TitleCase{"hard_lockup_5.15.dmesg", VerdictClass::soft_lockup, {"BUG: hard lockup in mix_interrupt_randomness"}},
        TitleCase{"rcu_stall_4.14.dmesg", VerdictClass::rcu_stall, {"INFO: rcu detected stall in shrink_slab"}},
        TitleCase{"rcu_stall_6.1.dmesg", VerdictClass::rcu_stall, {"INFO: rcu detected stall in flush_memcg_stats_dwork"}},
        TitleCase{"warning_3.16.dmesg", VerdictClass::warning, {"WARNING in __alloc_pages_nodemask"}},
        TitleCase{"warning_6.x.dmesg", VerdictClass::warning, {"WARNING in ext4_set_page_dirty", "WARNING in iomap_writepages"}},
        TitleCase{"lockdep_6.1.dmesg", VerdictClass::warning, {"possible deadlock in seq_read_iter"}},
        TitleCase{"bug_null_4.4_panic.dmesg", VerdictClass::crash, {"BUG: unable to handle kernel NULL pointer dereference in ext4_foo"}},
        TitleCase{"bug_null_6.1.dmesg", VerdictClass::crash, {"BUG: unable to handle kernel NULL pointer dereference in blk_mq_dispatch_rq_list"}},
        TitleCase{"gpf_kasan_syzkaller.txt", VerdictClass::crash, {"general protection fault in tcp_sendmsg_locked"}},
        TitleCase{"kasan_uaf.txt", VerdictClass::crash,
                  {"KASAN: use-after-free Read in ext4_xattr_set_entry", "KASAN: slab-out-of-bounds Write in sctp_getsockopt_local_addrs"}},
        TitleCase{"kmsan_ubsan.txt", VerdictClass::crash,
                  {"KMSAN: uninit-value in __skb_flow_dissect", "UBSAN: shift-out-of-bounds in foo_change",
                   "UBSAN: undefined-behaviour in zone_watermark_ok"}},
        TitleCase{"kernel_bug_invalid_opcode.dmesg", VerdictClass::crash, {"kernel BUG in free_pipe_info"}},
        TitleCase{"panic_no_killable.dmesg", VerdictClass::crash, {"kernel panic: System is deadlocked on memory"}},
        TitleCase{"warn_alloc_3.x_failure.txt", VerdictClass::warning, {"page allocation failure: order 4 in e1000_alloc_rx_buffers"}},
        TitleCase{"serial_interleaved_crlf.log", VerdictClass::hung_task,
                  {"INFO: task hung in jbd2_log_wait_commit", "BUG: soft lockup in spin_forever"}}));

TEST(Failures, HungTaskNamesTheBlockedTaskAndItsStack) {
  Report r = fixture("hung_task_4.3.dmesg");
  const Finding& f = r.findings.at(0);
  EXPECT_EQ(*detail<std::int64_t>(f, "blocked_s"), 120);
  ASSERT_EQ(f.tasks.size(), 1u);
  EXPECT_EQ(f.tasks[0].pid, 4112);
  EXPECT_EQ(f.tasks[0].comm, "losetup");
  EXPECT_EQ(f.tasks[0].role, "blocked");
  EXPECT_EQ(f.tasks[0].state, 'D');
  EXPECT_DOUBLE_EQ(*f.first.ts, 484.321004);
  EXPECT_DOUBLE_EQ(*f.last.ts, 484.335122);   // last frame of the dumped stack
  const Task* t = task_of(r, 4112);
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(t->source, "hung_task");
  EXPECT_EQ(t->ppid, 4001);
  ASSERT_EQ(t->frames.size(), 9u);
  EXPECT_EQ(t->frames[4].func, "lo_release");
  EXPECT_EQ(t->frames[4].module, "loop");
}

TEST(Failures, SoftLockupTaskAndDuration) {
  Report r = fixture("soft_lockup_6.1.dmesg");
  const Finding& f = r.findings.at(0);
  EXPECT_EQ(*detail<std::int64_t>(f, "stuck_s"), 26);
  EXPECT_EQ(f.tasks.at(0).pid, 4242);
  EXPECT_EQ(f.tasks.at(0).comm, "stress-ng");
}

TEST(Failures, PanicAfterOopsIsItsConsequence) {
  Report r = fixture("bug_null_4.4_panic.dmesg");
  ASSERT_EQ(r.findings.size(), 1u);   // the Oops line and the panic belong to the BUG report
  const Finding& f = r.findings[0];
  EXPECT_EQ(*detail<std::string>(f, "panic"), "Fatal exception");
  EXPECT_EQ(f.tasks.at(0).comm, "touch");
  EXPECT_NE(std::find(f.evidence.begin(), f.evidence.end(), 4u), f.evidence.end());    // "Oops: 0000 [#1] SMP"
  EXPECT_NE(std::find(f.evidence.begin(), f.evidence.end(), 18u), f.evidence.end());   // the panic line
}

TEST(Failures, WarningLocationFromEveryHeaderForm) {
  Report r = fixture("warning_6.x.dmesg");
  ASSERT_EQ(r.findings.size(), 2u);
  EXPECT_EQ(*detail<std::string>(r.findings[0], "location"), "fs/ext4/inode.c:3608");
  EXPECT_EQ(*detail<std::string>(r.findings[1], "location"), "fs/iomap/buffered-io.c:1234");
  Report old = fixture("warning_3.16.dmesg");
  EXPECT_EQ(*detail<std::string>(old.findings.at(0), "location"), "mm/page_alloc.c:2511");
  EXPECT_EQ(old.findings[0].last.line, 11u);   // "---[ end trace ... ]---"
}

TEST(Failures, AllocationFailureAndStalls) {
  Report r = fixture("warn_alloc_4.12.dmesg");
  ASSERT_EQ(r.findings.size(), 2u);
  EXPECT_EQ(r.findings[0].title, "page allocation failure: order 2 in tty_buffer_alloc");
  EXPECT_EQ(*detail<std::string>(r.findings[0], "gfp"), "0x2080020");
  EXPECT_EQ(*detail<std::string>(r.findings[0], "gfp_flags"), "GFP_ATOMIC");
  EXPECT_EQ(r.findings[1].klass, VerdictClass::allocation_stall);
  EXPECT_EQ(r.findings[1].title, "page allocation stalls for up to 20017 ms");
  const auto& stalls = r.memalloc.alloc_stalls;
  ASSERT_EQ(stalls.size(), 2u);
  EXPECT_EQ(stalls[0].task.comm, "a.out");
  EXPECT_EQ(stalls[0].ms, 10016u);
  EXPECT_EQ(stalls[0].order, 0);
  EXPECT_EQ(stalls[0].gfp, "0x24201ca");
  EXPECT_EQ(stalls[0].gfp_flags, "GFP_HIGHUSER_MOVABLE|__GFP_COLD");
  EXPECT_EQ(r.memalloc.max_delay_ms, 20017u);
}

TEST(Failures, MailTextWithKernelWordsIsNotACrash) {
  Report r = analyze_text(
      "+\t\tBUG_ON(!kprobe_unused(&op->kp));\n"
      "We should WARN_ON() here; a BUG() would panic.\n"
      "The OOM killer is invoked when ... Killed process is printed.\n"
      "> Kernel panic is not what we want.\n");
  EXPECT_EQ(r.verdict, VerdictClass::clean);
}

}  // namespace
}  // namespace oomlab::analyzer::test
