// dying-competition through oomlab-repro, ~6 s: 4 processes x 16 threads
// allocate; each OOM kill hits one of them while all its threads fault, and
// memory is freed with a measured latency.
#include "scenario_support.hpp"

using namespace scenario_test;

TEST(ScenarioDyingCompetition, KilledAllocatorsAreFreedAndRestarted) {
  OOMLAB_SCENARIO_PRECONDITIONS();
  ScenarioRun run = run_scenario("dying-competition");
  ASSERT_TRUE(run.report.is_object()) << run.proc.out << run.proc.err;
  const auto& kills = run.report["oom_kills"];
  ASSERT_GE(kills.size(), 2u) << kills.dump();
  for (const auto& k : kills) EXPECT_EQ(k["comm"], "alloc-racer");
  EXPECT_GE(run.timeline().back()["events"]["oom_kill"].get<int>(), 2);
  ASSERT_TRUE(run.report["outcome"]["kill_to_freed_ms"].is_number()) << run.report["outcome"].dump();
  EXPECT_NE(run.workload_log().find("ended (Killed), restarting"), std::string::npos) << run.workload_log();
  // 64 faulting threads: the sampler catches some of them waiting.
  EXPECT_GE(max_d_tasks(run), 1);
  expect_clean_teardown(run, {"alloc-racer", "dying-compet"});
  discard(run);
}
