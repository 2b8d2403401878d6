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
  // The second report has no dump_stack() line of its own (the next CPU:
  // line is kworker's): it is the same a.out, listed once with its pid.
  EXPECT_EQ(stalls[1].task.pid, 0);
  ASSERT_EQ(r.findings[1].tasks.size(), 1u);
  EXPECT_EQ(r.findings[1].tasks[0].pid, 2201);
  EXPECT_EQ(r.findings[1].tasks[0].comm, "a.out");
}

TEST(Failures, MailTextWithKernelWordsIsNotACrash) {
  Report r = analyze_text(
      "+\t\tBUG_ON(!kprobe_unused(&op->kp));\n"
      "We should WARN_ON() here; a BUG() would panic.\n"
      "The OOM killer is invoked when ... Killed process is printed.\n"
      "> Kernel panic is not what we want.\n");
  EXPECT_EQ(r.verdict, VerdictClass::clean);
}


// kernel/hung_task.c (6.15+, CONFIG_DETECT_HUNG_TASK_BLOCKER) names the lock a
// hung task waits for and its likely owner, then dumps the owner. The lines
// follow the kernel's format strings (no capture here: this host's
// hung_task_warnings is spent, and lowering its timeout would report other
// runs' tasks); the facts parser's own table is tests/facts/hung_task_test.cpp.
std::string hung_with_blocker(const std::string& blocker_line, const std::string& owner_frames, char owner_state) {
  return std::string(
             "[  245.012345] INFO: task cat:1150 blocked for more than 122 seconds.\n"
             "[  245.013001]       Not tainted 6.17.0 #1\n"
             "[  245.013502] \"echo 0 > /proc/sys/kernel/hung_task_timeout_secs\" disables this message.\n"
             "[  245.014100] task:cat             state:D stack:0     pid:1150  tgid:1150  ppid:1100   task_flags:0x400000 flags:0x00004002\n"
             "[  245.014900] Call Trace:\n"
             "[  245.015100]  <TASK>\n"
             "[  245.015300]  __schedule+0x3c8/0xb80\n"
             "[  245.015500]  schedule+0x27/0xf0\n"
             "[  245.015700]  schedule_preempt_disabled+0x15/0x30\n"
             "[  245.015900]  __mutex_lock.constprop.0+0x3ff/0x8a0\n"
             "[  245.016100]  read_dummy+0x2e/0x70 [test_hung]\n"
             "[  245.016300]  full_proxy_read+0x5b/0x90\n"
             "[  245.016500]  vfs_read+0xc5/0x390\n"
             "[  245.016700]  ksys_read+0x6a/0xf0\n"
             "[  245.016900]  do_syscall_64+0x5f/0x2d0\n"
             "[  245.017100]  entry_SYSCALL_64_after_hwframe+0x76/0x7e\n"
             "[  245.017300]  </TASK>\n"
             "[  245.017500] ") +
         blocker_line + "\n[  245.017700] task:cat             state:" + owner_state +
         " stack:0     pid:1149  tgid:1149  ppid:1100   task_flags:0x400000 flags:0x00000002\n"
         "[  245.017900] Call Trace:\n"
         "[  245.018100]  <TASK>\n" +
         owner_frames + "[  245.020300]  </TASK>\n";
}

const char* kSleepingOwner =
    "[  245.018300]  __schedule+0x3c8/0xb80\n"
    "[  245.018500]  schedule+0x27/0xf0\n"
    "[  245.018700]  schedule_timeout+0x77/0xf0\n"
    "[  245.018900]  msleep_interruptible+0x3e/0x60\n"
    "[  245.019100]  read_dummy+0x2d/0x70 [test_hung]\n"
    "[  245.019300]  full_proxy_read+0x5b/0x90\n";

