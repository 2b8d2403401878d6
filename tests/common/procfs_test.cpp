#include "oomlab/common/procfs.hpp"

#include <gtest/gtest.h>
#include <stdexcept>
#include <unistd.h>

using namespace oomlab;

TEST(ProcPathGuard, ForbidsFilesThatTakeTheMmapLock) {
  for (const char* p : {"/proc/1/cmdline", "/proc/42/environ", "/proc/42/maps", "/proc/42/smaps",
                        "/proc/42/smaps_rollup", "/proc/42/numa_maps", "/proc/42/mem", "/proc/42/pagemap",
                        "/proc/42/task/43/cmdline", "/proc/42/task/43/maps", "/proc/42/cmdline/"})
    EXPECT_TRUE(is_mmap_lock_proc_path(p)) << p;
}

TEST(ProcPathGuard, AllowsSafeFiles) {
  for (const char* p : {"/proc/1/stat", "/proc/1/status", "/proc/1/statm", "/proc/1/wchan", "/proc/1/stack",
                        "/proc/1/io", "/proc/1/cgroup", "/proc/1/oom_score_adj", "/proc/1/task/2/stat",
                        "/proc/self/cmdline", "/proc/meminfo", "/proc/pressure/memory", "/sys/fs/cgroup/x/cmdline"})
    EXPECT_FALSE(is_mmap_lock_proc_path(p)) << p;
}

TEST(ReadProcFile, RefusesForbiddenPathsWithoutOpeningThem) {
  std::string path = "/proc/" + std::to_string(getpid()) + "/cmdline";
  EXPECT_THROW(read_proc_file(path), std::logic_error);
}

TEST(ReadProcFile, ReadsStatOfItself) {
  auto s = read_proc_file("/proc/" + std::to_string(getpid()) + "/stat");
  ASSERT_TRUE(s.has_value());
  EXPECT_EQ(s->substr(0, std::to_string(getpid()).size()), std::to_string(getpid()));
  EXPECT_FALSE(read_proc_file("/proc/does-not-exist/stat").has_value());
}

TEST(ReadProcFile, TruncatesAtCap) {
  auto s = read_proc_file("/proc/self/status", 16);
  ASSERT_TRUE(s.has_value());
  EXPECT_EQ(s->size(), 16u);
}

// Larger than one read chunk: read whole, in order, and cut at a cap that
// falls inside a chunk.
TEST(ReadProcFile, ReadsAFileOfSeveralChunksWholeAndCutsAtTheCap) {
  char path[] = "/tmp/oomlab-procfs-test-XXXXXX";
  int fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  std::string text;
  for (int i = 0; text.size() < 10000; ++i) text += std::to_string(i) + ",";
  ASSERT_EQ(write(fd, text.data(), text.size()), static_cast<ssize_t>(text.size()));
  close(fd);
  auto all = read_proc_file(path);
  auto cut = read_proc_file(path, 5000);
  unlink(path);
  ASSERT_TRUE(all.has_value());
  EXPECT_EQ(*all, text);
  ASSERT_TRUE(cut.has_value());
  EXPECT_EQ(*cut, text.substr(0, 5000));
}

// The cap bounds the read, it is not allocated up front: the mlocked watchdog
// would keep a 1 MiB buffer resident for a few-kB /proc/self/status.
TEST(ReadProcFile, AllocatesForWhatTheFileHoldsNotForTheCap) {
  auto s = read_proc_file("/proc/self/status", 1 << 20);
  ASSERT_TRUE(s.has_value());
  EXPECT_GT(s->size(), 0u);
  EXPECT_LT(s->capacity(), std::size_t{1} << 18);
}
