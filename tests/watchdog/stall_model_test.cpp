// The stall model fed with synthetic samples: no clock, no /proc.
#include <cstring>
#include <gtest/gtest.h>

#include "oomlab/watchdog/stall_model.hpp"

using namespace oomlab::watchdog;

namespace {
TaskSample task(pid_t tid, char state, StallKind kind, std::uint64_t start = 100, pid_t tgid = 0) {
  TaskSample t;
  t.tid = tid;
  t.tgid = tgid ? tgid : tid;
  std::strcpy(t.comm, "worker");
  t.state = state;
  t.kind = kind;
  t.starttime = start;
  std::strcpy(t.wchan, "vm_mmap_pgoff");
  return t;
}
}  // namespace

TEST(StallModel, DelayCountsFromTheFirstStalledSample) {
  StallModel m(2000);
  m.update({task(10, 'D', StallKind::MmapLock), task(11, 'S', StallKind::None)}, 1000);
  m.update({task(10, 'D', StallKind::MmapLock), task(11, 'S', StallKind::None)}, 2000);
  m.update({task(10, 'D', StallKind::MmapLock)}, 3500);
  ASSERT_EQ(m.stalls().size(), 1u);
  EXPECT_EQ(m.stalls().at(10).delay_ms(3500), 2500);
  StallCounts c = m.counts(3500);
  EXPECT_EQ(c.stalling, 1);
  EXPECT_EQ(c.longest_ms, 2500);
  auto r = m.reportable(3500);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0]->tid, 10);
}

TEST(StallModel, BelowWarnAfterIsNotReported) {
  StallModel m(2000);
  m.update({task(10, 'D', StallKind::Reclaim)}, 1000);
  m.update({task(10, 'D', StallKind::Reclaim)}, 2500);
  EXPECT_EQ(m.counts(2500).stalling, 0);
  EXPECT_TRUE(m.reportable(2500).empty());
}

TEST(StallModel, OneUnstalledSampleEndsTheStall) {
  StallModel m(1000);
  m.update({task(10, 'D', StallKind::Io)}, 0);
  m.update({task(10, 'R', StallKind::None)}, 1000);
  m.update({task(10, 'D', StallKind::Io)}, 2000);
  EXPECT_EQ(m.stalls().at(10).delay_ms(2000), 0);
}

TEST(StallModel, PidReuseStartsANewStall) {
  StallModel m(1000);
  m.update({task(10, 'D', StallKind::Io, 100)}, 0);
  m.update({task(10, 'D', StallKind::Io, 999)}, 5000);
  EXPECT_EQ(m.stalls().at(10).delay_ms(5000), 0);
}

TEST(StallModel, DyingExitingAndVictims) {
  StallModel m(1000);
  TaskSample dying = task(20, 'D', StallKind::MmapLock, 1, 20);
  dying.sigpending = kSigkillBit;
  TaskSample exiting = task(21, 'R', StallKind::Exit, 1, 20);
  exiting.flags = kPfExiting;
  m.mark_victim(20, 0);
  m.mark_victim(20, 10);  // the kernel log names a victim twice: counted once
  m.update({dying, exiting}, 0);
  m.update({dying, exiting}, 1500);
  StallCounts c = m.counts(1500);
  EXPECT_EQ(c.dying, 1);
  EXPECT_EQ(c.exiting, 1);
  EXPECT_EQ(c.victim, 1);
  EXPECT_EQ(c.oom_count, 1u);
  EXPECT_EQ(c.stalling, 1);  // exit waits are not allocation stalls
  EXPECT_TRUE(m.stalls().at(20).victim);
  // The victim's process is gone: it leaves the victim set, oom_count stays.
  m.update({}, 2000);
  EXPECT_EQ(m.counts(2000).victim, 0);
  EXPECT_EQ(m.counts(2000).oom_count, 1u);
}
