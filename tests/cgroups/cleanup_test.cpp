// The paths where no destructor runs: a dead owner's groups are swept, and
// the guardian removes the groups of an owner killed with SIGKILL.
#include <gtest/gtest.h>

#include <csignal>
#include <sys/stat.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

#include "oomlab/cgroups/cleanup.hpp"
#include "oomlab/cgroups/memory_cgroup.hpp"
#include "oomlab/facts/proc_stat.hpp"

using namespace oomlab::cgroups;
using namespace std::chrono_literals;

namespace {

bool dir_exists(const std::string& p) {
  struct stat st{};
  return stat(p.c_str(), &st) == 0;
}

bool pid_alive(pid_t pid) { return kill(pid, 0) == 0; }

// Forks an owner that creates a group, puts a sleeping grandchild in it and
// reports "<group path>\n<grandchild pid>\n" on a pipe, then waits to be
// killed. With `guardian`, the owner starts one first.
struct Owner {
  pid_t pid = -1;
  std::string group;
  pid_t grandchild = -1;
};

Owner spawn_owner(bool guardian, const std::string& prefix) {
  int fds[2];
  if (pipe(fds) != 0) return {};
  pid_t pid = fork();
  if (pid == 0) {
    close(fds[0]);
    if (guardian && !start_guardian()) _exit(3);
    CreateOptions o;
    o.parent = "oomlab-test";
    o.prefix = prefix;
    o.limits.max_bytes = 32 << 20;
    try {
      auto* g = new MemoryCgroup(MemoryCgroup::create(o));  // leaked on purpose: the owner "crashes"
      pid_t gc = fork();
      if (gc == 0) {
        for (;;) pause();
      }
      g->move_process(gc);
      std::string msg = g->path() + "\n" + std::to_string(gc) + "\n";
      if (write(fds[1], msg.data(), msg.size()) < 0) _exit(4);
    } catch (...) {
      _exit(5);
    }
    for (;;) pause();
  }
  close(fds[1]);
  std::string text;
  char buf[512];
  for (ssize_t n; (n = read(fds[0], buf, sizeof buf)) > 0;) {
    text.append(buf, static_cast<std::size_t>(n));
    if (std::count(text.begin(), text.end(), '\n') >= 2) break;
  }
  close(fds[0]);
  Owner o;
  o.pid = pid;
  std::size_t nl = text.find('\n');
  if (nl == std::string::npos) return o;
  o.group = text.substr(0, nl);
  o.grandchild = std::stoi(text.substr(nl + 1));
  return o;
}

#define SKIP_WITHOUT_MEMCG()                                                                 \
  do {                                                                                       \
    if (geteuid() != 0) GTEST_SKIP() << "needs root to create memory cgroups";               \
    if (!host_hierarchy().has_memory()) GTEST_SKIP() << "no memory cgroup controller here"; \
  } while (0)

}  // namespace

TEST(Cleanup, SweepRemovesGroupsOfDeadOwnersOnly) {
  SKIP_WITHOUT_MEMCG();
  Owner dead = spawn_owner(false, "sweeptest");
  ASSERT_FALSE(dead.group.empty());
  Owner alive = spawn_owner(false, "sweeptest");
  ASSERT_FALSE(alive.group.empty());
  kill(dead.pid, SIGKILL);
  waitpid(dead.pid, nullptr, 0);
  // Its grandchild still sits in the group: nothing else cleans it up.
  EXPECT_TRUE(dir_exists(dead.group));
  EXPECT_TRUE(pid_alive(dead.grandchild));

  EXPECT_EQ(sweep_stale("oomlab-test", "sweeptest"), 1);
  EXPECT_FALSE(dir_exists(dead.group));
  EXPECT_TRUE(dir_exists(alive.group)) << "a live owner's group must stay";

  kill(alive.pid, SIGKILL);
  waitpid(alive.pid, nullptr, 0);
  EXPECT_EQ(sweep_stale("oomlab-test", "sweeptest"), 1);
  EXPECT_FALSE(dir_exists(alive.group));
  EXPECT_EQ(sweep_stale("oomlab-test", "sweeptest"), 0);
}

TEST(Cleanup, GuardianRemovesGroupsWhenTheOwnerIsKilled) {
  SKIP_WITHOUT_MEMCG();
  Owner o = spawn_owner(true, "guardtest");
  ASSERT_FALSE(o.group.empty());
  ASSERT_TRUE(dir_exists(o.group));
  kill(o.pid, SIGKILL);
  waitpid(o.pid, nullptr, 0);
  bool gone = false;
  for (int i = 0; i < 600 && !gone; ++i) {  // up to 30 s: the guardian may run late on a loaded machine
    gone = !dir_exists(o.group);
    if (!gone) std::this_thread::sleep_for(50ms);
  }
  EXPECT_TRUE(gone) << o.group << " still exists 30 s after its owner was killed";
  // The grandchild was reparented (not our child): it must be dead or a zombie.
  std::string stat;
  if (FILE* f = std::fopen(("/proc/" + std::to_string(o.grandchild) + "/stat").c_str(), "r")) {
    char buf[256] = {};
    std::fgets(buf, sizeof buf, f);
    std::fclose(f);
    stat = buf;
  }
  oomlab::facts::ProcStat st;
  EXPECT_TRUE(stat.empty() || (oomlab::facts::parse_proc_stat(stat, st) && st.state == 'Z')) << stat;
  sweep_stale("oomlab-test", "guardtest");  // keep the machine clean if the assertion failed
}