TEST(HungTaskBlocker, TheFindingNamesTheLockAndItsLikelyOwner) {
  Report r = analyze_text(
      hung_with_blocker("INFO: task cat:1150 is blocked on a mutex likely owned by task cat:1149.", kSleepingOwner, 'S'));
  ASSERT_EQ(r.verdict, VerdictClass::hung_task) << r.title;
  ASSERT_EQ(r.findings.size(), 1u) << "the blocker line belongs to the hung report, it is not a second one";
  const Finding& f = r.findings[0];
  EXPECT_EQ(f.title, "INFO: task hung in read_dummy");
  ASSERT_TRUE(f.lock);
  EXPECT_EQ(f.lock->name, "mutex");
  EXPECT_EQ(f.lock->holders, std::vector<int>{1149});
  EXPECT_EQ(f.lock->write_waiters, std::vector<int>{1150});
  const TaskRole* owner = role_of(f, 1149);
  ASSERT_NE(owner, nullptr);
  EXPECT_EQ(owner->role, "holder");
  EXPECT_EQ(owner->state, 'S');
  EXPECT_EQ(owner->where, "read_dummy");
  ASSERT_NE(role_of(f, 1150), nullptr);
  EXPECT_EQ(role_of(f, 1150)->role, "blocked");
}

TEST(HungTaskBlocker, SemaphoreLineIsNotASecondHungReport) {
  // "blocked on a semaphore" has no "is": the old header rule (" blocked "
  // after COMM:PID) read it as another hung task.
  Report r = analyze_text(hung_with_blocker("INFO: task cat:1150 blocked on a semaphore likely last held by task cat:1149",
                                            kSleepingOwner, 'S'));
  ASSERT_EQ(r.findings.size(), 1u) << r.title;
  ASSERT_TRUE(r.findings[0].lock);
  EXPECT_EQ(r.findings[0].lock->name, "semaphore");
  EXPECT_EQ(r.findings[0].lock->holders, std::vector<int>{1149});
}

TEST(HungTaskBlocker, OwnerNotFoundNamesTheLockOnly) {
  Report r = analyze_text(
      hung_with_blocker("INFO: task cat:1150 is blocked on a mutex, but the owner is not found.", kSleepingOwner, 'S'));
  ASSERT_EQ(r.findings.size(), 1u);
  ASSERT_TRUE(r.findings[0].lock);
  EXPECT_TRUE(r.findings[0].lock->holders.empty());
  const TaskRole* other = role_of(r.findings[0], 1149);
  EXPECT_TRUE(other == nullptr || other->role != "holder");
}

TEST(HungTaskBlocker, LostHeaderTheBlockerLineStillReportsTheHungTask) {
  Report r = analyze_text("[  245.017500] INFO: task cat:1150 is blocked on a mutex likely owned by task cat:1149.\n");
  ASSERT_EQ(r.verdict, VerdictClass::hung_task) << r.title;
  ASSERT_TRUE(r.findings[0].lock);
  EXPECT_EQ(r.findings[0].lock->holders, std::vector<int>{1149});
}


