// Tracer lines (docs/FORMATS.md "Tracer (BPF) lines") and the conversion of
// raw BPF records into them.
#include <cstring>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "../../tracer/src/records.hpp"
#include "oomlab/tracer/format.hpp"

using namespace oomlab::tracer;
using namespace std::chrono_literals;

namespace {

GfpTable gfp_6_1() { return GfpTable::for_release("6.1.0"); }

stall_task_id raw_task(__u32 tid, __u32 tgid, const char* comm) {
  stall_task_id t{};
  t.tid = tid;
  t.tgid = tgid;
  std::strncpy(t.comm, comm, sizeof t.comm);
  return t;
}

TEST(TracerFormat, ReclaimLine) {
  ReclaimEpisode r{{3418, 3418, "a.out"}, ReclaimKind::Memcg, 0x100cca, 0, 12'345'678ns, 32, 0};
  EXPECT_EQ(format_reclaim(r, gfp_6_1()),
            "reclaim: a.out(3418) kind=memcg gfp=0x100cca(GFP_HIGHUSER_MOVABLE) order=0 delay=12ms");
  auto j = to_json(r, gfp_6_1());
  EXPECT_EQ(j["type"], "reclaim");
  EXPECT_EQ(j["gfp"], "0x100cca");
  EXPECT_EQ(j["gfp_flags"], "GFP_HIGHUSER_MOVABLE");
  EXPECT_EQ(j["delay_ns"], 12'345'678);
  EXPECT_EQ(j["tid"], 3418);
}

TEST(TracerFormat, LockWaitHeldForRead) {
  LockWait w;
  w.task = {3418, 3418, "a.out"};
  w.write = true;
  w.wait = 12s;
  w.holders.readers = {{3419, 3418, "a.out"}, {3420, 3418, "my comm (x)"}};
  EXPECT_EQ(format_lockwait(w),
            "lockwait: a.out(3418) waits mmap_lock write 12000ms; held for read by a.out(3419), my comm (x)(3420)");
  w.holders.unnamed_readers = 3;
  EXPECT_EQ(format_lockwait(w), "lockwait: a.out(3418) waits mmap_lock write 12000ms; held for read by a.out(3419), "
                                "my comm (x)(3420) +3 more");
}

TEST(TracerFormat, LockWaitHeldForWriteOngoingAndUnknown) {
  LockWait w;
  w.task = {7, 7, "cat"};
  w.wait = 1500ms;
  w.ongoing = true;
  w.holders.writer = TaskId{9, 9, "hog"};
  EXPECT_EQ(format_lockwait(w), "lockwait: cat(7) waits mmap_lock read 1500ms ongoing; held for write by hog(9)");
  w.holders = {};
  w.ongoing = false;
  w.acquired = false;
  EXPECT_EQ(format_lockwait(w), "lockwait: cat(7) waits mmap_lock read 1500ms killed; holder unknown");
  auto j = to_json(w);
  EXPECT_EQ(j["holders"]["mode"], "unknown");
  EXPECT_EQ(j["acquired"], false);
}

TEST(TracerFormat, VictimTimelineLine) {
  const std::int64_t origin = 1'000'000'000;
  VictimTimeline v;
  v.victim = {500, 500, "hog"};
  ASSERT_TRUE(v.apply({{500, 0, ""}, OomStage::MarkVictim, origin + 2'000'000'000}));
  EXPECT_EQ(format_victim(v, origin), "victim: hog(500) marked=+2000ms reaped=- exited=-");
  ASSERT_TRUE(v.apply({{500, 0, ""}, OomStage::FinishReaping, origin + 2'040'000'000}));
  ASSERT_TRUE(v.apply({{500, 0, ""}, OomStage::Exited, origin + 2'100'000'000}));
  EXPECT_EQ(format_victim(v, origin), "victim: hog(500) marked=+2000ms reaped=+40ms exited=+100ms");
  EXPECT_FALSE(v.apply({{501, 0, ""}, OomStage::Exited, origin}));

  VictimTimeline skipped;
  skipped.victim = {600, 600, "x"};
  skipped.apply({{600, 0, ""}, OomStage::MarkVictim, origin});
  skipped.apply({{600, 0, ""}, OomStage::SkipReaping, origin + 5'000'000});
  EXPECT_EQ(format_victim(skipped, origin), "victim: x(600) marked=+0ms reaped=skipped exited=-");
  auto j = to_json(skipped);
  EXPECT_EQ(j["skipped_after_ns"], 5'000'000);
  EXPECT_TRUE(j["exited_after_ns"].is_null());
}

TEST(TracerFormat, VictimNotExitedInTimeIsPending) {
  const std::int64_t origin = 1'000'000'000, marked = origin + 300'000'000;
  VictimTimeline v;
  v.victim = {700, 700, "hog"};
  ASSERT_TRUE(v.apply({{700, 0, ""}, OomStage::MarkVictim, marked}));
  EXPECT_FALSE(v.overdue(marked + 4'999'000'000, 5s));
  EXPECT_TRUE(v.overdue(marked + 5'000'000'000, 5s));
  EXPECT_EQ(format_pending_victim(v, origin, marked + 6'250'000'000),
            "victim: hog(700) marked=+300ms reaped=- exited=- pending=6250ms");
  EXPECT_EQ(to_json_pending(v, marked + 6'250'000'000)["pending_ns"], 6'250'000'000);
  ASSERT_TRUE(v.apply({{700, 0, ""}, OomStage::Exited, marked + 7'000'000'000}));
  EXPECT_FALSE(v.overdue(marked + 60'000'000'000, 5s)) << "an exited victim is never overdue";
}

TEST(TracerRecords, ReclaimRecord) {
  stall_event e{};
  e.type = STALL_EV_RECLAIM;
  e.ts_ns = 77;
  e.task = raw_task(10, 9, "kswapd-like");
  e.reclaim.delay_ns = 5'000'000;
  e.reclaim.gfp = 0xcc0;
  e.reclaim.order = 3;
  e.reclaim.kind = STALL_RECLAIM_DIRECT;
  auto ev = to_event(e);
  ASSERT_TRUE(ev);
  auto& r = std::get<ReclaimEpisode>(*ev);
  EXPECT_EQ(r.task.tid, 10);
  EXPECT_EQ(r.task.tgid, 9);
  EXPECT_EQ(r.task.comm, "kswapd-like");
  EXPECT_EQ(r.order, 3);
  EXPECT_EQ(r.kind, ReclaimKind::Direct);
  EXPECT_EQ(r.delay, 5ms);
}

TEST(TracerRecords, FullCommIsNotOverrun) {
  stall_event e{};
  e.type = STALL_EV_RECLAIM;
  std::memset(e.task.comm, 'x', sizeof e.task.comm);  // no NUL: 16 chars
  auto ev = to_event(e);
  ASSERT_TRUE(ev);
  EXPECT_EQ(std::get<ReclaimEpisode>(*ev).task.comm, std::string(16, 'x'));
}

TEST(TracerRecords, LockWaitHolders) {
  stall_event e{};
  e.type = STALL_EV_LOCKWAIT;
  e.task = raw_task(1, 1, "w");
  e.lock.write = 1;
  e.lock.acquired = 1;
  e.lock.wait_ns = 2'000'000;
  e.lock.holders.readers[0] = raw_task(5, 1, "r5");  // the rwsem's owner: the last reader
  e.lock.holders.nreaders = 4;  // the rwsem's count: every reader
  auto ev = to_event(e);
  ASSERT_TRUE(ev);
  auto& w = std::get<LockWait>(*ev);
  EXPECT_TRUE(w.write);
  ASSERT_EQ(w.holders.readers.size(), 1u);
  EXPECT_EQ(w.holders.readers[0].tid, 5);
  EXPECT_EQ(w.holders.unnamed_readers, 3);
  EXPECT_FALSE(w.holders.writer);
}

TEST(TracerRecords, ReadersBeyondTheNamedOnesAreCountedUnnamed) {
  stall_holders h{};
  for (int i = 0; i < STALL_MAX_READERS; i++) h.readers[i] = raw_task(10 + i, 1, "r");
  h.nreaders = STALL_MAX_READERS + 3;
  LockHolders out = to_holders(h);
  EXPECT_EQ(out.readers.size(), static_cast<std::size_t>(STALL_MAX_READERS));
  EXPECT_EQ(out.unnamed_readers, 3);
  h.nreaders = 1;  // a count below the named ones never goes negative
  EXPECT_EQ(to_holders(h).unnamed_readers, 0);
}

TEST(TracerRecords, DuplicateReaderSlotsNameATaskOnce) {
  stall_holders h{};
  h.readers[0] = raw_task(7, 7, "cc1plus");
  h.readers[2] = raw_task(7, 7, "cc1plus");
  h.nreaders = 2;
  LockHolders out = to_holders(h);
  ASSERT_EQ(out.readers.size(), 1u);
  EXPECT_EQ(out.readers[0].tid, 7);
}

TEST(TracerRecords, OomRecordsAndUnknownTypes) {
  stall_event e{};
  e.type = STALL_EV_OOM;
  e.oom.stage = STALL_OOM_SKIP_REAPING;
  e.oom.pid = 42;
  auto ev = to_event(e);
  ASSERT_TRUE(ev);
  EXPECT_EQ(std::get<OomEvent>(*ev).stage, OomStage::SkipReaping);
  EXPECT_EQ(std::get<OomEvent>(*ev).victim.tid, 42);
  e.oom.stage = 99;
  EXPECT_FALSE(to_event(e));
  e.type = 1234;
  EXPECT_FALSE(to_event(e));
}

TEST(TracerRecords, OngoingWaitUsesCurrentHoldersWhenGiven) {
  stall_lock_waiter w{};
  w.task = raw_task(3, 3, "reader");
  w.start_ns = 1'000;
  w.holders.writer = raw_task(4, 3, "old");
  stall_holders now{};
  now.writer = raw_task(8, 3, "new");
  auto lw = to_ongoing_wait(w, &now, 3'000'001'000);
  EXPECT_TRUE(lw.ongoing);
  EXPECT_EQ(lw.wait, 3s);
  ASSERT_TRUE(lw.holders.writer);
  EXPECT_EQ(lw.holders.writer->tid, 8);
  EXPECT_EQ(to_ongoing_wait(w, nullptr, 2'000).holders.writer->tid, 4);
}

}  // namespace
