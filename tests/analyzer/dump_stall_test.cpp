// Hung-task reports and sysrq dumps as stall evidence (analyzer/src/dump_stall.cpp):
// logs from real machines carry no MemAlloc lines and no PSI, only these.
// Logs here are real text: the corpus's (../shared/corpus/real-logs), the
// committed fixtures, and the seed's dump of its mmap_sem livelock
// (seeds/003, 601 s) put under the hung-task detector's lines - the seed's
// a.out(3418)/(3420) stacks are real, their "INFO: task ... blocked" header
// is the kernel's format (kernel/hung_task.c, as in the corpus's
// 2016-kswapd-hung-shrink-loop.log) written around them for these tests.
#include <gtest/gtest.h>

#include <filesystem>

#include "helpers.hpp"

namespace oomlab::analyzer::test {
namespace {

const Finding* dump_stall(const Report& r) {
  for (const Finding& f : r.findings) {
    const std::string* src = detail<std::string>(f, "source");
    if (src && *src == "task_dumps") return &f;
  }
  return nullptr;
}

// seeds/003 at 601.165-601.207: the victim in vm_munmap (mmap_sem write)
// and a thread faulting (mmap_sem read), 4.3-era layout.
constexpr const char* kSeedVictim =
    "[  601.165254] a.out           D ffff8800777b7e08     0  3418   3417 0x00100084\n"
    "[  601.167118]  ffff8800777b7e08 ffff880077606400 ffff8800777b8000 ffff880036032e00\n"
    "[  601.173183] Call Trace:\n"
    "[  601.174193]  [<ffffffff8162a570>] schedule+0x30/0x80\n"
    "[  601.175661]  [<ffffffff8162d8eb>] rwsem_down_write_failed+0x1fb/0x350\n"
    "[  601.177388]  [<ffffffff81322f64>] ? call_rwsem_down_read_failed+0x14/0x30\n"
    "[  601.179194]  [<ffffffff81322f93>] call_rwsem_down_write_failed+0x13/0x20\n"
    "[  601.180971]  [<ffffffff8162d05f>] ? down_write+0x1f/0x30\n"
    "[  601.182509]  [<ffffffff81147abe>] vm_munmap+0x2e/0x60\n"
    "[  601.183992]  [<ffffffff811489fd>] SyS_munmap+0x1d/0x30\n"
    "[  601.185485]  [<ffffffff8162e9ee>] entry_SYSCALL_64_fastpath+0x12/0x71\n";
constexpr const char* kSeedReader =
    "[  601.187224] a.out           D ffff88007c60fdf0     0  3420   3417 0x00000084\n"
    "[  601.189130]  ffff88007c60fdf0 ffff880078e15780 ffff88007c610000 ffff880036032de8\n"
    "[  601.195217] Call Trace:\n"
    "[  601.196226]  [<ffffffff8162a570>] schedule+0x30/0x80\n"
    "[  601.197683]  [<ffffffff8162d698>] rwsem_down_read_failed+0xf8/0x150\n"
    "[  601.199407]  [<ffffffff81322f64>] call_rwsem_down_read_failed+0x14/0x30\n"
    "[  601.201192]  [<ffffffff8162d032>] ? down_read+0x12/0x20\n"
    "[  601.202711]  [<ffffffff810583f7>] __do_page_fault+0x357/0x400\n"
    "[  601.204328]  [<ffffffff810584d0>] do_page_fault+0x30/0x80\n"
    "[  601.205874]  [<ffffffff81630518>] page_fault+0x28/0x30\n";

std::string hung(const char* ts, const char* task, const char* dump) {
  return std::string("[  ") + ts + "] INFO: task " + task + " blocked for more than 120 seconds.\n[  " + ts +
         "]       Not tainted 4.3.0-rc4+ #1\n[  " + ts +
         "] \"echo 0 > /proc/sys/kernel/hung_task_timeout_secs\" disables this message.\n" + dump;
}

TEST(DumpStall, HungTasksOnTheMmapLockAreAStallNamingWaitStartAndTasks) {
  const std::string log = hung("601.160000", "a.out:3418", kSeedVictim) + hung("601.186000", "a.out:3420", kSeedReader);
  Report r = analyze_text(log);
  const Finding* f = dump_stall(r);
  ASSERT_NE(f, nullptr) << r.title;
  // 120 s blocked, no OOM kill in the log: no progress for the threshold
  // (30 s) while the OOM killer did not act.
  EXPECT_EQ(f->klass, VerdictClass::silent_hang);
  EXPECT_EQ(r.verdict, VerdictClass::silent_hang);
  ASSERT_NE(detail<std::string>(*f, "wait"), nullptr);
  EXPECT_EQ(*detail<std::string>(*f, "wait"), "mmap_lock");
  // The first report dates its task's block back to 601.16 - 120 s.
  ASSERT_NE(detail<double>(*f, "start_ts"), nullptr);
  EXPECT_NEAR(*detail<double>(*f, "start_ts"), 481.16, 0.01);
  EXPECT_NEAR(*f->first.ts, 481.16, 0.01);
  EXPECT_EQ(*detail<std::int64_t>(*f, "blocked_mmap_lock"), 2);
  EXPECT_EQ(*detail<std::int64_t>(*f, "hung_reports"), 2);
  EXPECT_EQ(*detail<std::string>(*f, "ended_by"), "unknown");
  ASSERT_NE(role_of(*f, 3418), nullptr);
  ASSERT_NE(role_of(*f, 3420), nullptr);
  EXPECT_EQ(role_of(*f, 3418)->wait, "mmap_lock");
  EXPECT_EQ(role_of(*f, 3418)->where, "vm_munmap");
  EXPECT_NE(f->title.find("mmap_lock"), std::string::npos) << f->title;
  EXPECT_EQ(f->first.line, 1u);   // the first "INFO: task" line
  // The hung_task findings stay beside it, and name the wait too.
  const auto hung = findings_of(r, VerdictClass::hung_task);
  ASSERT_EQ(hung.size(), 2u);
  ASSERT_FALSE(hung[0]->tasks.empty());
  EXPECT_EQ(hung[0]->tasks[0].wait, "mmap_lock");
}

TEST(DumpStall, ModernLayoutWithCallerIds) {
  // 6.x: "task:NAME state:D stack:N pid:N tgid:N ppid:N flags:" with printk
  // caller ids; the stack is the fixture sysrq_w_6.7.dmesg's faulting
  // stress-ng(7003) behind lock_mm_and_find_vma, reported by the detector
  // (6.x prints the real blocked time and "in I/O wait" when it is).
  const char* log =
      "[ 3601.000100][   T45] INFO: task stress-ng:7003 blocked for more than 245 seconds.\n"
      "[ 3601.000110][   T45]       Not tainted 6.7.0 #1\n"
      "[ 3601.000120][   T45] \"echo 0 > /proc/sys/kernel/hung_task_timeout_secs\" disables this message.\n"
      "[ 3601.000300][   T45] task:stress-ng       state:D stack:0     pid:7003  tgid:7001  ppid:7000   flags:0x00004002\n"
      "[ 3601.000310][   T45] Call Trace:\n"
      "[ 3601.000311][   T45]  <TASK>\n"
      "[ 3601.000320][   T45]  __schedule+0x3a1/0x1510\n"
      "[ 3601.000330][   T45]  schedule+0x63/0x110\n"
      "[ 3601.000340][   T45]  rwsem_down_read_slowpath+0x27e/0x4c0\n"
      "[ 3601.000350][   T45]  lock_mm_and_find_vma+0x9c/0x170\n"
      "[ 3601.000360][   T45]  do_user_addr_fault+0x1ba/0x6c0\n"
      "[ 3601.000370][   T45]  exc_page_fault+0x7c/0x180\n"
      "[ 3601.000380][   T45]  asm_exc_page_fault+0x26/0x30\n"
      "[ 3601.000390][   T45]  </TASK>\n";
  Report r = analyze_text(log);
  const Finding* f = dump_stall(r);
  ASSERT_NE(f, nullptr) << r.title;
  EXPECT_EQ(*detail<std::string>(*f, "wait"), "mmap_lock");
  EXPECT_NEAR(*detail<double>(*f, "start_ts"), 3601.0003 - 245, 0.01);
  ASSERT_NE(role_of(*f, 7003), nullptr);
  EXPECT_EQ(role_of(*f, 7003)->comm, "stress-ng");
}

TEST(DumpStall, AnOomKillInTimeMakesItAnAllocationStall) {
  // The same reports with the kernel's OOM kill 10 s into the block: the
  // killer acted, so it is no silent hang.
  const std::string log = "[  491.000000] Out of memory: Kill process 3417 (a.out) score 890 or sacrifice child\n"
                          "[  491.000100] Killed process 3418 (a.out) total-vm:4324kB, anon-rss:96kB, file-rss:0kB\n" +
                          hung("601.160000", "a.out:3418", kSeedVictim);
  Report r = analyze_text(log);
  const Finding* f = dump_stall(r);
  ASSERT_NE(f, nullptr) << r.title;
  EXPECT_EQ(f->klass, VerdictClass::allocation_stall);
}

TEST(DumpStall, AKilledVictimStillBlockedIsAVictimThatDoesNotExit) {
  // The seed's own kill (380 s) of the a.out(3418) its dump shows in
  // vm_munmap at 601 s: the OOM killer acted, its victim does not exit.
  const std::string log = "[  380.128535] Out of memory: Kill process 3417 (a.out) score 890 or sacrifice child\n"
                          "[  380.130392] Killed process 3418 (a.out) total-vm:4324kB, anon-rss:96kB, file-rss:0kB\n" +
                          hung("601.160000", "a.out:3418", kSeedVictim);
  Report r = analyze_text(log);
  const Finding* f = dump_stall(r);
  ASSERT_NE(f, nullptr) << r.title;
  EXPECT_EQ(f->klass, VerdictClass::allocation_stall);
  EXPECT_EQ(*detail<std::string>(*f, "cause"), "victim_not_exiting");
  EXPECT_TRUE(findings_of(r, VerdictClass::silent_hang).empty());
}

TEST(DumpStall, TwoSysrqDumpsCountBlockedTasksByWait) {
  // The seed's dump printed twice 10 s apart, then a dump with the writer
  // gone: blocked from the first to the second dump, progress at the third.
  std::string first = std::string("[  591.100000] sysrq: SysRq : Show Blocked State\n") + kSeedVictim + kSeedReader;
  std::string second = first;
  for (std::size_t p = second.find("[  601."); p != std::string::npos; p = second.find("[  601.", p)) second.replace(p, 7, "[  611.");
  for (std::size_t p = first.find("[  601."); p != std::string::npos; p = first.find("[  601.", p)) first.replace(p, 7, "[  591.");
  second.replace(second.find("591.100000"), 10, "611.100000");
  const std::string third =
      "[  621.100000] sysrq: SysRq : Show Blocked State\n"
      "[  621.384337] a.out           R  running task        0  3419   3417 0x00000080\n"
      "[  621.392366] Call Trace:\n"
      "[  621.393388]  [<ffffffff81187e72>] ? __vfs_read+0x32/0xf0\n";
  Report r = analyze_text(first + second + third);
  const Finding* f = dump_stall(r);
  ASSERT_NE(f, nullptr) << r.title;
  EXPECT_EQ(f->klass, VerdictClass::allocation_stall);   // 10 s: under the threshold
  EXPECT_EQ(*detail<std::int64_t>(*f, "task_dumps"), 2);
  EXPECT_EQ(*detail<std::int64_t>(*f, "blocked_mmap_lock"), 2);
  EXPECT_EQ(*detail<std::string>(*f, "ended_by"), "recovered");
  EXPECT_NEAR(*detail<double>(*f, "start_ts"), 591.165, 0.01);
  EXPECT_NEAR(*detail<double>(*f, "end_ts"), 611.165, 0.01);   // a dump is dated by its first task
}

TEST(DumpStall, OneDumpIsAMomentNotAStall) {
  Report r = fixture("sysrq_w_6.7.dmesg");   // two mmap_lock waiters, one dump
  EXPECT_EQ(dump_stall(r), nullptr);
  EXPECT_EQ(r.verdict, VerdictClass::clean);
}

TEST(DumpStall, AHungTaskOnIoOrAMutexWithoutMemoryWaitsIsNoStall) {
  // kworker on a folio's writeback (6.1, caller ids): I/O with nothing
  // showing memory short is a hung task, not an allocation stall.
  Report io = fixture("hung_task_6.1_caller_crlf.dmesg");
  EXPECT_EQ(dump_stall(io), nullptr);
  EXPECT_EQ(io.verdict, VerdictClass::hung_task);
  EXPECT_EQ(io.findings.at(0).tasks.at(0).wait, "io");
  Report mutex = fixture("hung_task_4.3.dmesg");   // losetup on a mutex
  EXPECT_EQ(dump_stall(mutex), nullptr);
  EXPECT_EQ(mutex.verdict, VerdictClass::hung_task);
  EXPECT_EQ(mutex.findings.at(0).tasks.at(0).wait, "");   // a mutex says nothing about memory
  Report jbd2 = fixture("syzbot_hung_4.x_old.txt");   // jbd2 in wait_on_page_bit
  EXPECT_EQ(dump_stall(jbd2), nullptr);
}

TEST(DumpStall, RealLogsKswapdInReclaimAndKcompactdOnNfs) {
  const std::filesystem::path dir = OOMLAB_REAL_LOGS_DIR;
  if (!std::filesystem::exists(dir / "EXPECT.tsv")) GTEST_SKIP() << "no real-log corpus at " << dir;
  // kswapd0 on an XFS inode rwsem under shrink_page_list, >60 s: reclaim
  // that makes no progress (not an mmap_lock wait: the rwsem is xfs_ilock's).
  Report k = analyze_file((dir / "2016-kswapd-hung-shrink-loop.log").string());
  const Finding* f = dump_stall(k);
  ASSERT_NE(f, nullptr) << k.title;
  EXPECT_EQ(*detail<std::string>(*f, "wait"), "reclaim");
  EXPECT_NEAR(*detail<double>(*f, "start_ts"), 939.157 - 60, 0.01);
  ASSERT_NE(role_of(*f, 60), nullptr);
  EXPECT_EQ(role_of(*f, 60)->comm, "kswapd0");
  // kcompactd0 waiting on an NFS folio in compaction, nothing else short of
  // memory: the hung task is the whole story.
  Report c = analyze_file((dir / "2026-kcompactd-nfs-release-folio-hung-quoted.log").string());
  EXPECT_EQ(dump_stall(c), nullptr);
  EXPECT_EQ(c.verdict, VerdictClass::hung_task);
}

TEST(DumpStall, MemAllocReportsTellTheSeedsStallNotItsDump) {
  Report r = seed("003_");
  EXPECT_EQ(dump_stall(r), nullptr);
}

}  // namespace
}  // namespace oomlab::analyzer::test
