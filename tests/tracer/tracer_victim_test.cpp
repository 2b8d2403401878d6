// "The victim did not exit within T", measured (label root): an OOM victim
// blocked in an uninterruptible wait cannot exit, and the tracer must show it
// marked, not exited, overdue - then exited once the wait ends.
//
// The blocked victim: process H writes to a file from a userfaultfd-registered
// page nobody serves, so it blocks inside write() holding the file's i_rwsem;
// victim V (40 MiB in a 64 MiB memcg) writes to the same file and sleeps on
// that rwsem in state D, where SIGKILL does not reach it. Process T then
// allocates 48 MiB in the memcg: the OOM killer marks V (the largest) and the
// reaper frees V's memory, but V stays until H is killed.
#include <cstring>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <linux/userfaultfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

#include "bpf_capable.hpp"
#include "oomlab/common/procfs.hpp"
#include "oomlab/facts/proc_stat.hpp"
#include "oomlab/tracer/format.hpp"
#include "oomlab/tracer/tracer.hpp"
#include "test_memcg.hpp"

using namespace oomlab::tracer;
using oomlab::test::Child;
using oomlab::test::TestMemcg;
using namespace std::chrono_literals;

namespace {

constexpr std::size_t MiB = 1024 * 1024;

char task_state(pid_t pid) {
  char path[64], buf[512];
  std::snprintf(path, sizeof path, "/proc/%d/stat", pid);
  long n = oomlab::read_proc_file_into(path, buf, sizeof buf - 1);
  if (n <= 0) return '?';
  oomlab::facts::ProcStat st;
  return oomlab::facts::parse_proc_stat(std::string_view(buf, static_cast<std::size_t>(n)), st) ? st.state : '?';
}

bool wait_for_state(pid_t pid, char state, std::chrono::milliseconds timeout) {
  for (auto end = std::chrono::steady_clock::now() + timeout; std::chrono::steady_clock::now() < end;) {
    if (task_state(pid) == state) return true;
    std::this_thread::sleep_for(10ms);
  }
  return false;
}

void touch(std::size_t bytes) {
  auto* p = static_cast<char*>(mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
  if (p == MAP_FAILED) _exit(3);
  for (std::size_t i = 0; i < bytes; i += 4096) p[i] = 1;
}

// Blocks in pwrite() with the file's i_rwsem held: the source page faults
// into a userfaultfd nobody serves. Returns only if userfaultfd is missing.
void hold_inode_lock(int fd) {
  int uffd = static_cast<int>(syscall(SYS_userfaultfd, O_CLOEXEC));
  if (uffd < 0) _exit(10);
  uffdio_api api{};
  api.api = UFFD_API;
  if (ioctl(uffd, UFFDIO_API, &api) != 0) _exit(11);
  void* page = mmap(nullptr, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  uffdio_register reg{};
  reg.range = {reinterpret_cast<unsigned long>(page), 4096};
  reg.mode = UFFDIO_REGISTER_MODE_MISSING;
  if (page == MAP_FAILED || ioctl(uffd, UFFDIO_REGISTER, &reg) != 0) _exit(12);
  (void)!pwrite(fd, page, 4096, 0);
  _exit(13);
}

TEST(TracerVictim, VictimThatCannotExitIsOverdueThenExits) {
  SKIP_UNLESS_BPF_CAPABLE();
  if (access("/proc/sys/vm/unprivileged_userfaultfd", F_OK) != 0) GTEST_SKIP() << "kernel without userfaultfd";
  TestMemcg memcg("oomlab-tracer-victim", 64 * MiB);
  if (!memcg.ok()) GTEST_SKIP() << memcg.error();
  Tracer tracer;
  ASSERT_TRUE(tracer.open()) << tracer.error();

  std::string tmpl = std::string(OOMLAB_BIN_DIR) + "/tracer-victim-XXXXXX";
  int fd = mkstemp(tmpl.data());
  ASSERT_GE(fd, 0);
  unlink(tmpl.c_str());
  // Destructors run in reverse order: H, declared last, is killed first, so V can exit.
  Child victim([fd] {
    touch(40 * MiB);
    (void)!pwrite(fd, "x", 1, 0);  // sleeps on i_rwsem (H holds it)
  });
  Child holder([fd] { hold_inode_lock(fd); });
  close(fd);
  holder.release();
  ASSERT_TRUE(wait_for_state(holder.pid(), 'S', 10s) || task_state(holder.pid()) == 'D')
      << "holder state " << task_state(holder.pid());
  ASSERT_TRUE(memcg.add(victim.pid()));
  victim.release();
  ASSERT_TRUE(wait_for_state(victim.pid(), 'D', 20s)) << "victim never blocked: state " << task_state(victim.pid());

  Child trigger([] { touch(48 * MiB); });
  ASSERT_TRUE(memcg.add(trigger.pid()));
  trigger.release();
  int status = trigger.wait_exit(60'000);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
      << "the allocating task did not get its memory (status " << status << "): the victim was not "
      << victim.pid() << "?";

  const auto within = 1s;
  std::optional<VictimTimeline> marked;
  for (auto end = std::chrono::steady_clock::now() + 10s; std::chrono::steady_clock::now() < end;) {
    tracer.poll(100ms, [](const Event&) {});
    marked = tracer.victim(victim.pid());
    if (marked && marked->overdue(tracer.snapshot().taken_ns, within)) break;
  }
  ASSERT_TRUE(marked) << "no mark_victim for the blocked task";
  Snapshot s = tracer.snapshot();
  EXPECT_FALSE(marked->exited_ns);
  EXPECT_TRUE(marked->overdue(s.taken_ns, within)) << format_pending_victim(*marked, tracer.opened_ns(), s.taken_ns);
  EXPECT_EQ(task_state(victim.pid()), 'D') << "the victim should still be blocked";
  std::printf("%s\n", format_pending_victim(*marked, tracer.opened_ns(), s.taken_ns).c_str());

  holder.kill_and_reap();  // ends the write: the inode lock is free, the victim exits
  int vstatus = victim.wait_exit(30'000);
  ASSERT_TRUE(WIFSIGNALED(vstatus) && WTERMSIG(vstatus) == SIGKILL) << "victim status " << vstatus;
  std::optional<VictimTimeline> done;
  for (int i = 0; i < 50 && !(done && done->exited_ns); i++) {
    tracer.poll(100ms, [](const Event&) {});
    done = tracer.victim(victim.pid());
  }
  ASSERT_TRUE(done && done->exited_ns) << "no exit seen after the wait ended";
  EXPECT_GE(*done->exited_ns - done->marked_ns, std::chrono::nanoseconds(within).count());
  EXPECT_FALSE(done->overdue(tracer.snapshot().taken_ns, within));
  std::printf("%s\n", format_victim(*done, tracer.opened_ns()).c_str());
}

}  // namespace
