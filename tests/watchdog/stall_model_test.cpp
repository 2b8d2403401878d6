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

// Delay accounting: a runnable task (no memory wchan) whose reclaim delay
// grows by most of each interval is a reclaim stall from the first such
// interval's start; growth below --delay-share, or more than the elapsed
// time (a wait begun while accounting was off), is not.
namespace {
TaskSample running(pid_t tid, std::uint64_t reclaim_ms, std::uint64_t thrashing_ms = 0, std::uint64_t start = 100) {
  TaskSample t = task(tid, 'R', StallKind::None, start);
  t.wchan[0] = 0;
  t.has_delays = true;
  t.delays.reclaim_ns = reclaim_ms * 1000000;
  t.delays.thrashing_ns = thrashing_ms * 1000000;
  return t;
}
}  // namespace

TEST(StallModelDelays, RunnableTaskLosingMostOfEachIntervalToReclaimIsStalled) {
  StallModel m(1500, 0.5);
  m.update({running(10, 100)}, 1000);  // first totals: a baseline only
  EXPECT_TRUE(m.stalls().empty());
  m.update({running(10, 800)}, 2000);  // 700 ms of 1000
  ASSERT_EQ(m.stalls().count(10), 1u);
  const TaskStall& s = m.stalls().at(10);
  EXPECT_EQ(s.kind, StallKind::Reclaim);
  EXPECT_EQ(s.since_ms, 1000) << "the stall began with the interval that showed it";
  EXPECT_STREQ(s.wchan, "?");
  EXPECT_EQ(s.evidence, StallEvidence::Delays);
  m.update({running(10, 1500)}, 3000);
  EXPECT_EQ(m.stalls().at(10).delay_ms(3000), 2000);
  EXPECT_EQ(m.counts(3000).stalling, 1);
  EXPECT_EQ(m.stalls().at(10).delays_base.reclaim_ns, 100u * 1000000);
  EXPECT_EQ(m.stalls().at(10).delays_now.reclaim_ns, 1500u * 1000000);
  m.update({running(10, 1600)}, 4000);  // 100 ms of 1000: progress again
  EXPECT_TRUE(m.stalls().empty());
}

TEST(StallModelDelays, ShareBelowThresholdIsNotAStall) {
  StallModel m(1000, 0.5);
  m.update({running(10, 0)}, 1000);
  m.update({running(10, 400)}, 2000);
  m.update({running(10, 800)}, 3000);
  EXPECT_TRUE(m.stalls().empty());
  m.set_delay_share(0.3);
  m.update({running(10, 1200)}, 4000);
  EXPECT_EQ(m.stalls().count(10), 1u);
}

TEST(StallModelDelays, ThrashingDominatedGrowthIsAnIoStall) {
  StallModel m(1000, 0.5);
  m.update({running(10, 0, 0)}, 1000);
  m.update({running(10, 100, 700)}, 2000);
  ASSERT_EQ(m.stalls().count(10), 1u);
  EXPECT_EQ(m.stalls().at(10).kind, StallKind::Io);
}

TEST(StallModelDelays, GrowthLongerThanTheIntervalIsIgnored) {
  StallModel m(1000, 0.5);
  m.update({running(10, 0)}, 1000);
  m.update({running(10, 26000000)}, 2000);  // 26000 s "in" 1 s: started while accounting was off
  EXPECT_TRUE(m.stalls().empty());
  m.update({running(10, 26000100)}, 3000);
  EXPECT_TRUE(m.stalls().empty());
}

TEST(StallModelDelays, ReusedPidStartsFromANewBaseline) {
  StallModel m(1000, 0.5);
  m.update({running(10, 0)}, 1000);
  m.update({running(10, 900, 0, /*start=*/555)}, 2000);  // another task with the same pid
  EXPECT_TRUE(m.stalls().empty());
}

