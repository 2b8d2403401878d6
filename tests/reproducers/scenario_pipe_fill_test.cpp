// pipe-fill through oomlab-repro, ~6 s: unread pipe buffers are charged to
// the group as kernel memory; every OOM kill takes the application, never
// the pipe holder, and the group stays full.
#include "scenario_support.hpp"

using namespace scenario_test;

TEST(ScenarioPipeFill, KernelMemoryStaysWhileTheApplicationIsKilled) {
  OOMLAB_SCENARIO_PRECONDITIONS();
  ScenarioRun run = run_scenario("pipe-fill");
  ASSERT_TRUE(run.report) << run.why();
  const std::string log = run.workload_log();
  const long long in_pipes = last_number_after(log, "pipe-fill: ");
  const long long kernel = last_number_after(log, "group kernel memory ");
  EXPECT_GT(in_pipes, 40ll << 20) << log;
  EXPECT_GE(kernel, in_pipes) << log;  // charged to the group, as kernel memory
  const auto& kills = run.report->oom_kills;
  ASSERT_GE(kills.size(), 2u) << describe(kills);
  for (const auto& k : kills) EXPECT_EQ(k.comm, "pipe-victim") << describe(kills);
  const std::int64_t first = kills[0].t_ms;
  EXPECT_GE(min_usage_between(run, first, INT64_MAX), 40ull << 20);
  expect_no_relief(run);
  expect_clean_teardown(run, {"pipe-holder", "pipe-victim", "pipe-fill"});
  discard(run);
}
