// The runner end to end, through its CLI, with the test-only scenarios:
// real cgroups, real OOM kills, real teardown. ~10 s in total.
#include <gtest/gtest.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <grp.h>
#include <pwd.h>
#include <sys/wait.h>

#include "e2e_support.hpp"

using namespace e2e;

TEST(RunnerE2E, HogIsOomKilledAndTheLatencyIsMeasured) {
  OOMLAB_SKIP_WITHOUT_MEMCG();
  std::string out = temp_dir();
  auto r = run({"run", "test-hog", "--limit", "48M", "--duration", "8s", "--stall-threshold", "4s", "--json", "--out", out});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;  // oom_resolved
  std::string path = report_path(r.out);
  ASSERT_FALSE(path.empty()) << r.out;
  std::string why;
  auto j = read_report(path, &why);
  ASSERT_TRUE(j) << why;
  EXPECT_EQ(j->outcome.cls, "oom_resolved");
  ASSERT_GE(j->oom_kills.size(), 1u);
  const auto& kill = j->oom_kills[0];
  EXPECT_EQ(kill.comm, "oomlab-thog");
  EXPECT_EQ(kill.source, "kmsg");
  EXPECT_GT(kill.anon_rss_kb, 16u * 1024);
  ASSERT_TRUE(kill.freed_ms) << "freed_ms is null";
  EXPECT_GE(*kill.freed_ms, 0);
  // The kernel's own counter agrees with what the log said.
  ASSERT_FALSE(j->timeline.empty());
  EXPECT_GE(j->timeline.back().events.oom_kill, 1u);
  EXPECT_EQ(j->workload.teardown, "complete");
  EXPECT_EQ(j->workload.exit, "signal 9 (Killed)");
  EXPECT_EQ(j->params.limit_bytes, std::optional<std::uint64_t>(48u << 20));
  EXPECT_EQ(j->cgroup.version, oomlab::cgroups::host_hierarchy().memory_version);
  bool slice_has_kill = false;
  for (const auto& l : j->kernel_log.lines) slice_has_kill |= l.find("Killed process") != std::string::npos;
  EXPECT_TRUE(slice_has_kill);
  // The run's one verdict, and the analyzer's document or the reason why not.
  EXPECT_EQ(j->verdict.cls, "oom_resolved") << j->verdict.title << " (from " << j->verdict.from << ") "
                                            << j->verdict.note;  // agrees with the outcome
  EXPECT_TRUE(j->log_verdict || !j->log_verdict_error.empty());
  EXPECT_TRUE(std::filesystem::exists(std::filesystem::path(path).parent_path() / "report.html"));
  EXPECT_FALSE(std::filesystem::exists(std::filesystem::path(path).parent_path() / "work"));
  std::filesystem::remove_all(out);
}

TEST(RunnerE2E, SleepersRunToTheDeadlineAndEverythingIsRemoved) {
  OOMLAB_SKIP_WITHOUT_MEMCG();
  std::string out = temp_dir();
  auto r = run({"run", "test-sleep", "--duration", "1500ms", "--stall-threshold", "1s", "--json", "--out", out});
  EXPECT_EQ(r.exit_code, 4) << r.out << r.err;  // no_oom
  std::string why;
  auto j = read_report(report_path(r.out), &why);
  ASSERT_TRUE(j) << why;
  EXPECT_EQ(j->outcome.cls, "no_oom");
  EXPECT_EQ(j->workload.exit, "running at the end of the run");
  EXPECT_EQ(j->workload.teardown, "complete");
  // The detached grandchild and the threads were in the group and sampled.
  int most_tasks = 0;
  for (const auto& s : j->timeline) most_tasks = std::max(most_tasks, s.tasks.sleeping);
  EXPECT_GE(most_tasks, 6);  // leader + 2 threads + 3 children (+ a zombie parent)
  EXPECT_GE(j->timeline.size(), 10u);
  EXPECT_TRUE(live_tasks_named("oomlab-tsleep").empty());
  std::filesystem::remove_all(out);
}

TEST(RunnerE2E, WorkloadThatFinishesEndsTheRunEarly) {
  OOMLAB_SKIP_WITHOUT_MEMCG();
  std::string out = temp_dir();
  auto r = run({"run", "test-exit", "--code", "3", "--duration", "20s", "--json", "--out", out});
  EXPECT_EQ(r.exit_code, 4) << r.out << r.err;
  std::string why;
  auto j = read_report(report_path(r.out), &why);
  ASSERT_TRUE(j) << why;
  EXPECT_EQ(j->workload.exit, "exit 3");
  ASSERT_FALSE(j->timeline.empty());
  EXPECT_LT(j->timeline.back().t_ms, 5000);
  std::filesystem::remove_all(out);
}