TEST(StallModelDelays, WchanStallGetsDelayTotalsAndKeepsItsKind) {
  StallModel m(1000, 0.5);
  TaskSample t = task(10, 'D', StallKind::MmapLock);
  t.has_delays = true;
  t.delays.reclaim_ns = 5000000;
  m.update({t}, 1000);
  t.delays.reclaim_ns = 905000000;
  m.update({t}, 2000);
  const TaskStall& s = m.stalls().at(10);
  EXPECT_EQ(s.kind, StallKind::MmapLock) << "wchan's mmap-lock wait is the better name";
  EXPECT_EQ(s.evidence, StallEvidence::Wait) << "its wait showed it; the delays only measure it";
  EXPECT_EQ(s.since_ms, 1000);
  EXPECT_EQ(s.delays_now.reclaim_ns - s.delays_base.reclaim_ns, 900u * 1000000);
}

// The CI failure that asked for the evidence field: a reader in D on
// reclaim_throttle is a reclaim stall by its wait, whatever its delays say
// (there, 94% blkio); a test of the delay rule must tell the two apart.
TEST(StallModelDelays, DStateReclaimWaitIsWaitEvidenceEvenWithDelays) {
  StallModel m(1000, 0.4);
  TaskSample t = task(10, 'D', StallKind::Reclaim);
  std::strcpy(t.wchan, "reclaim_throttle");
  t.has_delays = true;
  t.delays.blkio_ns = 0;
  m.update({t}, 1000);
  t.delays.blkio_ns = 900000000;
  t.delays.reclaim_ns = 60000000;
  m.update({t}, 2000);
  ASSERT_EQ(m.stalls().count(10), 1u);
  EXPECT_EQ(m.stalls().at(10).kind, StallKind::Reclaim);
  EXPECT_EQ(m.stalls().at(10).evidence, StallEvidence::Wait);
  // The same task runnable, still losing most of each interval to reclaim:
  // now only its delays show the stall.
  TaskSample r = running(10, 1000);
  r.delays.blkio_ns = t.delays.blkio_ns;
  m.update({r}, 3000);
  r.delays.reclaim_ns = 1800000000;
  m.update({r}, 4000);
  ASSERT_EQ(m.stalls().count(10), 1u);
  EXPECT_EQ(m.stalls().at(10).evidence, StallEvidence::Delays);
}

TEST(StallModel, TracerReclaimIsTracerEvidence) {
  StallModel m(1000);
  m.note_reclaim(10, 10, "worker", 500, 1000, "0xcc0(GFP_KERNEL)", 0);
  ASSERT_EQ(m.stalls().count(10), 1u);
  EXPECT_EQ(m.stalls().at(10).evidence, StallEvidence::Tracer);
  EXPECT_STREQ(evidence_name(StallEvidence::Tracer), "tracer");
  EXPECT_STREQ(evidence_name(StallEvidence::Delays), "delays");
  EXPECT_STREQ(evidence_name(StallEvidence::Wait), "wait");
}

// A victim is alive while any of its threads is; a zombie (memory released,
// parent has not reaped it) is not.
TEST(StallModel, ZombieVictimIsGoneButAThreadStuckInExitKeepsItAlive) {
  StallModel m(1000);
  m.mark_victim(10, 1000);
  m.update({task(10, 'Z', StallKind::None), task(12, 'D', StallKind::None, 100, 10)}, 2000);
  EXPECT_TRUE(m.is_victim(10)) << "thread 12 of victim 10 has not exited";
  m.update({task(10, 'Z', StallKind::None)}, 3000);
  EXPECT_FALSE(m.is_victim(10)) << "only the zombie leader is left";
}

