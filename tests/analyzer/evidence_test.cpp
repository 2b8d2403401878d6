// Partial logs and evidence over order: a verdict rests on what the lines
// show about the victim and the stalled tasks, whatever came before them,
// and a kill loop that frees nothing is one oom_ineffective finding.
#include <gtest/gtest.h>

#include "helpers.hpp"
#include "oomlab/analyzer/output.hpp"
#include "oomlab/facts/vocabulary.hpp"

namespace oomlab::analyzer::test {
namespace {

TEST(Partial, ReaperFailureAlone) {
  // 5.0-rc8 kdump kernel (linux-mm 2019-02-27): the excerpt starts at the reaper.
  Report r = analyze_text("[   11.324711] oom_reaper: unable to reap pid:132 (systemd-udevd)\n");
  EXPECT_EQ(r.verdict, VerdictClass::oom_reaper_failed);
  ASSERT_EQ(r.findings.size(), 1u);
  EXPECT_EQ(r.findings[0].tasks.at(0).pid, 132);
  EXPECT_EQ(r.findings[0].tasks.at(0).comm, "systemd-udevd");
}

TEST(Partial, DyingVictimInMemAllocLines) {
  // linux-mm 2016-02-25: no kill line, the victim flag on its MemAlloc line 215 s on.
  Report r = analyze_text(
      "[   60.003576] MemAlloc-Info: stalling=880 dying=42 exiting=0 victim=1 oom_count=113/49\n"
      "[   60.004210] MemAlloc: a.out(1562) flags=0x400040 switches=3 uninterruptible dying victim\n"
      "[  275.592260] MemAlloc: a.out(1562) flags=0x400040 switches=17 uninterruptible dying victim\n");
  EXPECT_EQ(r.verdict, VerdictClass::oom_livelock);
  ASSERT_FALSE(r.findings.empty());
  EXPECT_EQ(r.findings[0].tasks.at(0).pid, 1562);
  EXPECT_NEAR(*detail<double>(r.findings[0], "victim_stuck_s"), 215.6, 0.1);
  // Seen once, only briefly: not enough.
  Report brief = analyze_text("[   60.004210] MemAlloc: a.out(1562) flags=0x400040 switches=3 seq=1 gfp=0x24280ca order=0 delay=2000 uninterruptible dying victim\n");
  EXPECT_NE(brief.verdict, VerdictClass::oom_livelock);
}

TEST(Partial, SameTaskChosenAgainAndAgain) {
  // 2.6.32 memcg OOM (linux-mm 2011-05-30): the same task chosen five times, never killed.
  std::string log;
  for (const char* ts : {"1578.117055", "1578.117154", "1578.117248", "1578.117343", "1578.117441"})
    log += std::string("May 30 03:13:08 vicky kernel: [") + ts +
           "] Memory cgroup out of memory: kill process 6016 (java) score 0 or a child\n";
  Report r = analyze_text(log);
  EXPECT_EQ(r.verdict, VerdictClass::oom_livelock);
  EXPECT_EQ(r.findings.at(0).tasks.at(0).pid, 6016);
  EXPECT_EQ(*detail<std::int64_t>(r.findings[0], "selections"), 5);
  // A parent named each time while a different child dies is no livelock (2.6.30, linux-mm 2009-06-10).
  Report ok = analyze_text(
      "[ 1000.000000] Out of memory: kill process 3514 (run-many-x-apps) score 903 or a child\n"
      "[ 1000.000100] Killed process 3516 (xeyes)\n"
      "[ 1010.000000] Out of memory: kill process 3514 (run-many-x-apps) score 903 or a child\n"
      "[ 1010.000100] Killed process 3593 (gthumb)\n"
      "[ 1020.000000] Out of memory: kill process 3514 (run-many-x-apps) score 903 or a child\n"
      "[ 1020.000100] Killed process 3620 (gedit)\n");
  EXPECT_EQ(ok.verdict, VerdictClass::oom_resolved);
}

TEST(Evidence, VictimKilledAgainDidNotDie) {
  // 4.4-rc6 (linux-mm 2016-01-08): 9551 killed, listed in every later task
  // table, killed again 47 s later.
  Report r = analyze_text(
      "[  122.710675] Out of memory: Kill process 9546 (oom-write) score 902 or sacrifice child\n"
      "[  122.712475] Killed process 9551 (write) total-vm:160kB, anon-rss:4kB, file-rss:0kB, shmem-rss:0kB\n"
      "[  139.794000] [ pid ]   uid  tgid total_vm      rss nr_ptes nr_pmds swapents oom_score_adj name\n"
      "[  139.795759] [ 9546]  1000  9546   541716   458687     906       6        0             0 oom-write\n"
      "[  139.797649] [ 9551]  1000  9551       40        0       3       2        0             0 write\n"
      "[  139.808524] Out of memory: Kill process 9546 (oom-write) score 902 or sacrifice child\n"
      "[  139.810216] Killed process 9552 (write) total-vm:160kB, anon-rss:4kB, file-rss:0kB, shmem-rss:0kB\n"
      "[  169.356450] Out of memory: Kill process 9546 (oom-write) score 902 or sacrifice child\n"
      "[  169.358105] Killed process 9551 (write) total-vm:160kB, anon-rss:0kB, file-rss:0kB, shmem-rss:0kB\n");
  EXPECT_EQ(r.verdict, VerdictClass::oom_livelock);
  auto ll = findings_of(r, VerdictClass::oom_livelock);
  ASSERT_FALSE(ll.empty());
  EXPECT_EQ(ll[0]->tasks.at(0).pid, 9551);
  EXPECT_EQ(*detail<std::int64_t>(*ll[0], "kills"), 2);
  EXPECT_NEAR(*detail<double>(*ll[0], "victim_stuck_s"), 46.6, 0.1);
  // No kill of 9551 is "resolved".
  for (const Finding* f : findings_of(r, VerdictClass::oom_resolved)) EXPECT_NE(f->tasks.at(0).pid, 9551);
}

TEST(Evidence, ReusedPidIsAnotherProcess) {
  // The victim's pid shows up later under another name: a new process, not the victim.
  Report r = analyze_text(
      "[  100.000000] Killed process 4242 (chrome) total-vm:900000kB, anon-rss:500000kB, file-rss:0kB, shmem-rss:0kB\n"
      "[ 3700.000000] [ pid ]   uid  tgid total_vm      rss nr_ptes nr_pmds swapents oom_score_adj name\n"
      "[ 3700.000100] [ 4242]  1000  4242    12000     3000      30       3        0             0 bash\n"
      "[ 3700.000200] Out of memory: Killed process 5151 (java) total-vm:900000kB, anon-rss:500000kB, file-rss:0kB, shmem-rss:0kB\n");
  EXPECT_EQ(r.verdict, VerdictClass::oom_resolved);
  EXPECT_TRUE(findings_of(r, VerdictClass::oom_livelock).empty());
}

TEST(Evidence, ReapedVictimStillInATaskDump) {
  // The reaper reaped the victim's memory, yet a sysrq-t dump 40 s later shows it in D.
  Report r = analyze_text(
      "[  380.130392] Killed process 3418 (a.out) total-vm:4324kB, anon-rss:96kB, file-rss:0kB\n"
      "[  380.430392] oom_reaper: reaped process 3418 (a.out), now anon-rss:0kB, file-rss:0kB, shmem-rss:0kB\n"
      "[  420.000000] sysrq: Show Blocked State\n"
      "[  420.000100] a.out           D ffff88007fc55a00     0  3418   3417 0x00100084\n"
      "[  420.000200] Call Trace:\n"
      "[  420.000300]  [<ffffffff8162d8eb>] rwsem_down_write_failed+0x1fb/0x350\n"
      "[  420.000400]  [<ffffffff81147abe>] vm_munmap+0x2e/0x60\n");
  EXPECT_EQ(r.verdict, VerdictClass::oom_livelock);
  EXPECT_TRUE(findings_of(r, VerdictClass::oom_resolved).empty());
}

TEST(Evidence, StallsAfterTheKillAreTheVerdict) {
  // linux-mm 2016-04-26: the only kill completes, then 146-152 tasks stall for 71 s.
  Report r = analyze_text(
      "[  485.216878] Out of memory: Kill process 1356 (a.out) score 999 or sacrifice child\n"
      "[  485.219170] Killed process 1356 (a.out) total-vm:4176kB, anon-rss:80kB, file-rss:0kB, shmem-rss:0kB\n"
      "[  514.255929] MemAlloc-Info: stalling=146 dying=0 exiting=0 victim=0 oom_count=1/226\n"
      "[  540.998623] MemAlloc-Info: stalling=146 dying=0 exiting=0 victim=0 oom_count=1/226\n"
      "[  585.888300] MemAlloc-Info: stalling=152 dying=0 exiting=0 victim=0 oom_count=1/226\n");
  EXPECT_EQ(r.verdict, VerdictClass::silent_hang);
}

TEST(Evidence, StallWithADyingTaskButNoOomVictim) {
  // linux-mm 2016-02-11: 466-474 tasks stalled for 40 s, victim=0 (dying=1 is
  // no OOM victim), kswapd0 blocked on an XFS buffer lock in writeback.
  Report r = analyze_text(
      "[   89.960570] MemAlloc-Info: stalling=466 dying=1 exiting=0, victim=0 oom_count=17\n"
      "[   90.056315] MemAlloc: kswapd0(47) flags=0xa60840 uninterruptible\n"
      "[   90.058146] kswapd0         D ffff88007a2d3188     0    47      2 0x00000000\n"
      "[   90.065843] Call Trace:\n"
      "[   90.066803]  [<ffffffff81701fa7>] schedule+0x37/0x90\n"
      "[   90.073223]  [<ffffffff81705258>] __down+0x7c/0xc3\n"
      "[   90.076230]  [<ffffffff810ba36c>] down+0x3c/0x50\n"
      "[   90.077624]  [<ffffffff812b21f1>] xfs_buf_lock+0x21/0x50\n"
      "[   90.079058]  [<ffffffff812b23cf>] _xfs_buf_find+0x1af/0x2c0\n"
      "[  129.472341] MemAlloc-Info: stalling=474 dying=1 exiting=0, victim=0 oom_count=17\n");
  EXPECT_EQ(r.verdict, VerdictClass::silent_hang);
  const Finding& f = *findings_of(r, VerdictClass::silent_hang).at(0);
  const TaskRole* k = role_of(f, 47);
  ASSERT_NE(k, nullptr);
  EXPECT_EQ(k->state, 'D');
  EXPECT_EQ(k->where, "xfs_buf_lock");
}

TEST(Evidence, WarnAllocStallNamesItsTask) {
  Report r = analyze_text(
      "[55363.482931] QXcbEventReader: page allocation stalls for 10048ms, order:0, mode:0x14200ca(GFP_HIGHUSER_MOVABLE), nodemask=(null)\n"
      "[55363.482942] QXcbEventReader cpuset=/ mems_allowed=0\n"
      "[55363.482948] CPU: 2 PID: 4092 Comm: QXcbEventReader Not tainted 4.11.0-rc8+ #2670\n");
  EXPECT_EQ(r.verdict, VerdictClass::allocation_stall);
  EXPECT_NE(role_of(r.findings.at(0), 4092), nullptr);
}

// Kill loops --------------------------------------------------------------------

TEST(KillLoop, OneVocabularyWithTheRunner) {
  EXPECT_EQ(to_string(VerdictClass::oom_ineffective), facts::outcome_name(facts::Outcome::oom_ineffective));
  EXPECT_EQ(verdict_class_from_string("oom_ineffective"), VerdictClass::oom_ineffective);
  // Ranked after the hangs in which the OOM killer does not act or cannot
  // finish, before the reports of single stuck tasks.
  EXPECT_LT(VerdictClass::silent_hang, VerdictClass::oom_ineffective);
  EXPECT_LT(VerdictClass::oom_ineffective, VerdictClass::hung_task);
}

TEST(KillLoop, ShmemFillOnThisHost) {
  // oomlab-repro run shmem-fill --limit 64M --duration 10s (host 6.18, cgroup v1):
  // the kernel lines of its 16 memcg OOM kills (stats trimmed after the first report).
  Report r = fixture("memcg_kill_loop_shmem_6.18.dmesg");
  EXPECT_EQ(r.verdict, VerdictClass::oom_ineffective);
  auto loops = findings_of(r, VerdictClass::oom_ineffective);
  ASSERT_EQ(loops.size(), 1u);
  const Finding& f = *loops[0];
  EXPECT_EQ(*detail<std::int64_t>(f, "kills"), 16);
  EXPECT_EQ(*detail<std::string>(f, "memcg"), "/oomlab/repro-15776-141530-1");
  EXPECT_EQ(*detail<std::int64_t>(f, "limit_kb"), 65536);
  EXPECT_NEAR(*detail<double>(f, "span_s"), 6.552, 0.01);
  EXPECT_NEAR(*detail<double>(f, "interval_ms"), 436.8, 1.0);
  EXPECT_GT(*detail<std::int64_t>(f, "stays_charged_kb"), 50000);
  EXPECT_EQ(*detail<std::int64_t>(f, "shmem_kb"), 58984);
  EXPECT_LT(*detail<std::int64_t>(f, "max_freed_kb"), 65536 / 5);
  EXPECT_TRUE(findings_of(r, VerdictClass::oom_resolved).empty());   // no kill "resolved" anything
  EXPECT_EQ(r.oom_events.size(), 16u);
  EXPECT_EQ(*r.oom_events[0].memcg_usage_kb, 65536u);
}

TEST(KillLoop, KillsThatFreeMemoryAreNoLoop) {
  // Three memcg kills 1 s apart, each of a victim holding half the limit.
  std::string log;
  for (int i = 0; i < 3; ++i) {
    const std::string t = std::to_string(100 + i);
    log += "[  " + t + ".000000] memory: usage 65536kB, limit 65536kB, failcnt 1\n";
    log += "[  " + t + ".000100] Memory cgroup out of memory: Killed process " + std::to_string(200 + i) +
           " (hog) total-vm:40000kB, anon-rss:32768kB, file-rss:0kB, shmem-rss:0kB, UID:0 pgtables:80kB oom_score_adj:0\n";
  }
  Report r = analyze_text(log);
  EXPECT_EQ(r.verdict, VerdictClass::oom_resolved);
  EXPECT_TRUE(findings_of(r, VerdictClass::oom_ineffective).empty());
  // Global OOM kills in a burst (docker host, 2020) are not a memcg loop either.
  Report g = analyze_text(
      "May 15 23:09:30 h kernel: [  518.050606] Out of memory: Killed process 15784 (python3) total-vm:11964kB, anon-rss:4288kB, file-rss:3028kB, shmem-rss:0kB\n"
      "May 15 23:09:30 h kernel: [  518.061172] Out of memory: Killed process 15925 ((resolved)) total-vm:168424kB, anon-rss:4064kB, file-rss:3584kB, shmem-rss:0kB\n"
      "May 15 23:09:30 h kernel: [  518.070786] Out of memory: Killed process 15783 (python3) total-vm:11964kB, anon-rss:4288kB, file-rss:3028kB, shmem-rss:0kB\n");
  EXPECT_EQ(g.verdict, VerdictClass::oom_resolved);
}

}  // namespace
}  // namespace oomlab::analyzer::test
