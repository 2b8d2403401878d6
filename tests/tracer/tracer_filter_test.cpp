// The tracer's cgroup filter on the running kernel (label root): watching one
// memory cgroup records that group's reclaim and nothing of another group
// thrashing at the same time.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

#include "oomlab/tracer/tracer.hpp"
#include "test_memcg.hpp"

using namespace oomlab::tracer;
using oomlab::test::Child;
using oomlab::test::TestMemcg;
using namespace std::chrono_literals;

namespace {

constexpr std::uint64_t MiB = 1024 * 1024;

bool bpf_capable(std::string& why) {
  if (!Tracer::compiled_in()) why = "built without BPF";
  else if (geteuid() != 0) why = "needs root to load BPF programs";
  else if (access("/sys/kernel/btf/vmlinux", R_OK) != 0) why = "kernel has no BTF";
  return why.empty();
}

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
  std::string why;
  if (!bpf_capable(why)) GTEST_SKIP() << why;
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
  std::string why;
  if (!bpf_capable(why)) GTEST_SKIP() << why;
  Tracer tracer;
  EXPECT_FALSE(tracer.open(TracerOptions{1ms, 1ms, false, "/sys/fs/cgroup/no-such-oomlab-group"}));
  EXPECT_FALSE(tracer.available());
  EXPECT_NE(tracer.error().find("cannot watch cgroup /sys/fs/cgroup/no-such-oomlab-group"), std::string::npos)
      << tracer.error();
  EXPECT_EQ(tracer.error().find('\n'), std::string::npos);
}

}  // namespace
