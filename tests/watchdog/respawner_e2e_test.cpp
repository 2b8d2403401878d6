// The respawner rule on the real scenario (oomlab-repro dying-competition):
// the kernel OOM-kills an allocator again and again and its supervisor
// (dying-compet) starts a new one each time, which fills the group again.
// The watchdog, with --kill-after far away (no other rule can act), must
// kill the supervisor (reason=respawner) and nothing else, reading no file
// that waits for an mmap lock. Asserts on what happened, not on how fast.
#include <gtest/gtest.h>
#include <csignal>
#include <cstdio>
#include <regex>
#include <set>
#include <sstream>
#include <thread>
#include <unistd.h>
#include <variant>

#include "child.hpp"
#include "oomlab/formats/report.hpp"
#include "oomlab/formats/watchdog_log.hpp"
#include "repro_run.hpp"

using namespace std::chrono_literals;
using wdtest::bin;
using wdtest::Child;

TEST(WatchdogRespawner, KillsTheSupervisorThatRestartsTheOomVictims) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root (memory cgroups, /dev/kmsg)";
  wdtest::ReproRun run("dying-competition", "64M", "25s", {"--procs", "3", "--threads", "4"});
  if (!run.skip.empty()) GTEST_SKIP() << run.skip;
  ASSERT_FALSE(run.group.empty()) << "oomlab-repro made no group";
  const wdtest::ScopedWatchdogRun wd = wdtest::watch_until_run_ends(run);
  const std::string& log = wd.log;
  const std::string& cg = wd.cgroup;
  if (log.find("cannot read the kernel log") != std::string::npos)
    GTEST_SKIP() << "no /dev/kmsg: the kernel's OOM kills cannot be seen";
  // The JSON log and report.json through the formats codecs (no hand-written keys).
  std::set<std::string> respawner_kills, other_reasons;
  for (const oomlab::formats::WatchdogRecord& rec : wdtest::watchdog_records(wd.events)) {
    if (auto* k = std::get_if<oomlab::formats::WdKill>(&rec.payload)) {
      if (k->reason == "respawner") respawner_kills.insert(k->comm);
      else other_reasons.insert(k->reason);
    }
  }
  std::string why;
  const std::optional<oomlab::formats::Report> report = run.report(&why);
  ASSERT_TRUE(report) << "no report.json: " << why;
  // The rule needs kills to judge: two replaced children and one more kill.
  // Fewer OOM kills than that: the scenario did not reproduce here.
  const std::size_t oom_kills = report->oom_kills.size();
  if (respawner_kills.empty() && oom_kills < 6)
    GTEST_SKIP() << "the kernel made " << oom_kills << " OOM kills in this run (the rule needs repeated kills)";
  EXPECT_EQ(respawner_kills, std::set<std::string>{"dying-compet"}) << log;
  EXPECT_TRUE(other_reasons.empty()) << log;
  EXPECT_NE(log.find("respawner: cgroup " + cg + ": dying-compet("), std::string::npos) << log;
  for (const std::string& f : wdtest::mmap_lock_reads(wd.trace)) ADD_FAILURE() << "opened " << f << " (the watchdog must never read it)";
}
