// Victim choice over synthetic candidates.
#include <gtest/gtest.h>

#include "oomlab/watchdog/cgroup_view.hpp"
#include "oomlab/watchdog/policy.hpp"

#include "candidate_rows.hpp"

using namespace oomlab::watchdog;

namespace {
constexpr pid_t kSelf = 500;
using wdtest::cand;
Options opts(std::vector<Matcher> protect = {}, std::vector<Matcher> prefer = {}, std::vector<Matcher> avoid = {}) {
  Options o;
  o.protect = std::move(protect);
  o.prefer = std::move(prefer);
  o.avoid = std::move(avoid);
  return o;
}
pid_t chosen(const VictimRules& r, const std::vector<Candidate>& c, std::set<pid_t> exclude = {}) {
  auto v = r.choose(c, 1 << 20, exclude);
  return v ? v->pid : -1;
}
}  // namespace

TEST(Policy, LargestRssWins) {
  VictimRules r(opts(), kSelf);
  EXPECT_EQ(chosen(r, {cand(10, "a", 100), cand(11, "b", 300), cand(12, "c", 200)}), 11);
}

TEST(Policy, NeverPid1KernelThreadsSelfOrMinus1000) {
  VictimRules r(opts(), kSelf);
  Candidate kthread = cand(3, "kswapd0", 1 << 30);
  kthread.kernel_thread = true;
  std::vector<Candidate> c = {cand(1, "init", 1 << 30), kthread, cand(kSelf, "oomlab-watchdog", 1 << 30),
                              cand(40, "sshd", 1 << 30, -1000), cand(41, "small", 10)};
  EXPECT_EQ(chosen(r, c), 41);
  c.pop_back();
  EXPECT_EQ(chosen(r, c), -1);
}

TEST(Policy, OomScoreAdjScalesLikeTheKernel) {
  VictimRules r(opts(), kSelf);
  // total 1 GiB: adj 500 adds 512 MiB of badness, adj -500 removes it.
  std::vector<Candidate> c = {cand(10, "big", 600 << 10, -500), cand(11, "small", 200 << 10, 0)};
  EXPECT_EQ(chosen(r, c), 11);
  c[1].oom_score_adj = -900;
  EXPECT_EQ(chosen(r, c), 10);
}

TEST(Policy, ProtectByCommRegexAndCgroupPath) {
  VictimRules r(opts({{"^post.*$", false}, {"/system.slice/db", true}}), kSelf);
  std::vector<Candidate> c = {cand(10, "postgres", 900), cand(11, "dbd", 800, 0, "/system.slice/db/worker"),
                              cand(12, "dbx", 700, 0, "/system.slice/dbx"), cand(13, "other", 100)};
  EXPECT_EQ(chosen(r, c), 12);  // "/system.slice/dbx" is not under "/system.slice/db"
  EXPECT_EQ(chosen(r, c, {12}), 13);
}

TEST(Policy, RegexMatchesTheWholeComm) {
  VictimRules r(opts({{"ssh", false}}), kSelf);
  EXPECT_EQ(chosen(r, {cand(10, "sshd", 900), cand(11, "x", 1)}), 10);
}

// The comm patterns are POSIX extended regexes (regcomp) matched against the
// whole comm, as std::regex_match did before the daemon dropped <regex>.
TEST(Policy, CommPatternIsAWholeCommExtendedRegex) {
  struct Row {
    const char* pattern;
    const char* comm;
    bool want;
  };
  const Row rows[] = {
      {"ssh", "ssh", true},          {"ssh", "sshd", false},        {"ssh", "xssh", false},
      {"ssh|web", "web", true},      {"ssh|web", "webd", false},    {"post.*", "postgres", true},
      {"^post.*$", "postgres", true}, {"kworker/[0-9]+", "kworker/12", true}, {"a+b?", "aab", true},
      {"cache-reader", "cache-reader", true}, {"[a-z]+", "Upper", false},
  };
  for (const Row& r : rows) {
    auto p = CommPattern::compile(r.pattern);
    ASSERT_TRUE(p) << r.pattern;
    EXPECT_EQ(p->matches(r.comm), r.want) << r.pattern << " vs " << r.comm;
  }
  std::string why;
  EXPECT_FALSE(CommPattern::compile("(unclosed", &why));
  EXPECT_FALSE(why.empty());
  EXPECT_FALSE(CommPattern::compile("a{2,1}", &why));
}

TEST(Policy, PreferFirstAvoidLast) {
  VictimRules r(opts({}, {{"^chrome$", false}}, {{"^make$", false}}), kSelf);
  std::vector<Candidate> c = {cand(10, "make", 900), cand(11, "chrome", 10), cand(12, "cc1plus", 500)};
  EXPECT_EQ(chosen(r, c), 11);
  EXPECT_EQ(chosen(r, c, {11}), 12);
  EXPECT_EQ(chosen(r, c, {11, 12}), 10);
  EXPECT_EQ(chosen(r, c, {10, 11, 12}), -1);
}

TEST(CgroupView, MemoryLineOfV1AndV2Texts) {
  EXPECT_EQ(memory_cgroup_from("12:pids:/a\n5:memory:/oomlab/g1\n0::/user.slice\n"), "/oomlab/g1");
  EXPECT_EQ(memory_cgroup_from("4:cpu,memory,blkio:/x\n"), "/x");
  EXPECT_EQ(memory_cgroup_from("0::/user.slice/app.scope\n"), "/user.slice/app.scope");
  EXPECT_EQ(memory_cgroup_from("3:memoryx:/nope\n"), "");
  EXPECT_EQ(memory_cgroup_from("garbage"), "");
}

// A process with SIGKILL pending (killed by an earlier instance of the
// daemon that was itself killed mid-kill) is not chosen again: the next
// victim is someone else, and with nobody else, nobody.
TEST(Policy, DyingProcessIsNotChosenAgain) {
  VictimRules r(opts(), kSelf);
  Candidate dying = cand(10, "big", 900);
  dying.dying = true;
  EXPECT_EQ(chosen(r, {dying, cand(11, "small", 100)}), 11);
  EXPECT_EQ(chosen(r, {dying}), -1);
}
