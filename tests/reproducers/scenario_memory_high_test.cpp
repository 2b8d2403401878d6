// memory-high through oomlab-repro: on a cgroup v2 memory controller the
// allocators are throttled above memory.high and never OOM-killed (~6 s); on
// v1 the runner refuses it with the reason.
#include "oomlab/cgroups/hierarchy.hpp"
#include "scenario_support.hpp"

using namespace scenario_test;

TEST(ScenarioMemoryHigh, ThrottledAboveHighWithoutOomKillOrSkippedOnV1) {
  OOMLAB_SCENARIO_PRECONDITIONS();
  ScenarioRun run = run_scenario("memory-high");
  if (oomlab::cgroups::host_hierarchy().memory_version != 2) {
    EXPECT_EQ(run.proc.exit_code, 5) << run.proc.out << run.proc.err;  // cannot_run
    EXPECT_NE(run.proc.err.find("v2"), std::string::npos) << run.proc.err;
    discard(run);
    return;
  }
  ASSERT_TRUE(run.report) << run.why();
  EXPECT_TRUE(run.report->oom_kills.empty()) << describe(run.report->oom_kills);
  ASSERT_FALSE(run.timeline().empty());
  EXPECT_GT(run.timeline().back().events.high, 0u);
  EXPECT_GT(wait_channel_hits(run, "mem_cgroup_handle_over_high"), 0);
  expect_clean_teardown(run, {"high-alloc", "memory-high"});
  discard(run);
}
