// mmap-sem (the 2015 seed) through oomlab-repro, ~9 s. On current kernels the
// OOM killer takes the victim, then the hog, and memory comes back within
// milliseconds; the writers and the cmdline reader are seen waiting on the
// victim's mmap lock meanwhile.
#include "scenario_support.hpp"

using namespace scenario_test;

TEST(ScenarioMmapSem, VictimThenHogAreOomKilledAndMemoryIsFreed) {
  OOMLAB_SCENARIO_PRECONDITIONS();
  // 3 writer tasks instead of the seed's 9: spinning writers take the CPU the
  // hog needs to fill the group (at 256M with 9 of them on 2 vCPUs a round
  // takes 11-14 s), and a loaded CI machine must still see a round end.
  ScenarioRun run = run_scenario("mmap-sem", {"--threads", "3"}, "8s");
  ASSERT_TRUE(run.report) << run.why();
  const auto& kills = run.report->oom_kills;
  ASSERT_GE(kills.size(), 2u) << describe(kills);
  // oom_score_adj 1000 plus its own RSS makes the victim the first choice, as
  // "sacrifice child" did in 2015; its death frees too little, so the hog
  // follows.
  EXPECT_EQ(kills[0].comm, "mmap-victim") << describe(kills);
  bool hog_killed = false;
  for (const auto& k : kills) hog_killed |= k.comm == "zero-hog";
  EXPECT_TRUE(hog_killed) << describe(kills);
  ASSERT_FALSE(run.timeline().empty());
  EXPECT_GE(run.timeline().back().events.oom_kill, 2u);
  // Resolved: memory was freed after the kills, with a measured latency.
  const formats::ReportOutcome& outcome = run.report->outcome;
  EXPECT_EQ(outcome.cls, "oom_resolved") << describe(outcome);
  EXPECT_EQ(run.proc.exit_code, 0);
  ASSERT_TRUE(outcome.kill_to_freed_ms);
  EXPECT_LT(*outcome.kill_to_freed_ms, 5000);
  // The victim's writers queue on its mmap lock (mmap/munmap) while the
  // reader of its cmdline waits for the same lock.
  EXPECT_GE(max_d_tasks(run), 2);
  EXPECT_GT(wait_channel_hits(run, "vm_mmap_pgoff") + wait_channel_hits(run, "__vm_munmap"), 0);
  EXPECT_NE(run.workload_log().find("round 0: hog Killed"), std::string::npos) << run.workload_log();
  expect_clean_teardown(run, {"mmap-victim", "zero-hog", "proc-reader", "mmap-sem"});
  discard(run);
}
