// shmem-fill through oomlab-repro, ~6 s: the OOM killer kills the memfd's
// mapper first, usage does not drop, and then the application is killed over
// and over.
#include "scenario_support.hpp"

using namespace scenario_test;

TEST(ScenarioShmemFill, KillingTheMapperFreesNothing) {
  OOMLAB_SCENARIO_PRECONDITIONS();
  ScenarioRun run = run_scenario("shmem-fill");
  ASSERT_TRUE(run.report) << run.why();
  const auto& kills = run.report->oom_kills;
  ASSERT_GE(kills.size(), 3u) << describe(kills);
  EXPECT_EQ(kills[0].comm, "shmem-filler");  // mapped shmem counts in its RSS
  for (std::size_t i = 1; i < kills.size(); ++i) EXPECT_EQ(kills[i].comm, "shmem-victim") << i;
  // After the mapper's death the memfd still holds ~90% of the limit.
  const std::int64_t first = kills[0].t_ms;
  EXPECT_GE(min_usage_between(run, first + 100, first + 2000), 48ull << 20);
  EXPECT_GT(last_number_after(run.workload_log(), "group shmem "), 48ll << 20) << run.workload_log();
  expect_no_relief(run);
  expect_clean_teardown(run, {"shmem-filler", "shmem-victim", "shmem-fill"});
  discard(run);
}
