// A stall past --kill-after in a real memory cgroup holding processes of
// known sizes: who gets killed, in which order, and who never does.
//
// The group: the mmap-lock stall helper (the stall itself, ~3 MiB), hog-shm
// (200 MiB of tmpfs: killing it frees nothing), hog-big (100 MiB anon),
// hog-small (20 MiB anon), hog-protected (300 MiB, --protect), and the
// watchdog itself. Expected: hog-shm (largest unprotected) for the timeout,
// memory not freed -> escalation to hog-big, stall still there -> the whole
// group minus hog-protected and the watchdog -> the stall ends.
#include <csignal>
#include <gtest/gtest.h>
#include <sstream>
#include <sys/stat.h>
#include <thread>
#include <unistd.h>

#include "child.hpp"
#include "oomlab/cgroups/memory_cgroup.hpp"

using namespace std::chrono_literals;
namespace formats = oomlab::formats;
using wdtest::bin;
using wdtest::Child;

namespace {

struct Group {
  std::unique_ptr<oomlab::cgroups::MemoryCgroup> cg;
  std::unique_ptr<Child> stall, shm, big, small, protected_;
  std::string shm_path, dir, events, err;

  ~Group() {
    for (auto* c : {&stall, &shm, &big, &small, &protected_}) c->reset();
    cg.reset();
    ::unlink(shm_path.c_str());
    ::unlink(events.c_str());
    ::unlink(err.c_str());
    if (!dir.empty()) ::rmdir(dir.c_str());
  }
};

std::unique_ptr<Child> hog(oomlab::cgroups::MemoryCgroup* cg, std::vector<std::string> args) {
  args.insert(args.begin(), bin("oomlab-test-hog"));
  auto c = std::make_unique<Child>(args, cg);
  if (c->wait_line(60s).rfind("ready", 0) != 0) throw std::runtime_error("hog did not start: " + args[2]);
  return c;
}


class KillPolicy : public ::testing::Test {
 protected:
  void SetUp() override {
    if (std::string why = wdtest::lock_stall_unavailable(); !why.empty()) GTEST_SKIP() << why;
    std::string no_group;
    g_.cg = wdtest::test_group("wdkill", 1ull << 30, &no_group);
    if (!g_.cg) GTEST_SKIP() << no_group;
    char tmpl[] = "/tmp/oomlab-wd-kill-XXXXXX";
    g_.dir = mkdtemp(tmpl);
    g_.events = g_.dir + "/events.jsonl";
    g_.err = g_.dir + "/stderr.log";
    g_.shm_path = "/dev/shm/oomlab-wdtest-" + std::to_string(getpid());
    g_.stall = std::make_unique<Child>(std::vector<std::string>{bin("oomlab-test-mmap-lock-stall"), "--seconds", "60"}, g_.cg.get());
    ASSERT_EQ(g_.stall->wait_line(60s).rfind("ready", 0), 0u);
  }
  std::vector<std::string> watchdog_args(bool dry_run) {
    std::vector<std::string> a = {bin("oomlab-watchdog"), "--period", "250ms", "--warn-after", "500ms", "--kill-after",
                                  "1s", "--escalate-after", "1500ms", "--max-victims", "2", "--protect",
                                  "^hog-protected$", "--socket", "", "--json-log", g_.events, "--scope",
                                  "/" + g_.cg->name()};
    if (dry_run) a.push_back("--dry-run");
    return a;
  }
  Group g_;
};

}  // namespace

