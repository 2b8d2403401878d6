// Task dumps: sched_show_task() headers of every era, both frame syntaxes,
// "? " unreliable frames, <TASK>/<IRQ> markers, modules.
#include <gtest/gtest.h>

#include "helpers.hpp"

namespace oomlab::analyzer::test {
namespace {

TEST(TaskDump, SysrqW6_7HeadersWithTgid) {
  Report r = fixture("sysrq_w_6.7.dmesg");
  EXPECT_EQ(r.verdict, VerdictClass::clean);   // a dump alone is no failure
  ASSERT_EQ(r.tasks.size(), 3u);
  const Task& w = r.tasks[0];
  EXPECT_EQ(w.comm, "stress-ng");
  EXPECT_EQ(w.pid, 7002);
  EXPECT_EQ(w.tgid, 7001);
  EXPECT_EQ(w.ppid, 7000);
  EXPECT_EQ(w.state, 'D');
  EXPECT_EQ(w.flags, "0x00004002");
  EXPECT_EQ(w.source, "sysrq");
  ASSERT_EQ(w.frames.size(), 8u);   // RIP/RSP register lines are not frames
  EXPECT_EQ(w.frames[2].func, "rwsem_down_write_slowpath");
  EXPECT_EQ(w.frames[2].offset, 0x2b1u);
  EXPECT_EQ(w.frames[2].size, 0x5a0u);
  const Task& k = r.tasks[2];
  EXPECT_EQ(k.state, 'I');
  EXPECT_EQ(k.frames[3].func, "__pfx_worker_thread");
  EXPECT_FALSE(k.frames[3].reliable);
}

TEST(TaskDump, SysrqT5_4HeadersWithoutPc) {
  Report r = fixture("sysrq_t_5.4.dmesg");
  ASSERT_EQ(r.tasks.size(), 2u);
  EXPECT_EQ(r.tasks[0].comm, "systemd");
  EXPECT_EQ(r.tasks[0].state, 'S');
  EXPECT_EQ(r.tasks[0].pid, 1);
  EXPECT_EQ(r.tasks[0].ppid, 0);
  EXPECT_EQ(r.tasks[0].frames.size(), 8u);
  EXPECT_EQ(r.tasks[1].comm, "memhog");
  EXPECT_EQ(r.tasks[1].state, 'R');
  EXPECT_EQ(r.tasks[1].pid, 2345);
  ASSERT_EQ(r.tasks[1].frames.size(), 6u);
  for (const Frame& f : r.tasks[1].frames) EXPECT_FALSE(f.reliable);
}

TEST(TaskDump, ModernHungTaskWithCallerIdsAndCrlf) {
  Report r = fixture("hung_task_6.1_caller_crlf.dmesg");
  const Task* t = task_of(r, 123);
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(t->comm, "kworker/u4:2");
  EXPECT_EQ(t->source, "hung_task");
  ASSERT_EQ(t->frames.size(), 10u);   // the T200 line in the middle belongs to someone else
  EXPECT_EQ(t->frames[7].func, "ext4_writepages");
  EXPECT_EQ(t->frames[7].module, "ext4");
  EXPECT_TRUE(t->frames[7].reliable);
  EXPECT_FALSE(t->frames[6].reliable);
  EXPECT_EQ(t->frames[6].module, "ext4");
  EXPECT_EQ(r.findings.at(0).tasks.at(0).comm, "kworker/u4:2");
}

TEST(TaskDump, InterleavedCpusKeepTheirTraces) {
  Report r = fixture("serial_interleaved_crlf.log");
  ASSERT_EQ(r.findings.size(), 2u);
  const Task* t = task_of(r, 301);
  ASSERT_NE(t, nullptr);
  ASSERT_EQ(t->frames.size(), 3u);
  EXPECT_EQ(t->frames[2].func, "jbd2_log_wait_commit");
  const Finding& lockup = *findings_of(r, VerdictClass::soft_lockup).at(0);
  EXPECT_EQ(lockup.tasks.at(0).pid, 300);
}

TEST(TaskDump, FramesOnIrqMarkerLinesAndModules) {
  Report r = fixture("warn_alloc_3.x_failure.txt");
  const Finding& f = r.findings.at(0);
  EXPECT_EQ(f.tasks.at(0).comm, "swapper/0");
  EXPECT_EQ(f.title, "page allocation failure: order 4 in e1000_alloc_rx_buffers");
}

TEST(TaskDump, RecognisesEveryHeaderForm) {
  Report r = analyze_text(
      "kworker/0:1     S ffff88007fc13780     0    23      2 0x00000000\n"        // 3.x, sp
      "cc1           D ffff88000c9c3c18     0  5563   5562 0x00000000\n"          // 2.6, %-13s
      "kswapd0         R  running task        0    48      2 0x00000000\n"        // 64-bit running
      "xfsaild/sda1    D    0   402      2 0x80000000\n"                          // 4.14..5.10
      "task:my comm    state:D stack:    0 pid:  901 ppid:   900 flags:0x00004000\n"  // 5.11
      "task:a          state:R  running task     stack:0     pid:7     tgid:7     ppid:2      flags:0x00004000\n");
  ASSERT_EQ(r.tasks.size(), 6u);
  EXPECT_EQ(r.tasks[0].comm, "kworker/0:1");
  EXPECT_EQ(r.tasks[0].state, 'S');
  EXPECT_EQ(r.tasks[1].comm, "cc1");
  EXPECT_EQ(r.tasks[1].pid, 5563);
  EXPECT_EQ(r.tasks[1].ppid, 5562);
  EXPECT_EQ(r.tasks[2].state, 'R');
  EXPECT_EQ(r.tasks[3].comm, "xfsaild/sda1");
  EXPECT_EQ(r.tasks[3].flags, "0x80000000");
  EXPECT_EQ(r.tasks[4].comm, "my comm");
  EXPECT_EQ(r.tasks[4].pid, 901);
  EXPECT_EQ(r.tasks[4].ppid, 900);
  EXPECT_EQ(r.tasks[5].pid, 7);
  EXPECT_EQ(r.tasks[5].tgid, 7);
  EXPECT_EQ(r.tasks[5].state, 'R');
}

TEST(TaskDump, TextThatMerelyEndsInHexIsNoTask) {
  Report r = analyze_text(
      "the value was 12 34 56 0x00000000\n"
      "ACPI: PCI Interrupt Link [LNKA] (IRQs 5 *10 11) 0 1 2 0x00000000\n"
      "pci 0000:00:01.0: BAR 0: assigned [mem 0xf0000000-0xf0ffffff]\n");
  EXPECT_TRUE(r.tasks.empty());
}

TEST(TaskDump, BareSymbolLinesOutsideATraceAreNoFrames) {
  Report r = analyze_text(
      "task:x state:D stack:0 pid:5 ppid:2 flags:0x0\n"
      "lockdep chain entry: __mutex_lock+0x9d/0x8c0\n"
      " seq_read_iter+0x5f/0x460\n"
      "Call Trace:\n"
      " schedule+0x5a/0xd0\n");
  ASSERT_EQ(r.tasks.size(), 1u);
  ASSERT_EQ(r.tasks[0].frames.size(), 1u);
  EXPECT_EQ(r.tasks[0].frames[0].func, "schedule");
}

}  // namespace
}  // namespace oomlab::analyzer::test
