// `oomlab-repro run mmap-lock-hold --trace` on the real kernel, ~9 s: the
// BPF stall tracer's per-sample series name the blocked mmap_lock waiters
// and their holder, and the group's memcg reclaim with its gfp mask. Skips
// (with the tracer's reason) where BPF cannot load.
#include "scenario_support.hpp"

using namespace scenario_test;

TEST(ScenarioTrace, MmapLockHoldSeriesNameWaitersHoldersAndReclaim) {
  OOMLAB_SCENARIO_PRECONDITIONS();
  ScenarioRun run = run_scenario("mmap-lock-hold", {"--trace"}, "8s");
  ASSERT_TRUE(run.report.is_object()) << run.proc.out << run.proc.err;
  const auto& tracer = run.report["tracer"];
  ASSERT_TRUE(tracer.is_object()) << run.report.dump().substr(0, 1000);
  if (tracer["status"] != "ok") {
    discard(run);
    GTEST_SKIP() << "BPF stall tracer cannot load here: " << tracer["status"].get<std::string>();
  }
  std::int64_t longest_wait = 0, longest_reclaim_samples = 0;
  std::string waiter, holders, gfp;
  for (const auto& s : run.timeline()) {
    ASSERT_TRUE(s["trace"].is_object()) << s.dump();  // every sample carries the series
    const auto& t = s["trace"];
    if (t["lockwait_longest_ms"].get<std::int64_t>() > longest_wait) {
      longest_wait = t["lockwait_longest_ms"].get<std::int64_t>();
      waiter = t["lockwait_waiter"].get<std::string>();
      holders = t["lockwait_holders"].get<std::string>();
    }
    if (t["in_reclaim"].get<int>() > 0) {
      ++longest_reclaim_samples;
      gfp = t["reclaim_gfp"].get<std::string>();
      EXPECT_TRUE(t["reclaim_kind"] == "memcg" || t["reclaim_kind"] == "direct") << t;
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
