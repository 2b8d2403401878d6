// The full scan's two sources agree: the BPF task iterator (task_iter.hpp)
// and /proc give the same tasks with the same fields for processes this test
// puts in known states - sleeping, stopped, a zombie, a multi-threaded one,
// one in D (a vfork parent, waiting killable for its child), and when FUSE is
// there the mmap-lock stall helper's writer (D behind a held mmap lock, its
// wait kind read from /proc by both). Every state is awaited through /proc
// before the scans, and none of them changes while the test looks.
#include <gtest/gtest.h>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <dirent.h>
#include <memory>
#include <set>
#include <sys/stat.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

#include "child.hpp"
#include "oomlab/watchdog/sampler.hpp"

using namespace std::chrono_literals;
using namespace oomlab::watchdog;

namespace {

char state_of(pid_t pid, pid_t tid) {
  std::string s = wdtest::slurp("/proc/" + std::to_string(pid) + "/task/" + std::to_string(tid) + "/stat");
  auto p = s.rfind(')');
  return p == std::string::npos || p + 2 >= s.size() ? '?' : s[p + 2];
}

// Every task of pid in state c (a thread just created may still run).
bool all_in(pid_t pid, char c) {
  std::string dir = "/proc/" + std::to_string(pid) + "/task";
  std::unique_ptr<DIR, int (*)(DIR*)> d(::opendir(dir.c_str()), &::closedir);
  if (!d) return false;
  int n = 0;
  while (dirent* e = ::readdir(d.get())) {
    if (e->d_name[0] == '.') continue;
    if (state_of(pid, static_cast<pid_t>(std::atoi(e->d_name))) != c) return false;
    ++n;
  }
  return n > 0;
}

// Children forked here, killed and reaped at the end however the test ends.
struct Kids {
  std::vector<pid_t> pids;
  ~Kids() {
    for (pid_t p : pids) ::kill(p, SIGKILL);
    for (pid_t p : pids) ::waitpid(p, nullptr, 0);
  }
  pid_t fork_into(void (*body)(int), int fd = -1) {
    pid_t p = ::fork();
    if (p == 0) {
      body(fd);
      ::_exit(0);
    }
    if (p > 0) pids.push_back(p);
    return p;
  }
};

void sleeper(int) {
  for (;;) ::pause();
}

void threads(int fd) {
  std::thread a([] { sleeper(0); }), b([] { sleeper(0); });
  char c = 'r';
  (void)!::write(fd, &c, 1);
  a.join();
}

// The vfork parent waits killable (D) until its child execs or exits; the
// child never does. The child's pid goes to fd first.
void vfork_parent(int fd) {
  pid_t c = ::vfork();
  if (c == 0) {
    pid_t me = ::getpid();
    (void)!::write(fd, &me, sizeof me);
    for (;;) ::pause();
  }
  ::_exit(0);
}

std::vector<TaskSample> of(const std::vector<TaskSample>& all, const std::vector<pid_t>& tgids) {
  std::vector<TaskSample> out;
  for (const TaskSample& t : all)
    for (pid_t p : tgids)
      if (t.tgid == p) out.push_back(t);
  return out;
}

}  // namespace