TEST(RunnerE2E, RefusesAHogWithoutAMemoryCgroup) {
  OOMLAB_SKIP_WITHOUT_MEMCG();
  // An unprivileged user cannot create the group: the runner must refuse,
  // not fall back to running unlimited.
  passwd* nobody = getpwnam("nobody");
  if (!nobody) GTEST_SKIP() << "no 'nobody' user to drop privileges to";
  // nobody may not be able to reach the build tree (a checkout under /root
  // or in a 0700 temp dir): it runs a copy of the binary from a directory
  // of its own that anyone can traverse, removed afterwards. The binary is
  // self-contained (the runner and the catalogue are static libraries).
  namespace fs = std::filesystem;
  const std::string dir = temp_dir();
  struct Remove {
    std::string path;
    ~Remove() { fs::remove_all(path); }
  } remove_dir{dir};
  fs::permissions(dir, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                           fs::perms::others_read | fs::perms::others_exec);
  const std::string bin = dir + "/oomlab-repro-testbin";
  fs::copy_file(testbin(), bin);
  fs::permissions(bin, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                           fs::perms::others_read | fs::perms::others_exec);
  const std::string out = dir + "/out";
  fs::create_directory(out);
  fs::permissions(out, fs::perms::all);
  int fds[2], outs[2];
  ASSERT_EQ(pipe(fds), 0);
  ASSERT_EQ(pipe(outs), 0);
  pid_t pid = fork();
  if (pid == 0) {
    dup2(fds[1], 2);
    dup2(outs[1], 1);
    if (chdir("/") != 0 || setgroups(0, nullptr) != 0 || setgid(nobody->pw_gid) != 0 || setuid(nobody->pw_uid) != 0)
      _exit(99);
    execl(bin.c_str(), bin.c_str(), "run", "test-hog", "--duration", "2s", "--stall-threshold", "1s", "--out",
          out.c_str(), "--json", static_cast<char*>(nullptr));
    std::fprintf(stderr, "cannot exec %s as nobody: %s\n", bin.c_str(), std::strerror(errno));
    _exit(98);
  }
  close(fds[1]);
  close(outs[1]);
  std::string err, json;
  char buf[512];
  for (ssize_t n; (n = read(fds[0], buf, sizeof buf)) > 0;) err.append(buf, static_cast<std::size_t>(n));
  for (ssize_t n; (n = read(outs[0], buf, sizeof buf)) > 0;) json.append(buf, static_cast<std::size_t>(n));
  close(fds[0]);
  close(outs[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 5) << err;
  EXPECT_NE(err.find("refusing to run a memory hog outside a memory-limited cgroup"), std::string::npos) << err;
  EXPECT_NE(err.find("--unsafe-no-cgroup"), std::string::npos) << err;
  std::string why;
  auto summary = oomlab::formats::decode_run_summary(json, &why);  // --json still gets one document
  ASSERT_TRUE(summary) << why << ": " << json;
  EXPECT_TRUE(summary->outcome.empty()) << summary->outcome;  // null: the run did not happen
  EXPECT_EQ(summary->exit_code, 5);
  EXPECT_TRUE(live_tasks_named("oomlab-thog").empty());
}

TEST(RunnerE2E, UnsafeNoCgroupRunsAndStillCleansUp) {
  OOMLAB_SKIP_WITHOUT_MEMCG();
  std::string out = temp_dir();
  // Without a group the runner's PSI is the system's (/proc/pressure/memory):
  // another test filling memory at the same moment made this run "stalled"
  // (exit 3/1 instead of 4) once. The share that counts is raised to 100%,
  // and the exit code is checked against the outcome the report explains.
  auto r = run({"run", "test-sleep", "--children", "1", "--unsafe-no-cgroup", "--duration", "1s", "--stall-threshold",
                "500ms", "--stall-psi", "100%", "--json", "--out", out});
  std::string why;
  auto j = read_report(report_path(r.out), &why);
  ASSERT_TRUE(j) << why << "\n" << r.out << r.err;
  EXPECT_EQ(r.exit_code, j->outcome.exit_code) << r.out << r.err;
  EXPECT_TRUE(j->oom_kills.empty());
  if (j->outcome.stalls.empty()) {
    EXPECT_EQ(r.exit_code, 4) << r.out << r.err;
  }
  EXPECT_EQ(j->cgroup.version, 0);
  EXPECT_FALSE(j->params.limit_bytes);
  EXPECT_EQ(j->workload.teardown.rfind("complete", 0), 0u) << j->workload.teardown;
  // Sleepers of runs in memory cgroups (other tests running in parallel:
  // runner_kill_test, the sleepers test) are not ours; ours had no group.
  for (pid_t pid : live_tasks_named("oomlab-tsleep")) {
    auto cg = oomlab::read_proc_file("/proc/" + std::to_string(pid) + "/cgroup");
    if (cg && cg->find("/oomlab/") == std::string::npos) ADD_FAILURE() << "sleeper " << pid << " left behind:\n" << *cg;
  }
  std::filesystem::remove_all(out);
}

TEST(RunnerE2E, UsageErrorsExit2WithOneLine) {
  auto r = run({"run", "test-sleep", "--bogus", "1"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  EXPECT_EQ(run({"frobnicate"}).exit_code, 2);
  EXPECT_EQ(run({}).exit_code, 2);
  auto help = run({"--help"});
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_NE(help.out.find("Outcomes and exit codes"), std::string::npos);
  auto list = run({"list"});
  EXPECT_EQ(list.exit_code, 0);
  EXPECT_NE(list.out.find("test-hog"), std::string::npos);
  auto scenario_help = run({"run", "test-sleep", "--help"});
  EXPECT_EQ(scenario_help.exit_code, 0);
  EXPECT_NE(scenario_help.out.find("--children"), std::string::npos);
}
