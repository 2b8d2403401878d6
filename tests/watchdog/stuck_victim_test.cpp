// A victim that does not die: the seed thread's story. The watchdog kills a
// stalled process, but one of its threads sleeps in a FUSE READ that its
// server (another process in the group) never answers, so the process never
// finishes exiting. That is not the end of the stall: the incident must stay
// open while the victim lives and escalate - here to the FUSE server, whose
// death aborts the READ and lets the victim go. Before the fix the daemon
// noted "resolved" half a second after the kill (on cgroup v1 an exiting
// task's /proc/PID/cgroup says "/", so the victim left its group's view)
// and never acted again.
#include <gtest/gtest.h>
#include <csignal>
#include <cstdio>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "child.hpp"
#include "oomlab/cgroups/memory_cgroup.hpp"

using namespace std::chrono_literals;
namespace formats = oomlab::formats;
using wdtest::bin;
using wdtest::Child;

TEST(WatchdogStuckVictim, IncidentStaysOpenUntilTheVictimExitsAndEscalates) {
  if (std::string why = wdtest::lock_stall_unavailable(); !why.empty()) GTEST_SKIP() << why;
  std::string no_group;
  std::unique_ptr<oomlab::cgroups::MemoryCgroup> cg = wdtest::test_group("wdstuck", 256ull << 20, &no_group);
  if (!cg) GTEST_SKIP() << no_group;
  wdtest::TempDir dir("oomlab-wd-stuck");
  const std::string events = dir / "events.jsonl", err = dir / "stderr.log";
  {
    Child stall({bin("oomlab-test-mmap-lock-stall"), "--seconds", "120", "--server-outlives"}, cg.get());
    const std::string ready = stall.wait_line(60s);
    int pid = 0, holder = 0, writer = 0, server = 0;
    ASSERT_EQ(std::sscanf(ready.c_str(), "ready %d holder=%d writer=%d server=%d", &pid, &holder, &writer, &server), 4)
        << "'" << ready << "'";
    // The server is not our child: held by a pidfd so the clean-up can only
    // ever kill that process, and killed before `stall` is reaped (declared
    // after it), whatever ends the test: while it lives the killed stall
    // process cannot finish exiting and its reaping would wait forever.
    struct ServerGuard {
      int fd;
      ~ServerGuard() {
        if (fd >= 0) ::syscall(SYS_pidfd_send_signal, fd, SIGKILL, nullptr, 0);
        if (fd >= 0) ::close(fd);
      }
    } server_guard{static_cast<int>(::syscall(SYS_pidfd_open, server, 0))};
    ASSERT_GE(server_guard.fd, 0);
    const std::string group = "/" + cg->name();
    Child wd({bin("oomlab-watchdog"), "--period", "250ms", "--warn-after", "500ms", "--kill-after", "1s",
              "--escalate-after", "1500ms", "--max-victims", "3", "--socket", "", "--json-log", events, "--scope",
              group, "--no-self-protect"},
             nullptr, err);
    // Until the daemon says the stall is resolved: every time it says so,
    // the victim must be gone already.
    bool resolved = false, alive_at_resolution = false;
    wdtest::wait_for(
        [&] {
          for (const formats::WatchdogRecord& r : wdtest::watchdog_records(events))
            if (r.type == "note" && r.line.find(" resolved after ") != std::string::npos) {
              resolved = true;
              alive_at_resolution = stall.running();
            }
          return resolved;
        },
        90s);
    EXPECT_TRUE(wd.running()) << wdtest::slurp(err);
    EXPECT_EQ(wd.stop(), 0);
    ASSERT_TRUE(resolved) << "no 'resolved' note\n" << wdtest::slurp(err);
    EXPECT_FALSE(alive_at_resolution) << "resolved while the killed process was still exiting\n" << wdtest::slurp(err);
    // Who was killed, in order: the stalled process, then (it could not
    // exit) by escalation the FUSE server that held it.
    std::vector<std::pair<int, std::string>> kills;
    for (const formats::WdKill& k : wdtest::payloads<formats::WdKill>(wdtest::watchdog_records(events)))
      kills.emplace_back(k.pid, k.reason);
    ASSERT_GE(kills.size(), 2u) << wdtest::slurp(err);
    EXPECT_EQ(kills[0], std::make_pair(pid, std::string("stall_timeout")));
    EXPECT_EQ(kills[1], std::make_pair(server, std::string("escalation"))) << wdtest::slurp(err);
    for (const auto& [victim, reason] : kills) EXPECT_NE(victim, holder) << "a thread id is not a kill target";
  }
}
