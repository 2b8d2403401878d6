// Against the real cgroup filesystem of the machine: v1 (or hybrid) on the
// build host, v2 in the test VM. Each test creates its own group under
// "oomlab-test" and checks the kernel's view of it.
#include "oomlab/cgroups/memory_cgroup.hpp"

#include <gtest/gtest.h>

#include <csignal>
#include <cstring>
#include <filesystem>
#include <pthread.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

#include "oomlab/common/procfs.hpp"

using namespace oomlab::cgroups;
using namespace std::chrono_literals;

namespace {

#define SKIP_WITHOUT_MEMCG()                                                                 \
  do {                                                                                       \
    if (geteuid() != 0) GTEST_SKIP() << "needs root to create memory cgroups";               \
    if (!host_hierarchy().has_memory()) GTEST_SKIP() << "no memory cgroup controller here"; \
  } while (0)

bool dir_exists(const std::string& p) {
  struct stat st{};
  return stat(p.c_str(), &st) == 0;
}

// A child that waits on a pipe for a command byte: 'g' = allocate and touch
// `bytes`, then sleep forever. Stopping it is the group's job.
struct Child {
  pid_t pid = -1;
  int cmd = -1;
};

Child spawn_child(std::size_t bytes, int extra_threads = 0) {
  int fds[2];
  if (pipe(fds) != 0) return {};
  pid_t pid = fork();
  if (pid == 0) {
    close(fds[1]);
    for (int i = 0; i < extra_threads; ++i) {
      pthread_t t;
      pthread_create(&t, nullptr, [](void*) -> void* { for (;;) pause(); }, nullptr);
    }
    char c;
    while (read(fds[0], &c, 1) == 1) {
      if (c == 'g') {
        char* p = static_cast<char*>(mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
        if (p != MAP_FAILED) std::memset(p, 1, bytes);
      }
    }
    for (;;) pause();
  }
  close(fds[0]);
  return {pid, fds[1]};
}

void command(const Child& c, char what) { ASSERT_EQ(write(c.cmd, &what, 1), 1); }

CreateOptions options(std::uint64_t limit) {
  CreateOptions o;
  o.parent = "oomlab-test";
  o.prefix = "unit";
  o.limits.max_bytes = limit;
  return o;
}

}  // namespace

TEST(MemoryCgroup, CreatesWithLimitAndRemovesOnDestruction) {
  SKIP_WITHOUT_MEMCG();
  std::string path, unified, freezer;
  {
    MemoryCgroup g = MemoryCgroup::create(options(64 << 20));
    path = g.path();
    EXPECT_TRUE(dir_exists(path));
    EXPECT_EQ(g.version(), host_hierarchy().memory_version);
    ASSERT_TRUE(g.limit_bytes());
    EXPECT_EQ(*g.limit_bytes(), 64u << 20);
    EXPECT_TRUE(g.pids().empty());
    EXPECT_NE(g.name().find("oomlab-test/unit-" + std::to_string(getpid()) + "-"), std::string::npos);
    if (host_hierarchy().layout == Layout::hybrid) {
      // The twin in the cgroup2 mount gives this v1 group its own PSI.
      ASSERT_FALSE(g.pressure_path().empty());
      auto p = g.pressure();
      ASSERT_TRUE(p) << g.pressure_path();
      EXPECT_EQ(p->some_total_us, 0u);  // nothing ran in it yet
    }
  }
  EXPECT_FALSE(dir_exists(path)) << path;
}

TEST(MemoryCgroup, MovesEveryThreadAndKillsThemAll) {
  SKIP_WITHOUT_MEMCG();
  MemoryCgroup g = MemoryCgroup::create(options(128 << 20));
  Child c = spawn_child(1 << 20, 4);
  ASSERT_GT(c.pid, 0);
  // Every thread exists before the move (the move must take them all):
  // waited for, not slept - a loaded machine can take long to start them.
  const std::string task_dir = "/proc/" + std::to_string(c.pid) + "/task";
  auto thread_count = [&] {
    std::size_t n = 0;
    std::error_code ec;
    for (auto it = std::filesystem::directory_iterator(task_dir, ec); !ec && it != std::filesystem::directory_iterator();
         it.increment(ec))
      ++n;
    return n;
  };
  for (int i = 0; i < 3000 && thread_count() < 5; ++i) std::this_thread::sleep_for(10ms);
  ASSERT_EQ(thread_count(), 5u) << "the child's threads did not start";
  g.move_process(c.pid);
  EXPECT_EQ(g.pids(), std::vector<pid_t>{c.pid});
  EXPECT_EQ(g.threads().size(), 5u);  // leader + 4 threads, each moved
  command(c, 'g');
  std::uint64_t usage = 0;
  for (int i = 0; i < 3000 && usage < (1u << 20); ++i, std::this_thread::sleep_for(10ms)) usage = g.usage_bytes();
  EXPECT_GE(usage, 1u << 20);

  EXPECT_TRUE(g.kill_all_and_wait(5s));
  EXPECT_TRUE(g.empty());
  int status = 0;
  // kill_all reaped our child already (it was in the group).
  pid_t w = waitpid(c.pid, &status, WNOHANG);
  int err = errno;
  EXPECT_EQ(w, -1);
  EXPECT_EQ(err, ECHILD);
  close(c.cmd);
  std::string path = g.path();
  EXPECT_TRUE(g.remove());
  EXPECT_FALSE(dir_exists(path));
}

TEST(MemoryCgroup, RemoveRefusesANonEmptyGroup) {
  SKIP_WITHOUT_MEMCG();
  MemoryCgroup g = MemoryCgroup::create(options(64 << 20));
  Child c = spawn_child(0);
  g.move_process(c.pid);
  EXPECT_FALSE(g.remove());
  EXPECT_TRUE(dir_exists(g.path()));
  // The child must still be limited: libcgroup did not move it to the root.
  auto cg = oomlab::read_proc_file("/proc/" + std::to_string(c.pid) + "/cgroup").value_or("");
  EXPECT_NE(cg.find(g.name()), std::string::npos) << cg;
  close(c.cmd);
  EXPECT_TRUE(g.kill_all_and_wait(5s));
  EXPECT_TRUE(g.remove());
}

TEST(MemoryCgroup, OomKillIsCounted) {
  SKIP_WITHOUT_MEMCG();
  MemoryCgroup g = MemoryCgroup::create(options(32 << 20));
  Child c = spawn_child(128 << 20);
  g.move_process(c.pid);
  command(c, 'g');
  int status = 0;
  ASSERT_EQ(waitpid(c.pid, &status, 0), c.pid);
  ASSERT_TRUE(WIFSIGNALED(status));
  EXPECT_EQ(WTERMSIG(status), SIGKILL);
  MemoryEvents e = g.events();
  EXPECT_GE(e.oom_kill, 1u);
  EXPECT_GE(e.max, 1u);  // failcnt on v1, memory.events max on v2
  close(c.cmd);
}

TEST(MemoryCgroup, MemoryHighIsV2Only) {
  SKIP_WITHOUT_MEMCG();
  CreateOptions o = options(64 << 20);
  o.limits.high_bytes = 32 << 20;
  if (host_hierarchy().memory_version == 1) {
    EXPECT_THROW(MemoryCgroup::create(o), CgroupError);
    return;
  }
  MemoryCgroup g = MemoryCgroup::create(o);
  EXPECT_EQ(oomlab::read_proc_file(g.path() + "/memory.high").value_or(""), std::to_string(32 << 20) + "\n");
  EXPECT_TRUE(g.pressure());
}

TEST(MemoryCgroup, BadPrefixIsRejectedAndLeavesNothing) {
  SKIP_WITHOUT_MEMCG();
  CreateOptions o = options(0);
  o.prefix = "a/b";
  EXPECT_THROW(MemoryCgroup::create(o), CgroupError);
}