TEST(ScanSource, BpfIteratorAndProcGiveTheSameTasks) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root (loading a BPF program)";
  Sampler proc("/proc", 1 << 16, true);
  Sampler bpf("/proc", 1 << 16, true);
  std::string why;
  if (!bpf.use_task_iter(why)) GTEST_SKIP() << "no BPF task iterator: " << why;

  Kids kids;
  std::vector<pid_t> tgids;
  const pid_t sleeping = kids.fork_into(sleeper);
  const pid_t stopped = kids.fork_into(sleeper);
  const pid_t zombie = kids.fork_into([](int) {});
  int pfd[2];
  ASSERT_EQ(::pipe(pfd), 0);
  const pid_t threaded = kids.fork_into(threads, pfd[1]);
  char c = 0;
  ASSERT_EQ(::read(pfd[0], &c, 1), 1);
  const pid_t dparent = kids.fork_into(vfork_parent, pfd[1]);
  pid_t vchild = 0;
  ASSERT_EQ(::read(pfd[0], &vchild, sizeof vchild), static_cast<ssize_t>(sizeof vchild));
  ::close(pfd[0]);
  ::close(pfd[1]);
  kids.pids.insert(kids.pids.begin(), vchild);  // killed first: the parent then exits
  ASSERT_GT(sleeping, 0);
  ASSERT_EQ(::kill(stopped, SIGSTOP), 0);
  siginfo_t si{};
  ASSERT_EQ(::waitid(P_PID, static_cast<id_t>(stopped), &si, WSTOPPED | WNOWAIT), 0);
  ASSERT_EQ(::waitid(P_PID, static_cast<id_t>(zombie), &si, WEXITED | WNOWAIT), 0);  // not reaped: a zombie
  tgids = {sleeping, stopped, zombie, threaded, dparent, vchild};
  ASSERT_TRUE(wdtest::wait_for([&] { return all_in(sleeping, 'S') && all_in(threaded, 'S'); }, 60s));
  ASSERT_TRUE(wdtest::wait_for([&] { return state_of(dparent, dparent) == 'D'; }, 60s)) << state_of(dparent, dparent);
  ASSERT_TRUE(wdtest::wait_for([&] { return state_of(vchild, vchild) == 'S'; }, 60s));
  ASSERT_EQ(state_of(stopped, stopped), 'T');
  ASSERT_EQ(state_of(zombie, zombie), 'Z');

  // The mmap-lock stall, where FUSE allows it.
  std::unique_ptr<wdtest::Child> stall;
  pid_t stall_pid = 0, holder = 0, writer = 0;
  struct stat st {};
  if (::stat("/dev/fuse", &st) == 0) {
    stall = std::make_unique<wdtest::Child>(std::vector<std::string>{wdtest::bin("oomlab-test-mmap-lock-stall"), "--seconds", "60"});
    std::string ready = stall->wait_line(60s);
    ASSERT_EQ(std::sscanf(ready.c_str(), "ready %d holder=%d writer=%d", &stall_pid, &holder, &writer), 3) << ready;
    ASSERT_TRUE(wdtest::wait_for([&] { return state_of(stall_pid, writer) == 'D'; }, 60s));
    tgids.push_back(stall_pid);
  } else {
    std::printf("no /dev/fuse: the mmap-lock stall is not part of this comparison\n");
  }

  std::vector<TaskSample> a, b;
  a.reserve(1 << 16);
  b.reserve(1 << 16);
  ScanStats sa = proc.scan(a);
  ScanStats sb = bpf.scan(b);
  EXPECT_FALSE(sa.bpf);
  ASSERT_TRUE(sb.bpf) << "the iterator loaded but the scan did not use it";
  std::vector<TaskSample> pa = of(a, tgids), pb = of(b, tgids);
  std::printf("proc: %zu tasks listed, %zu sampled; bpf: %zu listed, %zu sampled; compared %zu\n", sa.tasks, a.size(), sb.tasks, b.size(), pa.size());
  // One task per single-threaded child, three for the threaded one, the
  // stall helper's threads.
  ASSERT_GE(pa.size(), 8u);
  ASSERT_EQ(pa.size(), pb.size());
  for (std::size_t i = 0; i < pa.size(); ++i) {
    const TaskSample& x = pa[i];
    const TaskSample& y = pb[i];
    SCOPED_TRACE("tid " + std::to_string(x.tid) + " (" + x.comm + ")");
    EXPECT_EQ(x.tid, y.tid);
    EXPECT_EQ(x.tgid, y.tgid);
    EXPECT_STREQ(x.comm, y.comm);
    EXPECT_EQ(x.state, y.state);
    EXPECT_EQ(x.flags, y.flags);
    EXPECT_EQ(x.sigpending, y.sigpending);
    EXPECT_EQ(x.starttime, y.starttime);
    EXPECT_EQ(x.rss_pages, y.rss_pages);
    EXPECT_EQ(x.num_threads, y.num_threads);
    EXPECT_EQ(x.blkio_ticks, y.blkio_ticks);
    EXPECT_STREQ(x.wchan, y.wchan);
    EXPECT_EQ(x.kind, y.kind);
  }
  auto find = [&](pid_t tid) -> const TaskSample* {
    for (const TaskSample& t : pb)
      if (t.tid == tid) return &t;
    return nullptr;
  };
  ASSERT_TRUE(find(zombie) && find(dparent) && find(stopped));
  EXPECT_EQ(find(zombie)->state, 'Z');
  EXPECT_EQ(find(stopped)->state, 'T');
  EXPECT_EQ(find(dparent)->state, 'D');
  EXPECT_NE(find(dparent)->wchan[0], 0) << "a blocked task gets its wchan from /proc";
  EXPECT_EQ(find(threaded)->num_threads, 3);
  if (writer) {
    ASSERT_TRUE(find(writer));
    EXPECT_EQ(find(writer)->state, 'D');
    EXPECT_EQ(find(writer)->kind, StallKind::MmapLock);
  }
  // The kernel threads are listed and counted by both, not returned.
  for (const TaskSample& t : b) EXPECT_FALSE(t.kernel_thread());
  if (stall) {
    EXPECT_EQ(stall->stop(30s), 0);
  }
}