TEST_F(KillPolicy, RightVictimThenEscalationThenTheGroup) {
  g_.shm = hog(g_.cg.get(), {"--name", "hog-shm", "--shm", g_.shm_path + ":200"});
  g_.big = hog(g_.cg.get(), {"--name", "hog-big", "--anon", "100"});
  g_.small = hog(g_.cg.get(), {"--name", "hog-small", "--anon", "20"});
  g_.protected_ = hog(g_.cg.get(), {"--name", "hog-protected", "--anon", "300"});
  Child wd(watchdog_args(false), g_.cg.get(), g_.err);

  bool resolved = false;
  for (int i = 0; i < 240 && !resolved; ++i) {  // up to 60 s: ~4 s once the daemon runs
    std::this_thread::sleep_for(250ms);
    resolved = wdtest::slurp(g_.events).find("resolved") != std::string::npos;
  }
  std::this_thread::sleep_for(300ms);
  EXPECT_TRUE(resolved) << wdtest::slurp(g_.err);
  EXPECT_TRUE(g_.protected_->running()) << "a protected process was killed";
  EXPECT_FALSE(g_.shm->running());
  EXPECT_FALSE(g_.big->running());
  EXPECT_FALSE(g_.small->running());
  EXPECT_FALSE(g_.stall->running());
  ASSERT_TRUE(wd.running()) << "the watchdog killed itself";
  EXPECT_EQ(wd.stop(), 0);

  const auto records = wdtest::watchdog_records(g_.events);
  const auto kills = wdtest::payloads<formats::WdKill>(records);
  const auto killed = wdtest::payloads<formats::WdKilled>(records);
  const auto escalations = wdtest::payloads<formats::WdEscalate>(records);
  ASSERT_EQ(kills.size(), 2u) << wdtest::slurp(g_.err);
  EXPECT_EQ(kills[0].comm, "hog-shm");
  EXPECT_EQ(kills[0].reason, "stall_timeout");
  EXPECT_GE(kills[0].rss_kb, 190u * 1024);
  EXPECT_EQ(kills[1].comm, "hog-big");
  EXPECT_EQ(kills[1].reason, "escalation");
  ASSERT_EQ(escalations.size(), 2u);
  EXPECT_EQ(escalations[0].reason, "escalation");
  EXPECT_EQ(escalations[1].reason, "cgroup_kill");
  // hog-shm died but its tmpfs pages stayed charged: not freed.
  ASSERT_GE(killed.size(), 1u);
  EXPECT_EQ(killed[0].comm, "hog-shm");
  EXPECT_GE(killed[0].kill_to_exit_ms, 0);
  EXPECT_EQ(killed[0].kill_to_freed_ms, -1);
  if (killed.size() >= 2) {
    EXPECT_EQ(killed[1].comm, "hog-big");
    EXPECT_GE(killed[1].kill_to_freed_ms, 0);
    EXPECT_GE(killed[1].freed_kb, 50 * 1024);
  }
}

TEST_F(KillPolicy, DryRunKillsNothing) {
  g_.big = hog(g_.cg.get(), {"--name", "hog-big", "--anon", "50"});
  Child wd(watchdog_args(true), g_.cg.get(), g_.err);
  // Timeout + 2 escalations + the group kill (~4 s once running; waited
  // for, not slept: a loaded machine starts the daemon late).
  wdtest::wait_for(
      [&] {
        return !wd.running() ||
               wdtest::slurp(g_.events).find("dry-run: would kill every unprotected process") != std::string::npos;
      },
      60s);
  EXPECT_TRUE(g_.big->running());
  EXPECT_TRUE(g_.stall->running());
  EXPECT_EQ(wd.stop(), 0);
  int decisions = 0;
  for (const formats::WatchdogRecord& r : wdtest::watchdog_records(g_.events)) {
    EXPECT_NE(r.type, "killed") << r.line;
    if (const auto* k = std::get_if<formats::WdKill>(&r.payload)) {
      ++decisions;
      EXPECT_TRUE(k->dry_run) << r.line;
      EXPECT_NE(r.line.find(" dry-run"), std::string::npos) << r.line;
    }
  }
  EXPECT_GE(decisions, 2) << wdtest::slurp(g_.err);
  EXPECT_NE(wdtest::slurp(g_.events).find("dry-run: would kill every unprotected process"), std::string::npos);
}
