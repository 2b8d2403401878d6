// A child drops an OOM protection it inherited: a runner or harness shell at
// oom_score_adj -1000 (the test VM's measuring instrument, a unit's
// OOMScoreAdjust) must not make a scenario's processes or a guard unkillable.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <utility>
#include <string>
#include <sys/wait.h>
#include <unistd.h>

#include "oomlab/common/oom_protection.hpp"

namespace {

constexpr int kCannotLower = 77;  // lowering the value needs CAP_SYS_RESOURCE

int read_adj() {
  std::ifstream in("/proc/self/oom_score_adj");
  int v = 12345;
  in >> v;
  return v;
}

// In a child (the test process keeps its own value): set `start`, drop, and
// exit with 0 when the value read back is `expected`.
int child_status(int start, int expected) {
  pid_t pid = fork();
  if (pid == 0) {
    {
      std::ofstream out("/proc/self/oom_score_adj");
      out << start;
      out.flush();
      if (!out || read_adj() != start) _exit(kCannotLower);
    }
    bool ok = oomlab::drop_inherited_oom_protection();
    _exit(ok && read_adj() == expected ? 0 : 1);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

std::string read_file(const std::string& p) {
  std::ifstream in(p);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// The rule on a file with the kernel's format ("-1000\n"): lowering the real
// value needs CAP_SYS_RESOURCE, which a sandbox may not give even to root.
TEST(OomProtection, RuleOnAFile) {
  const std::string p = ::testing::TempDir() + "/oom_score_adj." + std::to_string(getpid());
  for (auto [before, after] : {std::pair<const char*, const char*>{"-1000\n", "0\n"}, {"-1\n", "0\n"},
                               {"0\n", "0\n"}, {"300\n", "300\n"}}) {
    std::ofstream(p) << before;
    EXPECT_TRUE(oomlab::drop_inherited_oom_protection(p.c_str())) << before;
    EXPECT_EQ(read_file(p), after) << before;
  }
  std::ofstream(p) << "";
  EXPECT_FALSE(oomlab::drop_inherited_oom_protection(p.c_str()));  // nothing to read
  std::remove(p.c_str());
  EXPECT_FALSE(oomlab::drop_inherited_oom_protection(p.c_str()));  // no such file
}

TEST(OomProtection, NegativeBecomesZero) {
  int rc = child_status(-1000, 0);
  if (rc == kCannotLower) GTEST_SKIP() << "cannot set oom_score_adj -1000 here (needs CAP_SYS_RESOURCE)";
  EXPECT_EQ(rc, 0);
  rc = child_status(-500, 0);
  EXPECT_EQ(rc, 0);
}

TEST(OomProtection, ZeroAndPositiveStay) {
  // Raising needs no privilege: this runs anywhere the current value is <= 300.
  if (read_adj() > 300) GTEST_SKIP() << "this process already runs above oom_score_adj 300";
  EXPECT_EQ(child_status(300, 300), 0);
  if (read_adj() <= 0) {
    int rc = child_status(0, 0);
    if (rc != kCannotLower) {
      EXPECT_EQ(rc, 0);
    }
  }
}

}  // namespace