// --scan auto where the iterator lacks processes /proc shows (this build
// host's init; a process entered from another pid namespace): the iterator,
// completed from /proc, sees every process a /proc scan sees - each once,
// in /proc's order - whether the second scan lists /proc again or only
// re-reads the processes it found missing.
TEST(ScanSource, IteratorCompletedFromProcSeesEveryProcess) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root (loading a BPF program)";
  Sampler proc("/proc", 1 << 16, true);
  Sampler both("/proc", 1 << 16, true);
  std::string why;
  if (!both.use_task_iter(why)) GTEST_SKIP() << "no BPF task iterator: " << why;
  const std::string misses = both.task_iter_misses();
  std::printf("the iterator alone: %s\n", misses.empty() ? "lacks nothing here" : misses.c_str());
  both.complete_from_proc();
  Kids kids;
  const pid_t sleeping = kids.fork_into(sleeper);
  ASSERT_GT(sleeping, 0);
  std::vector<TaskSample> a, b;
  a.reserve(1 << 16);
  b.reserve(1 << 16);
  for (int round = 0; round < 2; ++round) {
    SCOPED_TRACE("scan " + std::to_string(round + 1));
    proc.scan(a);
    ScanStats sb = both.scan(b);
    ASSERT_TRUE(sb.bpf);
    std::set<pid_t> tids;
    for (std::size_t i = 0; i < b.size(); ++i) {
      EXPECT_TRUE(tids.insert(b[i].tid).second) << "tid " << b[i].tid << " twice";
      if (i > 0) {
        EXPECT_TRUE(b[i - 1].tgid < b[i].tgid || (b[i - 1].tgid == b[i].tgid && b[i - 1].tid != b[i].tid)) << i;
      }
    }
    std::size_t compared = 0;
    for (const TaskSample& t : a) {
      if (t.tid != t.tgid || tids.count(t.tid)) continue;
      // Not in the second scan: only a process that ended between the two
      // (or was replaced under the same pid) may be missing.
      const std::string now = wdtest::slurp("/proc/" + std::to_string(t.tgid) + "/stat");
      TaskSample again;
      if (!now.empty() && parse_stat(now, again) && again.starttime == t.starttime) {
        ADD_FAILURE() << "process " << t.tgid << " (" << t.comm << ") seen by /proc, not by the completed iterator";
      }
      ++compared;
    }
    EXPECT_TRUE(tids.count(sleeping));
    EXPECT_TRUE(tids.count(::getpid()));
    std::printf("scan %d: /proc %zu tasks, completed iterator %zu (listed /proc: %s); %zu gone in between\n", round + 1,
                a.size(), b.size(), sb.listed ? "yes" : "no", compared);
  }
  // A process created now (moves the last pid): the next scan lists /proc
  // again and has it.
  const pid_t late = kids.fork_into(sleeper);
  both.scan(b);
  bool found = false;
  for (const TaskSample& t : b) found = found || t.tid == late;
  EXPECT_TRUE(found) << "a process created after the first listing was not seen";
}
