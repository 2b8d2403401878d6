// The taskstats client against the running kernel: answers for live
// threads, nothing for a pid that is gone, and every reply is the asked
// task's even when queries for live and gone tasks interleave.
#include <atomic>
#include <gtest/gtest.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

#include "oomlab/watchdog/taskstats.hpp"

using oomlab::watchdog::DelayTotals;
using oomlab::watchdog::TaskstatsClient;

namespace {
pid_t reaped_pid() {
  pid_t p = fork();
  if (p == 0) _exit(0);
  waitpid(p, nullptr, 0);
  return p;
}
}  // namespace

TEST(Taskstats, AnswersForLiveThreadsOnlyAndMatchesRepliesToPids) {
  std::string why;
  auto client = TaskstatsClient::open(why);
  if (!client) GTEST_SKIP() << "taskstats unavailable: " << why;
  EXPECT_TRUE(why.empty());
  const pid_t self = static_cast<pid_t>(syscall(SYS_gettid));
  const pid_t gone = reaped_pid();
  // The other thread lives until the queries are done (not for a fixed
  // time a loaded machine could overrun).
  std::atomic<pid_t> other{0};
  std::atomic<bool> done{false};
  std::thread t([&] {
    other = static_cast<pid_t>(syscall(SYS_gettid));
    while (!done) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  });
  while (!other) std::this_thread::yield();
  int answered = 0, refused = 0;
  for (int i = 0; i < 60; ++i) {
    DelayTotals d;
    if (client->query(i % 3 == 0 ? self : i % 3 == 1 ? gone : other.load(), d)) ++answered;
    else ++refused;
  }
  done = true;
  t.join();
  EXPECT_EQ(answered, 40) << "every query for a live thread answered";
  EXPECT_EQ(refused, 20) << "no answer for the reaped pid " << gone;
  EXPECT_EQ(client->queries(), 60u);
}

TEST(Taskstats, DelayacctSysctlReadsAsOnOffOrUnknown) {
  const int v = oomlab::watchdog::read_task_delayacct("/proc");
  if (access("/proc/sys/kernel/task_delayacct", R_OK) != 0) EXPECT_EQ(v, -1);
  else EXPECT_TRUE(v == 0 || v == 1) << v;
  EXPECT_EQ(oomlab::watchdog::read_task_delayacct("/nonexistent"), -1);
  std::string err;
  EXPECT_FALSE(oomlab::watchdog::write_task_delayacct("/nonexistent", true, err));
  EXPECT_NE(err.find("/nonexistent/sys/kernel/task_delayacct"), std::string::npos) << err;
}
