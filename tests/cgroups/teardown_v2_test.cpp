// The kill-and-wait path on a real cgroup2 directory: after cgroup.kill a
// process leaves cgroup.procs as soon as all its threads begin exiting, but
// the group stays populated until they finish exit_mm(); kill_all must wait
// for "populated 0" so that the rmdir right after it succeeds. This host's
// cgroup2 mount (/sys/fs/cgroup/unified here, /sys/fs/cgroup on pure v2) has
// cgroup.kill and cgroup.events with or without the memory controller.
#include <gtest/gtest.h>

#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <pthread.h>
#include <string>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "oomlab/cgroups/hierarchy.hpp"
#include "registry.hpp"

namespace {

std::string read_all(const std::string& path) {
  std::ifstream f(path);
  return std::string(std::istreambuf_iterator<char>(f), {});
}

bool write_all(const std::string& path, const std::string& value) {
  std::ofstream f(path);
  f << value;
  f.close();
  return static_cast<bool>(f);
}

void* spin(void*) {
  for (;;) pause();
  return nullptr;
}

// A child with 3 threads and `bytes` of touched anonymous memory whose
// leader has exited: tearing down the address space takes long enough (tens
// of ms) to be seen between "not in cgroup.procs" and "not populated".
pid_t spawn_big_process(std::size_t bytes, int ready_fd, int go_fd) {
  pid_t pid = fork();
  if (pid != 0) return pid;
  void* p = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
  if (p == MAP_FAILED) _exit(1);
  for (int i = 0; i < 3; ++i) {
    pthread_t t;
    pthread_create(&t, nullptr, spin, nullptr);
  }
  char c = 1;
  if (write(ready_fd, &c, 1) != 1) _exit(1);
  if (go_fd >= 0 && read(go_fd, &c, 1) != 1) _exit(1);  // moved into the group
  // The leader exits alone (a zombie leader, like a process whose main
  // thread returned while workers run): after SIGKILL the group then lists
  // no process as soon as the workers begin exiting, while the last of them
  // still frees the address space.
  syscall(SYS_exit, 0);
  for (;;) pause();
}

}  // namespace

TEST(TeardownV2, KillAllWaitsUntilTheGroupIsUnpopulated) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root to create cgroups";
  const std::string root = oomlab::cgroups::host_hierarchy().unified_root;
  if (root.empty() || access((root + "/cgroup.procs").c_str(), W_OK) != 0)
    GTEST_SKIP() << "no writable cgroup2 mount on this host";
  const std::string dir = root + "/oomlab-teardown-test-" + std::to_string(getpid());
  for (int round = 0; round < 4; ++round) {
    SCOPED_TRACE(round);
    ASSERT_EQ(mkdir(dir.c_str(), 0755), 0) << dir << ": " << strerror(errno);
    if (access((dir + "/cgroup.kill").c_str(), W_OK) != 0) {
      rmdir(dir.c_str());
      GTEST_SKIP() << "this kernel has no cgroup.kill (< 5.14)";
    }
    // Even rounds: the leader exits inside the group (the process stays
    // listed in cgroup.procs until its last thread exits); odd rounds: it
    // exited before the move (only cgroup.threads lists the process).
    const bool leader_exits_inside = round % 2 == 0;
    int ready[2], go[2];
    ASSERT_EQ(pipe(ready), 0);
    ASSERT_EQ(pipe(go), 0);
    // Not our child: its parent is a helper outside the group, as a
    // scenario's processes are children of its supervisor - so kill_all
    // cannot simply wait for it to become a zombie.
    int pid_pipe[2];
    ASSERT_EQ(pipe(pid_pipe), 0);
    const pid_t helper = fork();
    ASSERT_GE(helper, 0);
    if (helper == 0) {
      pid_t big = spawn_big_process(1024u << 20, ready[1], leader_exits_inside ? go[0] : -1);
      if (write(pid_pipe[1], &big, sizeof big) != sizeof big) _exit(1);
      waitpid(big, nullptr, 0);
      _exit(0);
    }
    pid_t child = 0;
    ASSERT_EQ(read(pid_pipe[0], &child, sizeof child), static_cast<ssize_t>(sizeof child));
    close(pid_pipe[0]);
    close(pid_pipe[1]);
    ASSERT_GT(child, 0);
    char c = 0;
    ASSERT_EQ(read(ready[0], &c, 1), 1);
    if (!leader_exits_inside) usleep(50 * 1000);  // let the leader exit first
    ASSERT_TRUE(write_all(dir + "/cgroup.procs", std::to_string(child)));
    ASSERT_EQ(write(go[1], &c, 1), 1);
    for (int fd : {ready[0], ready[1], go[0], go[1]}) close(fd);
    ASSERT_NE(read_all(dir + "/cgroup.events").find("populated 1"), std::string::npos);
    usleep(50 * 1000);  // the leader has exited

    const bool emptied = oomlab::cgroups::detail::kill_all(dir.c_str(), "", "", 2, 10000);
    if (!emptied) {
      std::string st = read_all("/proc/" + std::to_string(child) + "/status");
      ADD_FAILURE() << "threads: " << read_all(dir + "/cgroup.threads") << " procs: " << read_all(dir + "/cgroup.procs")
                    << " status: " << st.substr(0, 300);
    }
    const std::string events = read_all(dir + "/cgroup.events");
    const int rmdir_errno = rmdir(dir.c_str()) == 0 ? 0 : errno;  // at once, as the runner does
    if (rmdir_errno != 0) {  // leave nothing behind whatever happened
      kill(child, SIGKILL);
      for (int i = 0; i < 100 && rmdir(dir.c_str()) != 0; ++i) usleep(50 * 1000);
    }
    waitpid(helper, nullptr, 0);
    EXPECT_TRUE(emptied);
    EXPECT_NE(events.find("populated 0"), std::string::npos) << events;
    EXPECT_EQ(rmdir_errno, 0) << strerror(rmdir_errno);  // EBUSY: kill_all returned too early
  }
}
