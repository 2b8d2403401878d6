#include "oomlab/common/subprocess.hpp"
#include "oomlab/common/procfs.hpp"
#include "oomlab/facts/proc_stat.hpp"

#include <csignal>
#include <gtest/gtest.h>
#include <optional>
#include <stdexcept>
#include <unistd.h>

using namespace oomlab;
using namespace std::chrono_literals;

TEST(Subprocess, CapturesStdoutStderrAndExitCode) {
  auto r = run_process({{"sh", "-c", "echo out; echo err >&2; exit 3"}});
  EXPECT_EQ(r.out, "out\n");
  EXPECT_EQ(r.err, "err\n");
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_EQ(r.signal, 0);
  EXPECT_FALSE(r.timed_out);
}

TEST(Subprocess, FeedsStdinLargerThanThePipeBuffer) {
  std::string big(1 << 20, 'x');
  ProcessSpec spec{{"wc", "-c"}};
  spec.stdin_data = big;
  auto r = run_process(spec);
  EXPECT_EQ(std::stoul(r.out), big.size());
}

TEST(Subprocess, TimeoutKillsTheWholeProcessGroup) {
  // The child starts a grandchild that would outlive it; both must die.
  ProcessSpec spec{{"sh", "-c", "sleep 30 & echo $!; wait"}};
  spec.timeout = 300ms;
  auto r = run_process(spec);
  EXPECT_TRUE(r.timed_out);
  EXPECT_EQ(r.signal, SIGKILL);
  pid_t grandchild = std::stoi(r.out);
  // Killed, it may linger as a zombie until its new parent reaps it: a
  // zombie or no process at all both mean it was killed.
  // SIGKILL is delivered asynchronously: give it a moment (not a timing
  // assertion: the bound only stops a real survivor from hanging the test).
  std::optional<std::string> state;
  bool gone = false;
  for (int i = 0; i < 200 && !gone; ++i) {
    state = read_proc_file("/proc/" + std::to_string(grandchild) + "/stat");
    oomlab::facts::ProcStat st;
    gone = !state || (oomlab::facts::parse_proc_stat(*state, st) && st.state == 'Z');
    if (!gone) usleep(10000);
  }
  EXPECT_TRUE(gone) << "grandchild " << grandchild << " survived: " << state.value_or("");
}

TEST(Subprocess, EnvironmentOverridesAndCwd) {
  ProcessSpec spec{{"sh", "-c", "echo $OOMLAB_X; pwd"}};
  spec.env = {{"OOMLAB_X", "42"}};
  spec.cwd = "/tmp";
  auto r = run_process(spec);
  EXPECT_EQ(r.out, "42\n/tmp\n");
}

TEST(Subprocess, MissingProgramExits127WithReason) {
  auto r = run_process({{"/nonexistent/oomlab-nothing"}});
  EXPECT_EQ(r.exit_code, 127);
  EXPECT_NE(r.err.find("cannot execute"), std::string::npos);
  EXPECT_THROW(run_process({}), std::invalid_argument);
}

TEST(Subprocess, SelfExeDirIsTheTestBinaryDirectory) {
  EXPECT_EQ(self_exe_dir(), OOMLAB_BIN_DIR);
}
