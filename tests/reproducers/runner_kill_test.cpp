// Kill the runner at random moments - while it starts, samples, tears down or
// writes the report - with SIGINT, SIGTERM and SIGKILL, many times, and check
// that no workload process and no cgroup survives it. The seed is printed so
// a failure can be replayed. ~25 s.
#include <gtest/gtest.h>

#include <chrono>
#include <csignal>
#include <fcntl.h>
#include <filesystem>
#include <random>
#include <spawn.h>
#include <sys/wait.h>
#include <thread>

#include "e2e_support.hpp"

extern char** environ;

using namespace e2e;
using namespace std::chrono_literals;

namespace {

pid_t spawn_runner(const std::string& out) {
  std::vector<std::string> args = {testbin(), "run", "test-sleep", "--children", "3", "--threads", "3",
                                   "--duration", "3s", "--stall-threshold", "1s", "--json", "--out", out};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
  pid_t pid = -1;
  if (posix_spawn(&pid, argv[0], &fa, nullptr, argv.data(), environ) != 0) pid = -1;
  posix_spawn_file_actions_destroy(&fa);
  return pid;
}

}  // namespace

TEST(RunnerKill, RandomSignalsAtRandomMomentsLeaveNothingBehind) {
  OOMLAB_SKIP_WITHOUT_MEMCG();
  const unsigned seed = static_cast<unsigned>(std::chrono::steady_clock::now().time_since_epoch().count());
  std::printf("seed %u\n", seed);
  std::mt19937 rng(seed);
  const int signals[] = {SIGINT, SIGTERM, SIGKILL};
  std::string out = temp_dir();
  int killed_mid_run = 0;
  for (int round = 0; round < 18; ++round) {
    const int sig = signals[round % 3];
    // 0-1.6 s: from before the group exists to well into the sampling loop.
    const auto delay = std::chrono::milliseconds(std::uniform_int_distribution<int>(0, 1600)(rng));
    pid_t runner = spawn_runner(out);
    ASSERT_GT(runner, 0);
    std::this_thread::sleep_for(delay);
    if (!groups_of(runner).empty()) ++killed_mid_run;
    kill(runner, sig);
    int status = 0;
    ASSERT_EQ(waitpid(runner, &status, 0), runner);
    SCOPED_TRACE("round " + std::to_string(round) + " signal " + std::to_string(sig) + " after " +
                 std::to_string(delay.count()) + " ms");
    // SIGINT/SIGTERM: the runner tears down itself. SIGKILL: the guardian
    // does, a moment later.
    std::vector<std::string> groups;
    std::vector<pid_t> tasks;
    for (int i = 0; i < 600; ++i) {  // up to 30 s: the guardian may be slow to run on a loaded machine
      groups = groups_of(runner);
      tasks = live_tasks_named("oomlab-tsleep");
      if (groups.empty() && tasks.empty()) break;
      std::this_thread::sleep_for(50ms);
    }
    EXPECT_TRUE(groups.empty()) << groups.front();
    EXPECT_TRUE(tasks.empty()) << tasks.size() << " workload tasks survived, e.g. pid " << tasks.front();
    if (sig != SIGKILL && WIFEXITED(status)) {
      EXPECT_EQ(WEXITSTATUS(status), 128 + sig) << "an interrupted run exits 128+signal";
    }
  }
  std::printf("%d of 18 rounds hit a live group\n", killed_mid_run);
  EXPECT_GT(killed_mid_run, 0);
  std::filesystem::remove_all(out);
}
