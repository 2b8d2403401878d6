// Issue 14: a lock stall behind slow I/O (mmap_lock here) shows no memory
// PSI, so no PSI event wakes an idle watchdog for it. A watchdog told to
// watch a group (--scope) must still find a stall that begins in that group
// while it is idle: it samples the group's own tasks every period
// (group_probe.hpp). Here nothing else can wake it - its PSI trigger is a
// FIFO that never signals, it does not read the kernel log, the safety scan
// is an hour away - so before the probe only that safety scan would find the
// stall, and this test fails on such a daemon (the 60 s bound passes) -
// unless some other task on the machine is stalled then too, which keeps
// any daemon scanning every period.
#include <gtest/gtest.h>
#include <cstdio>
#include <optional>
#include <regex>
#include <sys/stat.h>
#include <thread>
#include <unistd.h>

#include "child.hpp"
#include "oomlab/cgroups/memory_cgroup.hpp"
#include "oomlab/common/subprocess.hpp"

using namespace std::chrono_literals;
namespace formats = oomlab::formats;
using wdtest::bin;
using wdtest::Child;

namespace {

long metric(const std::string& sock, const std::string& name) {
  oomlab::ProcessSpec q({bin("oomlab-watchdog"), "metrics", "--socket", sock});
  q.timeout = 10s;
  const std::string out = oomlab::run_process(q).out;
  std::smatch m;
  return std::regex_search(out, m, std::regex("\n" + name + " (\\d+)\n")) ? std::stol(m[1]) : -1;
}

}  // namespace

TEST(WatchdogIdleProbe, FindsALockStallThatBeginsWhileIdle) {
  if (std::string why = wdtest::lock_stall_unavailable(); !why.empty()) GTEST_SKIP() << why;
  std::string no_group;
  std::unique_ptr<oomlab::cgroups::MemoryCgroup> cg = wdtest::test_group("wdprobe", 256ull << 20, &no_group);
  if (!cg) GTEST_SKIP() << no_group;
  wdtest::TempDir dir("oomlab-wd-probe");  // removed however the test ends
  const std::string events = dir / "events.jsonl", err = dir / "stderr.log", sock = dir / "ctl.sock";
  const std::string psi = dir / "psi";
  // A PSI "file" that takes the trigger and never fires: the daemon is armed
  // (so it may go idle) and no event can come.
  ASSERT_EQ(::mkfifo(psi.c_str(), 0600), 0);
  const std::string scope = "/" + cg->name();
  Child wd({bin("oomlab-watchdog"), "--period", "250ms", "--warn-after", "500ms", "--kill-after", "10m",
            "--idle-scan", "1h", "--psi-path", psi, "--kmsg-path", "/nonexistent/kmsg", "--socket", sock,
            "--json-log", events, "--scope", scope, "--no-self-protect"},
           nullptr, err);
  // Its start-up scan is done (the group is empty then): from here on only
  // the safety scan, an hour away, would look at every task again.
  ASSERT_TRUE(wdtest::wait_for([&] { return metric(sock, "oomlab_watchdog_scans_total") >= 1 || !wd.running(); }, 60s));
  ASSERT_TRUE(wd.running()) << wdtest::slurp(err);
  ASSERT_EQ(wdtest::slurp(err).find("no PSI trigger"), std::string::npos) << "the FIFO trigger was not armed:\n"
                                                                         << wdtest::slurp(err);

  Child stall({bin("oomlab-test-mmap-lock-stall"), "--seconds", "120"}, cg.get());
  const std::string ready = stall.wait_line(60s);  // a loaded machine can be slow to get there
  int pid = 0, holder = 0, writer = 0;
  ASSERT_EQ(std::sscanf(ready.c_str(), "ready %d holder=%d writer=%d", &pid, &holder, &writer), 3)
      << "stall helper did not get ready: '" << ready << "'";

  // The writer's MemAlloc line, however long a loaded machine takes (a bound,
  // not a timing assertion: before the probe it never came within an hour).
  std::optional<formats::WdTask> line;
  std::string text;  // its text line, for failure messages
  wdtest::wait_for(
      [&] {
        for (const formats::WatchdogRecord& r : wdtest::watchdog_records(events))
          if (const auto* t = std::get_if<formats::WdTask>(&r.payload); t && t->tid == writer) line = *t, text = r.line;
        return line || !wd.running();
      },
      60s);
  const long probes = metric(sock, "oomlab_watchdog_group_probes_total");
  EXPECT_TRUE(wd.running()) << wdtest::slurp(err);
  EXPECT_EQ(wd.stop(), 0);
  ASSERT_TRUE(line) << "no MemAlloc line for the stalled writer " << writer << " in " << scope << "\n"
                               << wdtest::slurp(err);
  EXPECT_EQ(line->kind, "mmap_lock") << text;
  EXPECT_EQ(line->evidence, "wait") << text;
  EXPECT_EQ(line->state, "D") << text;
  EXPECT_EQ(line->cgroup, scope) << text;
  // Not asserted: when another task on the machine is stalled, the daemon is
  // not idle and its scans find the writer without a probe.
  std::printf("group probes before the line: %ld\n", probes);
  EXPECT_EQ(stall.stop(30s), 0) << "the stall helper did not end cleanly";
}

