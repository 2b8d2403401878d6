// page-cache-thrash through oomlab-repro, ~9 s: the limit is hit hundreds of
// thousands of times, pages refault, and the OOM killer is never called.
#include "scenario_support.hpp"

using namespace scenario_test;

TEST(ScenarioPageCacheThrash, RefaultsWithoutAnyOomKill) {
  OOMLAB_SCENARIO_PRECONDITIONS();
  // 8 s: writing the 64 MiB working set to the disk comes first.
  ScenarioRun run = run_scenario("page-cache-thrash", {}, "8s");
  ASSERT_TRUE(run.report) << run.why();
  EXPECT_TRUE(run.report->oom_kills.empty()) << describe(run.report->oom_kills);
  ASSERT_FALSE(run.timeline().empty());
  const formats::ReportEvents& events = run.timeline().back().events;
  EXPECT_EQ(events.oom_kill, 0u);
  EXPECT_GT(events.max, 1000u) << "high " << events.high << " oom " << events.oom;  // v1 failcnt / v2 max events
  // The readers report their passes and the group's refault counter.
  const std::string log = run.workload_log();
  EXPECT_NE(log.find("page-cache-thrash: pass "), std::string::npos) << log;
  EXPECT_GT(last_number_after(log, "group refaults "), 1000) << log;
  EXPECT_GT(min_usage_between(run, 4000, 8000), 56ull << 20) << log;  // the group stays full
  expect_clean_teardown(run, {"cache-reader", "anon-ballast", "cache-thrash"});
  discard(run);
}

TEST(ScenarioPageCacheThrash, RefusesAWorkDirectoryInMemory) {
  OOMLAB_SCENARIO_PRECONDITIONS();
  auto mounts = oomlab::read_proc_file("/proc/self/mounts", 1 << 20);
  if (!mounts || mounts->find(" /dev/shm tmpfs ") == std::string::npos) GTEST_SKIP() << "/dev/shm is not a tmpfs";
  char tmpl[] = "/dev/shm/oomlab-scenario-test-XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  oomlab::ProcessSpec spec({repro_binary(), "run", "page-cache-thrash", "--limit", "64M", "--duration", "5s",
                            "--stall-threshold", "3s", "--out", tmpl});
  spec.timeout = std::chrono::seconds(60);
  auto r = oomlab::run_process(spec);
  EXPECT_EQ(r.exit_code, 5) << r.out << r.err;  // cannot_run
  EXPECT_NE(r.err.find("memory-backed"), std::string::npos) << r.err;
  std::filesystem::remove_all(tmpl);
}