// A follow-up scan samples only the tracked processes (looked_at): what it
// did not look at stays as it was; what it looked at and did not find
// stalled (or alive) is forgotten as after a full scan.
TEST(StallModel, FollowUpScanForgetsOnlyWhatItLookedAt) {
  StallModel m(1000, 0.5);
  m.update({task(10, 'D', StallKind::MmapLock), task(20, 'D', StallKind::Reclaim), running(30, 100)}, 1000);
  m.mark_victim(40, 1000);
  ASSERT_EQ(m.stalls().size(), 2u);
  // Looks at 10 and 40 only: 10 is still stalled, 40 (a victim) is gone.
  const std::vector<pid_t> looked{10, 40};
  m.update({task(10, 'D', StallKind::MmapLock)}, 2000, &looked);
  EXPECT_EQ(m.stalls().count(10), 1u);
  EXPECT_EQ(m.stalls().count(20), 1u) << "not looked at: kept";
  EXPECT_FALSE(m.is_victim(40)) << "looked at and not found: gone";
  // 30's delay baseline survived the follow-up scan: the next full scan
  // measures its growth over the whole interval (1000 -> 3000 ms: 1500 of 2000).
  m.update({task(10, 'D', StallKind::MmapLock), running(30, 1600)}, 3000);
  EXPECT_EQ(m.stalls().count(20), 0u) << "a full scan forgets what it did not see stalled";
  ASSERT_EQ(m.stalls().count(30), 1u);
  EXPECT_EQ(m.stalls().at(30).since_ms, 1000);
  EXPECT_EQ(m.stalls().at(10).delay_ms(3000), 2000);
}

TEST(StallModel, BackdateDatesWhatAConfirmedEventsScanFoundFromTheEvent) {
  StallModel m(1000);
  m.update({task(10, 'D', StallKind::MmapLock)}, 1000);  // stalled before the event
  // The event at 4000, confirmed at 4500; its scan at 4600 finds 11 and 12
  // new, and 13 in a page-in wait.
  m.update({task(10, 'D', StallKind::MmapLock), task(11, 'D', StallKind::Reclaim), task(12, 'D', StallKind::Alloc),
            task(13, 'D', StallKind::Io)},
           4600);
  m.backdate(4600, 4000);
  EXPECT_EQ(m.stalls().at(10).since_ms, 1000);  // older than the event: kept
  EXPECT_EQ(m.stalls().at(11).since_ms, 4000);
  EXPECT_EQ(m.stalls().at(12).since_ms, 4000);
  EXPECT_EQ(m.stalls().at(13).since_ms, 4600);  // page-in: still needs two sightings
  EXPECT_EQ(m.stalls().at(11).delay_ms(5000), 1000);
  EXPECT_EQ(m.reportable(5000).size(), 3u);  // 10, 11, 12 at >= warn_after
  // A later scan does not move them again, nor does a backdate for a scan
  // that did not see them.
  m.update({task(11, 'D', StallKind::Reclaim)}, 5600);
  m.backdate(5000, 3000);
  EXPECT_EQ(m.stalls().at(11).since_ms, 4000);
}

// A page-in/folio wait alone (a throttled disk, a FUSE or NFS server) is no
// reason to kill unless memory is short; every other wait is. h18 saw the
// watchdog kill anon-ballast in a guest whose disk was throttled to 30 IOPS,
// with no memory pressure at all, on a 5.5 s page-in wait.
TEST(StallModel, APageInWaitMayKillOnlyWhenMemoryIsShort) {
  struct Row {
    StallKind kind;
    StallEvidence evidence;
    bool memory_short, may_kill;
  };
  const Row rows[] = {
      {StallKind::Io, StallEvidence::Wait, false, false},       // folio_wait_bit_common on a slow disk
      {StallKind::Io, StallEvidence::Wait, true, true},         // the same wait while memory PSI fires: thrash
      {StallKind::Io, StallEvidence::Delays, false, true},      // thrashing/swap-in delays: memory by definition
      {StallKind::Reclaim, StallEvidence::Wait, false, true},
      {StallKind::Alloc, StallEvidence::Wait, false, true},
      {StallKind::MmapLock, StallEvidence::Wait, false, true},  // the seed's lock: never needs PSI
      {StallKind::Exit, StallEvidence::Wait, false, true},      // a victim that does not finish exiting
  };
  for (const Row& r : rows) {
    TaskStall s;
    s.kind = r.kind;
    s.evidence = r.evidence;
    EXPECT_EQ(stall_may_kill(s, r.memory_short), r.may_kill)
        << kind_name(r.kind) << " " << evidence_name(r.evidence) << " memory_short=" << r.memory_short;
  }
}