TEST(HungTaskBlocker, AnRwSemaphoreWaitedOnFromMunmapIsTheMmapLock) {
  // 6.17+: the munmap writer hung behind a reader faulting on a FUSE file
  // (mmap-lock-hold's shape); the rw-semaphore is the mmap_lock.
  Report r = analyze_text(
    "[ 1230.512001] INFO: task a.out:2190 blocked for more than 122 seconds.\n"
    "[ 1230.512010]       Not tainted 6.17.0 #1\n"
    "[ 1230.512015] \"echo 0 > /proc/sys/kernel/hung_task_timeout_secs\" disables this message.\n"
    "[ 1230.512020] task:a.out           state:D stack:0     pid:2190  tgid:2188  ppid:2100   task_flags:0x400040 flags:0x00004002\n"
    "[ 1230.512030] Call Trace:\n"
    "[ 1230.512031]  <TASK>\n"
    "[ 1230.512040]  __schedule+0x3c8/0xb80\n"
    "[ 1230.512041]  schedule+0x27/0xf0\n"
    "[ 1230.512042]  schedule_preempt_disabled+0x15/0x30\n"
    "[ 1230.512043]  rwsem_down_write_slowpath+0x24b/0x640\n"
    "[ 1230.512044]  down_write_killable+0x6d/0x80\n"
    "[ 1230.512045]  __vm_munmap+0x87/0x180\n"
    "[ 1230.512046]  __x64_sys_munmap+0x1b/0x30\n"
    "[ 1230.512047]  do_syscall_64+0x5f/0x2d0\n"
    "[ 1230.512048]  entry_SYSCALL_64_after_hwframe+0x76/0x7e\n"
    "[ 1230.512049]  </TASK>\n"
    "[ 1230.512060] INFO: task a.out:2190 <writer> blocked on an rw-semaphore likely owned by task a.out:2189 <reader>\n"
    "[ 1230.512070] task:a.out           state:D stack:0     pid:2189  tgid:2188  ppid:2100   task_flags:0x400040 flags:0x00004002\n"
    "[ 1230.512080] Call Trace:\n"
    "[ 1230.512081]  <TASK>\n"
    "[ 1230.512082]  __schedule+0x3c8/0xb80\n"
    "[ 1230.512083]  schedule+0x27/0xf0\n"
    "[ 1230.512084]  request_wait_answer+0x1b5/0x2a0 [fuse]\n"
    "[ 1230.512085]  fuse_simple_request+0x18e/0x2d0 [fuse]\n"
    "[ 1230.512086]  fuse_do_readfolio+0x161/0x1c0 [fuse]\n"
    "[ 1230.512087]  fuse_read_folio+0x2c/0x60 [fuse]\n"
    "[ 1230.512088]  filemap_read_folio+0x45/0xe0\n"
    "[ 1230.512089]  filemap_fault+0x4e3/0xb40\n"
    "[ 1230.512090]  __do_fault+0x37/0x120\n"
    "[ 1230.512091]  do_fault+0x2a1/0x4a0\n"
    "[ 1230.512092]  handle_mm_fault+0x2c6/0x4d0\n"
    "[ 1230.512093]  do_user_addr_fault+0x1b8/0x6a0\n"
    "[ 1230.512094]  exc_page_fault+0x77/0x170\n"
    "[ 1230.512095]  asm_exc_page_fault+0x26/0x30\n"
    "[ 1230.512096]  </TASK>\n"
  );
  const auto hung = findings_of(r, VerdictClass::hung_task);
  ASSERT_EQ(hung.size(), 1u) << r.title;
  ASSERT_TRUE(hung[0]->lock);
  EXPECT_EQ(hung[0]->lock->name, "mmap_lock");
  EXPECT_EQ(hung[0]->lock->mode, "write");
  EXPECT_EQ(hung[0]->lock->holders, std::vector<int>{2189});
  ASSERT_NE(role_of(*hung[0], 2189), nullptr);
  EXPECT_EQ(role_of(*hung[0], 2189)->role, "holder");
  EXPECT_EQ(role_of(*hung[0], 2189)->where, "request_wait_answer");
  // The stall the dumps show names the same holder.
  ASSERT_FALSE(r.findings.empty());
  EXPECT_EQ(r.verdict, VerdictClass::silent_hang);
  ASSERT_NE(role_of(r.findings[0], 2189), nullptr);
  EXPECT_EQ(role_of(r.findings[0], 2189)->role, "holder");
}


// warn_alloc's "stalls for Nms" counts from the allocation's start: one that
// reached the stall threshold (30 s) with no OOM kill meanwhile is a silent
// hang (DESIGN.md), one the OOM killer acted during stays allocation_stall.
std::string warn_alloc_stall(int ts, int ms) {
  return "[" + std::to_string(ts) + ".441002] a.out: page allocation stalls for " + std::to_string(ms) +
         "ms, order:0, mode:0x24201ca(GFP_HIGHUSER_MOVABLE|__GFP_COLD)\n";
}

TEST(Failures, LongAllocationStallWithoutOomKillIsSilentHang) {
  std::string log;
  for (int i = 1; i <= 4; ++i) log += warn_alloc_stall(300 + 10 * i, 10000 * i);
  Report r = analyze_text(log);
  EXPECT_EQ(r.verdict, VerdictClass::silent_hang) << r.title;
  EXPECT_NE(r.title.find("stalled in the page allocator for 40 s with no OOM kill"), std::string::npos) << r.title;

  // The same stall with the OOM killer acting at 325 s, inside it.
  Report acted = analyze_text(log + "[  325.000000] Out of memory: Killed process 3418 (a.out) total-vm:2099004kB, anon-rss:1752kB, "
                                    "file-rss:4kB, shmem-rss:0kB\n");
  EXPECT_TRUE(findings_of(acted, VerdictClass::silent_hang).empty()) << acted.title;
  EXPECT_EQ(findings_of(acted, VerdictClass::allocation_stall).size(), 1u);

  // Shorter than the threshold: allocation_stall.
  Report shorter = analyze_text(warn_alloc_stall(310, 10000) + warn_alloc_stall(320, 20000));
  EXPECT_EQ(shorter.verdict, VerdictClass::allocation_stall) << shorter.title;
}

}  // namespace
}  // namespace oomlab::analyzer::test
