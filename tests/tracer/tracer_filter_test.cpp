// Which tasks and locks the tracer picks (label root): watching one memory
// cgroup records that group's reclaim and nothing of another group thrashing
// at the same time; a wait on another process's mmap lock is recognised.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

#include "bpf_capable.hpp"
#include "oomlab/tracer/tracer.hpp"
#include "test_memcg.hpp"

using namespace oomlab::tracer;
using oomlab::test::Child;
using oomlab::test::TestMemcg;
using namespace std::chrono_literals;

namespace {

constexpr std::uint64_t MiB = 1024 * 1024;

// Writes a file 3x a 32 MiB limit and reads it back: reclaim in the child's memcg.
void thrash_page_cache() {
  std::string tmpl = std::string(OOMLAB_BIN_DIR) + "/tracer-filter-XXXXXX";
  int fd = mkstemp(tmpl.data());
  if (fd < 0) _exit(3);
  unlink(tmpl.c_str());
  std::vector<char> block(MiB, 'x');
  for (int i = 0; i < 96; i++)
    if (write(fd, block.data(), block.size()) < 0) _exit(4);
  lseek(fd, 0, SEEK_SET);
  while (read(fd, block.data(), block.size()) > 0) {
  }
  close(fd);
}

TEST(TracerFilter, WatchedCgroupOnlyOtherGroupsReclaimIsNotRecorded) {
  SKIP_UNLESS_BPF_CAPABLE();
  TestMemcg watched("oomlab-tracer-watched", 32 * MiB), other("oomlab-tracer-other", 32 * MiB);
  if (!watched.ok()) GTEST_SKIP() << watched.error();
  if (!other.ok()) GTEST_SKIP() << other.error();
  Tracer tracer;
  ASSERT_TRUE(tracer.open(TracerOptions{0ns, 1ms, false, watched.path()})) << tracer.error();

  Child in_watched(thrash_page_cache), in_other(thrash_page_cache);
  ASSERT_TRUE(watched.add(in_watched.pid()));
  ASSERT_TRUE(other.add(in_other.pid()));
  in_watched.release();
  in_other.release();
  for (Child* c : {&in_watched, &in_other}) {
    int status = c->wait_exit(60'000);
    ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "status " << status;
  }
  int watched_episodes = 0, other_episodes = 0;
  tracer.consume([&](const Event& e) {
    if (auto* r = std::get_if<ReclaimEpisode>(&e)) {
      watched_episodes += r->task.tgid == in_watched.pid();
      other_episodes += r->task.tgid == in_other.pid();
    }
  });
  EXPECT_GT(watched_episodes, 0) << "no reclaim of the watched group's child";
  EXPECT_EQ(other_episodes, 0) << "the other group's reclaim passed the filter";
  EXPECT_TRUE(tracer.reclaim_of(in_watched.pid()));
  EXPECT_FALSE(tracer.reclaim_of(in_other.pid()));
  std::printf("episodes: watched group %d, other group %d\n", watched_episodes, other_episodes);
}

TEST(TracerFilter, MissingCgroupDirectoryIsAOneLineError) {
  SKIP_UNLESS_BPF_CAPABLE();
  Tracer tracer;
  EXPECT_FALSE(tracer.open(TracerOptions{1ms, 1ms, false, "/sys/fs/cgroup/no-such-oomlab-group"}));
  EXPECT_FALSE(tracer.available());
  EXPECT_NE(tracer.error().find("cannot watch cgroup /sys/fs/cgroup/no-such-oomlab-group"), std::string::npos)
      << tracer.error();
  EXPECT_EQ(tracer.error().find('\n'), std::string::npos);
}

}  // namespace

namespace {

// A wait on another process's mmap lock (what a /proc/PID/cmdline reader
// does): the tracer must recognise that mm too (its owner points back at it)
// and name the other process's writer as the holder.
TEST(TracerRemoteMm, CmdlineReaderWaitsOnAnotherProcesssWriter) {
  SKIP_UNLESS_BPF_CAPABLE();
  Tracer tracer;
  ASSERT_TRUE(tracer.open(TracerOptions{1s, 1ms, true, ""})) << tracer.error();
  // The child flips the protection of 256 MiB of populated memory in a loop:
  // mprotect holds the mmap lock for write while it rewrites every PTE.
  Child writer([] {
    const std::size_t size = 256 * MiB;
    auto* p = static_cast<char*>(mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0));
    if (p == MAP_FAILED) _exit(3);
    for (int i = 0;; i++) mprotect(p, size, i % 2 ? PROT_READ | PROT_WRITE : PROT_READ);
  });
  writer.release();
  const std::string cmdline = "/proc/" + std::to_string(writer.pid()) + "/cmdline";
  const pid_t me = static_cast<pid_t>(syscall(SYS_gettid));
  std::vector<LockWait> mine;
  char buf[256];
  for (auto end = std::chrono::steady_clock::now() + 3s; std::chrono::steady_clock::now() < end && mine.size() < 5;) {
    int fd = open(cmdline.c_str(), O_RDONLY);  // the read takes the child's mmap lock for read
    if (fd >= 0) {
      (void)!read(fd, buf, sizeof buf);
      close(fd);
    }
    tracer.consume([&](const Event& e) {
      if (auto* w = std::get_if<LockWait>(&e); w && w->task.tid == me) mine.push_back(*w);
    });
  }
  writer.kill_and_reap();
  ASSERT_FALSE(mine.empty()) << "no wait of this thread on the child's mmap lock";
  int named_writer = 0;
  for (const auto& w : mine) {
    EXPECT_FALSE(w.write) << "a cmdline read takes the lock for read";
    if (w.holders.writer) {
      EXPECT_EQ(w.holders.writer->tgid, writer.pid());
      named_writer++;
    }
  }
  EXPECT_GT(named_writer, 0) << mine.size() << " waits, none named the child's writer";
  std::printf("waits of this thread on the child's mm: %zu, writer named in %d\n", mine.size(), named_writer);
}

}  // namespace
