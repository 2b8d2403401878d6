// dying-competition through oomlab-repro, ~6 s: 4 processes x 16 threads
// allocate; each OOM kill hits one of them while all its threads fault, and
// memory is freed with a measured latency.
#include "scenario_support.hpp"

using namespace scenario_test;

TEST(ScenarioDyingCompetition, KilledAllocatorsAreFreedAndRestarted) {
  OOMLAB_SCENARIO_PRECONDITIONS();
  ScenarioRun run = run_scenario("dying-competition");
  ASSERT_TRUE(run.report) << run.why();
  const auto& kills = run.report->oom_kills;
  ASSERT_GE(kills.size(), 2u) << describe(kills);
  for (const auto& k : kills) EXPECT_EQ(k.comm, "alloc-racer");
  ASSERT_FALSE(run.timeline().empty());
  EXPECT_GE(run.timeline().back().events.oom_kill, 2u);
  ASSERT_TRUE(run.report->outcome.kill_to_freed_ms) << describe(run.report->outcome);
  EXPECT_NE(run.workload_log().find("ended (Killed), restarting"), std::string::npos) << run.workload_log();
  // 64 faulting threads: the sampler catches some of them waiting.
  EXPECT_GE(max_d_tasks(run), 1);
  expect_clean_teardown(run, {"alloc-racer", "dying-compet"});
  discard(run);
}