// Issue 16 (cost): an empty watched group is not probed at all - the idle
// loop keeps no period tick for it - and the kernel's word that a task
// entered (cgroup.events "populated 1", under inotify) wakes the probe. On a
// v1 host the --scope group has no cgroup.events: its cgroup2 twin (where
// the test helpers put every process too), named with --watch-cgroup, says
// it. The stalled writer must be found as in the test above: with the safety
// scan an hour away and no PSI event possible, only that wake-up can lead
// the daemon to it.
TEST(WatchdogIdleProbe, EmptyGroupIsNotProbedAndATaskEnteringIsSeen) {
  if (std::string why = wdtest::lock_stall_unavailable(); !why.empty()) GTEST_SKIP() << why;
  std::string no_group;
  std::unique_ptr<oomlab::cgroups::MemoryCgroup> cg = wdtest::test_group("wdpopul", 256ull << 20, &no_group);
  if (!cg) GTEST_SKIP() << no_group;
  const std::string& pressure = cg->pressure_path();
  if (pressure.empty()) GTEST_SKIP() << "the group has no cgroup2 side (no cgroup2 mount): no cgroup.events to watch";
  const std::string watch_dir = pressure.substr(0, pressure.rfind('/'));
  struct stat st {};
  if (::stat((watch_dir + "/cgroup.events").c_str(), &st) != 0) GTEST_SKIP() << "no " << watch_dir << "/cgroup.events";
  wdtest::TempDir dir("oomlab-wd-populated");
  const std::string events = dir / "events.jsonl", err = dir / "stderr.log", sock = dir / "ctl.sock";
  const std::string psi = dir / "psi";
  ASSERT_EQ(::mkfifo(psi.c_str(), 0600), 0);
  const std::string scope = "/" + cg->name();
  Child wd({bin("oomlab-watchdog"), "--period", "250ms", "--warn-after", "500ms", "--kill-after", "10m",
            "--idle-scan", "1h", "--psi-path", psi, "--kmsg-path", "/nonexistent/kmsg", "--socket", sock,
            "--json-log", events, "--scope", scope, "--watch-cgroup", watch_dir, "--no-self-protect"},
           nullptr, err);
  ASSERT_TRUE(wdtest::wait_for([&] { return metric(sock, "oomlab_watchdog_scans_total") >= 1 || !wd.running(); }, 60s));
  ASSERT_TRUE(wd.running()) << wdtest::slurp(err);
  // A few periods with the group empty: however many ticks the machine let
  // it run, none probed (only the idle branch probes, and it skips an
  // empty group), and nothing entered.
  std::this_thread::sleep_for(1s);
  EXPECT_EQ(metric(sock, "oomlab_watchdog_group_probes_total"), 0) << "an empty group was probed";
  EXPECT_EQ(metric(sock, "oomlab_watchdog_group_populated_changes_total"), 0);

  Child stall({bin("oomlab-test-mmap-lock-stall"), "--seconds", "120"}, cg.get());
  const std::string ready = stall.wait_line(60s);
  int pid = 0, holder = 0, writer = 0;
  ASSERT_EQ(std::sscanf(ready.c_str(), "ready %d holder=%d writer=%d", &pid, &holder, &writer), 3)
      << "stall helper did not get ready: '" << ready << "'";
  std::optional<formats::WdTask> line;
  std::string text;
  wdtest::wait_for(
      [&] {
        for (const formats::WatchdogRecord& r : wdtest::watchdog_records(events))
          if (const auto* t = std::get_if<formats::WdTask>(&r.payload); t && t->tid == writer) line = *t, text = r.line;
        return line || !wd.running();
      },
      60s);
  const long changes = metric(sock, "oomlab_watchdog_group_populated_changes_total");
  EXPECT_TRUE(wd.running()) << wdtest::slurp(err);
  EXPECT_EQ(wd.stop(), 0);
  ASSERT_TRUE(line) << "no MemAlloc line for the stalled writer " << writer << " in " << scope << "\n"
                    << wdtest::slurp(err);
  EXPECT_EQ(line->kind, "mmap_lock") << text;
  EXPECT_EQ(line->cgroup, scope) << text;
  EXPECT_GE(changes, 1) << "the task's entry was not signalled through cgroup.events";
  EXPECT_EQ(stall.stop(30s), 0) << "the stall helper did not end cleanly";
}
