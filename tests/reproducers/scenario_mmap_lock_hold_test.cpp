// mmap-lock-hold through oomlab-repro, two 8 s runs. With memory pressure the
// probes reading /proc/HOLDER/cmdline stay blocked to the end of the run;
// without it they block only while the slow file is first read.
#include <regex>

#include "scenario_support.hpp"

using namespace scenario_test;

namespace {

// Longest "blocked N ms" / "still blocked after N ms" the probes reported.
long long longest_reported_block(const std::string& log) {
  static const std::regex re("blocked (after )?([0-9]+) ms");
  long long longest = 0;
  for (std::sregex_iterator it(log.begin(), log.end(), re), end; it != end; ++it)
    longest = std::max(longest, std::stoll((*it)[2].str()));
  return longest;
}

}  // namespace

TEST(ScenarioMmapLockHold, CmdlineReadersBlockUntilTheEndUnderPressure) {
  OOMLAB_SCENARIO_PRECONDITIONS();
  ScenarioRun run = run_scenario("mmap-lock-hold", {}, "8s");
  ASSERT_TRUE(run.report) << run.why();
  // The probes' own timeout fired: a cmdline read blocked for >= 1 s.
  EXPECT_GE(longest_reported_block(run.workload_log()), 1000) << run.workload_log();
  // The runner saw them in D state on the mmap lock, still in the last
  // seconds of the run, for longer than any brief contention.
  EXPECT_GE(max_d_tasks(run), 2);
  EXPECT_GE(longest_wait_streak_ms(run, "__access_remote_vm", 5500), 1000) << run.workload_log();
  // A lock stall, not an OOM: nothing was killed.
  EXPECT_TRUE(run.report->oom_kills.empty()) << describe(run.report->oom_kills);
  expect_clean_teardown(run, {"lock-holder", "cmdline-probe", "slow-fuse", "anon-ballast", "cache-churn"});
  discard(run);
}

TEST(ScenarioMmapLockHold, WithoutPressureTheBlockEndsAfterTheFirstPass) {
  OOMLAB_SCENARIO_PRECONDITIONS();
  ScenarioRun run = run_scenario("mmap-lock-hold", {"--churn", "no", "--ballast", "0"}, "8s");
  ASSERT_TRUE(run.report) << run.why();
  // The first pass pages the file in (2 reads of 2 s) under the lock...
  EXPECT_GE(longest_reported_block(run.workload_log()), 1000) << run.workload_log();
  EXPECT_GT(wait_channel_hits(run, "__access_remote_vm", 0, 3000), 0);
  // ...then it stays cached and cmdline reads no longer wait, except for a
  // sample catching the mmap/munmap writer's brief hold now and then.
  EXPECT_LT(longest_wait_streak_ms(run, "__access_remote_vm", 6000), 500) << run.workload_log();
  expect_clean_teardown(run, {"lock-holder", "cmdline-probe", "slow-fuse"});
  discard(run);
}
