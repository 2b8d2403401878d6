// The holder rule on the real scenarios (oomlab-repro) where OOM kills free
// nothing: the kernel kills the largest process again and again while a
// memfd (shmem-fill) or unread pipes (pipe-fill) keep the group full. The
// watchdog, with --kill-after far away (no other rule can act), must name
// and kill the holders (reason=holder) and the group must be relieved: the
// run's last sample shows the memory gone. Asserts on what happened, not on
// how fast: each run lasts its whole duration or until its group is empty.
#include <gtest/gtest.h>
#include <csignal>
#include <cstdio>
#include <regex>
#include <optional>
#include <set>
#include <sstream>
#include <variant>
#include <thread>
#include <unistd.h>

#include "child.hpp"
#include "oomlab/formats/report.hpp"
#include "oomlab/formats/watchdog_log.hpp"
#include "repro_run.hpp"

using namespace std::chrono_literals;
namespace formats = oomlab::formats;
using wdtest::bin;
using wdtest::Child;

namespace {

constexpr std::uint64_t kLimit = 64u << 20;

struct HolderOutcome {
  std::string skip, log;
  std::optional<formats::WdHolder> holder;  // the "holder" record
  std::set<std::string> killed;  // comms killed with reason=holder
  std::set<std::string> other_reasons;
  std::optional<formats::Report> report;  // the run's report.json
  std::string report_error;               // why there is none
  std::string trace;  // strace of the daemon's opens, "" without strace
};

HolderOutcome run_under_watchdog(const std::string& scenario) {
  HolderOutcome out;
  wdtest::ReproRun run(scenario, "64M", "25s");
  if (!run.skip.empty()) {
    out.skip = run.skip;
    return out;
  }
  if (run.group.empty()) {
    out.skip = "oomlab-repro made no group";  // asserted by the caller through an empty report
    return out;
  }
  wdtest::ScopedWatchdogRun wd = wdtest::watch_until_run_ends(run);
  out.log = wd.log;
  out.trace = wd.trace;
  const std::string& cg = wd.cgroup;
  // The JSON log through the formats codec (no hand-written keys).
  for (const formats::WatchdogRecord& rec : wdtest::watchdog_records(wd.events)) {
    if (auto* h = std::get_if<formats::WdHolder>(&rec.payload); h && h->cgroup == cg && !out.holder) out.holder = *h;
    if (auto* k = std::get_if<formats::WdKill>(&rec.payload)) {
      if (k->reason == "holder") out.killed.insert(k->comm);
      else out.other_reasons.insert(k->reason);
    }
  }
  out.report = run.report(&out.report_error);
  return out;
}

// The holder search read descriptors (/proc/PID/fd) and never a file that
// waits for the target's mmap lock.
void expect_safe_reads(const HolderOutcome& o) {
  if (o.trace.empty()) return;  // no strace here
  EXPECT_TRUE(std::regex_search(o.trace, std::regex(R"re("/proc/\d+/fd")re"))) << "no /proc/PID/fd opened";
  for (const std::string& f : wdtest::mmap_lock_reads(o.trace)) ADD_FAILURE() << "opened " << f << " (the watchdog must never read it)";
}

// Without two OOM kills the scenario did not reproduce here (nothing to
// relieve): a reason to skip, printed.
std::string not_reproduced(const HolderOutcome& o) {
  if (o.holder || !o.report) return "";
  if (o.report->oom_kills.size() >= 2) return "";
  return "the kernel made fewer than 2 OOM kills in this run (workload: exit \"" + o.report->workload.exit +
         "\", teardown \"" + o.report->workload.teardown + "\", log tail: " + o.report->workload.log_tail + ")";
}

// The run's last sample: usage well below the limit (the held memory is gone).
void expect_relieved(const HolderOutcome& o, double max_share) {
  ASSERT_TRUE(o.report) << "no report.json: " << o.report_error;
  const auto& tl = o.report->timeline;
  ASSERT_FALSE(tl.empty());
  const std::uint64_t usage = tl.back().usage_bytes;
  EXPECT_LT(static_cast<double>(usage), max_share * kLimit) << "usage at the end: " << usage;
}

}  // namespace

TEST(WatchdogHolder, KillsTheMemfdHoldersInShmemFill) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root (memory cgroups, /dev/kmsg)";
  HolderOutcome o = run_under_watchdog("shmem-fill");
  if (!o.skip.empty()) GTEST_SKIP() << o.skip;
  if (o.log.find("cannot read the kernel log") != std::string::npos)
    GTEST_SKIP() << "no /dev/kmsg: the kernel's OOM kills cannot be seen";
  if (auto why = not_reproduced(o); !why.empty()) GTEST_SKIP() << why;
  ASSERT_TRUE(o.holder) << "no holder record; watchdog log:\n" << o.log;
  EXPECT_GE(o.holder->held_bytes, kLimit / 5) << o.log;
  EXPECT_NE(o.holder->largest.find("/memfd:oomlab-shmem-fill"), std::string::npos) << o.holder->largest;
  EXPECT_GE(o.holder->oom_kills, 2u);
  // The supervisor keeps the memfd open: it must be among the killed.
  EXPECT_TRUE(o.killed.count("shmem-fill")) << o.log;
  for (const auto& c : o.killed)
    EXPECT_TRUE(c == "shmem-fill" || c == "shmem-filler" || c == "shmem-victim") << c;
  EXPECT_TRUE(o.other_reasons.empty()) << o.log;
  expect_relieved(o, 0.2);
  expect_safe_reads(o);
}

TEST(WatchdogHolder, KillsThePipeHolderInPipeFill) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root (memory cgroups, /dev/kmsg)";
  HolderOutcome o = run_under_watchdog("pipe-fill");
  if (!o.skip.empty()) GTEST_SKIP() << o.skip;
  if (o.log.find("cannot read the kernel log") != std::string::npos)
    GTEST_SKIP() << "no /dev/kmsg: the kernel's OOM kills cannot be seen";
  if (auto why = not_reproduced(o); !why.empty()) GTEST_SKIP() << why;
  ASSERT_TRUE(o.holder) << "no holder record; watchdog log:\n" << o.log;
  EXPECT_GE(o.holder->held_bytes, kLimit / 5) << o.log;
  EXPECT_GT(o.holder->pipes, 0u);
  EXPECT_EQ(o.killed, std::set<std::string>{"pipe-holder"}) << o.log;
  EXPECT_TRUE(o.other_reasons.empty()) << o.log;
  // The application (40% of the limit) lives on; the pipes (85%) are gone.
  expect_relieved(o, 0.7);
  expect_safe_reads(o);
}
