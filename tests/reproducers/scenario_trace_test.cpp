// `oomlab-repro run mmap-lock-hold --trace` on the real kernel, ~9 s: the
// BPF stall tracer's per-sample series name the blocked mmap_lock waiters
// and their holder, and the group's memcg reclaim with its gfp mask. Skips
// (with the tracer's reason) where BPF cannot load.
#include "scenario_support.hpp"

using namespace scenario_test;

TEST(ScenarioTrace, MmapLockHoldSeriesNameWaitersHoldersAndReclaim) {
  OOMLAB_SCENARIO_PRECONDITIONS();
  ScenarioRun run = run_scenario("mmap-lock-hold", {"--trace"}, "8s");
  ASSERT_TRUE(run.report) << run.why();
  ASSERT_TRUE(run.report->tracer) << "no tracer section: " << describe(run.report->outcome);
  const formats::ReportTracer& tracer = *run.report->tracer;
  if (tracer.status != "ok") {
    discard(run);
    GTEST_SKIP() << "BPF stall tracer cannot load here: " << tracer.status;
  }
  std::int64_t longest_wait = 0, longest_reclaim_samples = 0;
  std::string waiter, holders, gfp;
  for (const auto& s : run.timeline()) {
    ASSERT_TRUE(s.trace) << "sample at " << s.t_ms << " ms";  // every sample carries the series
    const formats::ReportTrace& t = *s.trace;
    if (t.lockwait_longest_ms > longest_wait) {
      longest_wait = t.lockwait_longest_ms;
      waiter = t.lockwait_waiter;
      holders = t.lockwait_holders;
    }
    if (t.in_reclaim > 0) {
      ++longest_reclaim_samples;
      gfp = t.reclaim_gfp;
      EXPECT_TRUE(t.reclaim_kind == "memcg" || t.reclaim_kind == "direct")
          << t.reclaim_kind << " at " << s.t_ms << " ms: " << t.reclaim_task;
    }
  }
  // The holder reads a slow FUSE page through /proc/self/mem (2 s per
  // page-in) with mmap_lock held for read; its sibling's munmap waits for
  // write, cmdline probes queue behind it.
  EXPECT_GE(longest_wait, 1000) << waiter << " " << holders;
  EXPECT_TRUE(waiter.rfind("lock-holder(", 0) == 0 || waiter.rfind("cmdline-probe(", 0) == 0) << waiter;
  // Mostly held for read: the tracer reads the rwsem's reader count and names
  // the last reader to take the lock (the kernel keeps no reader list): the
  // holder, a probe that got in beside it, or nobody when that task is gone
  // ("held for read by +N more"); or held for write by the munmap thread
  // (comm lock-holder) when a probe queues behind it. Never "holder unknown",
  // and any task named belongs to this scenario.
  EXPECT_EQ(holders.rfind("held for ", 0), 0u) << holders;
  if (holders.find('(') != std::string::npos) {
    EXPECT_TRUE(holders.find("lock-holder(") != std::string::npos ||
                holders.find("cmdline-probe(") != std::string::npos)
        << holders;
  }
  // Ballast + page-cache churn keep the group in memcg reclaim.
  EXPECT_GE(longest_reclaim_samples, 1);
  EXPECT_EQ(gfp.rfind("0x", 0), 0u) << gfp;
  EXPECT_NE(gfp.find("GFP_"), std::string::npos) << gfp;
  expect_clean_teardown(run, {"lock-holder", "cmdline-probe", "cache-churn", "anon-ballast", "slow-fuse"});
  discard(run);
}
