// The project's own serial-console captures (tests/fixtures/vm/, see its
// README): the marker splitter and the analyzer on real guest logs. The
// analyzer's findings are read from its own typed model (analyzer/model.hpp,
// what its JSON encodes); the verdict the VM harness gets from the
// oomlab-analyze binary is read through formats::decode_verdict, as the
// harness reads it - nothing here picks the verdict document apart by key.
#include <algorithm>
#include <filesystem>
#include <set>
#include <vector>
#include <gtest/gtest.h>

#include "fs_util.hpp"
#include "oomlab/analyzer/analyzer.hpp"
#include "report.hpp"
#include "serial_log.hpp"

using namespace oomlab::vm;
namespace analyzer = oomlab::analyzer;
using analyzer::VerdictClass;

namespace {

std::string fixture(const std::string& name) { return std::string(OOMLAB_SOURCE_DIR) + "/tests/fixtures/vm/" + name; }

std::int64_t event(const std::vector<std::pair<std::string, std::int64_t>>& events, const std::string& name) {
  for (const auto& [k, v] : events)
    if (k == name) return v;
  return -1;
}

// The analyzer's report on a fixture (what oomlab-analyze prints as JSON).
analyzer::Report analyze(const std::string& name) { return analyzer::analyze_file(fixture(name)); }

// A finding's detail (the model keeps them as name/value pairs, in the
// order the JSON's "details" object shows them); nullopt when absent.
template <typename T>
std::optional<T> detail(const analyzer::Finding& f, const std::string& name) {
  for (const auto& [k, v] : f.details)
    if (k == name)
      if (const T* x = std::get_if<T>(&v)) return *x;
  return std::nullopt;
}

struct Capture {
  const char* file;
  const char* kernel;
};
const Capture kOom61{"6.1-memcg-oom-kill.log", "6.1.0-56-amd64"};
const Capture kHang61{"6.1-hang-sysrq-twm.log", "6.1.0-56-amd64"};
const Capture kOom612{"6.12-memcg-oom-kill-disk.log", "6.12.117+deb12-amd64"};
const Capture kMmapSem61{"6.1-mmap-sem-scenario.log", "6.1.0-56-amd64"};
const Capture kGlobalOom61{"6.1-global-oom-tmpfs.log", "6.1.0-56-amd64"};
const Capture kLockHold61{"6.1-mmap-lock-hold-watchdog.log", "6.1.0-56-amd64"};

TEST(VmFixtures, MarkersOfEveryCapture) {
  for (const Capture& c : {kOom61, kHang61, kOom612, kMmapSem61, kGlobalOom61, kLockHold61}) {
    auto text = read_file(fixture(c.file));
    ASSERT_TRUE(text) << c.file;
    GuestOutput g = split_serial_log(*text);
    EXPECT_TRUE(g.booted) << c.file;
    EXPECT_EQ(g.kernel_release, c.kernel) << c.file;
    EXPECT_GT(g.boot_uptime_s, 0.5) << c.file;
    EXPECT_LT(g.boot_uptime_s, 30) << c.file;
  }
}

TEST(VmFixtures, OomCapturesCarryTheGuestReport) {
  for (const Capture& c : {kOom61, kOom612}) {
    GuestOutput g = split_serial_log(*read_file(fixture(c.file)));
    ASSERT_TRUE(g.report_complete) << c.file;
    ASSERT_TRUE(g.exit_code) << c.file;
    EXPECT_EQ(*g.exit_code, 0);
    auto cmd = oomlab::formats::decode_vm_guest_cmd(g.report);
    ASSERT_TRUE(cmd) << g.report;
    EXPECT_EQ(cmd->exit_code, 0) << c.file;
    EXPECT_EQ(event(cmd->memory_events, "oom_kill"), 1) << c.file;
    EXPECT_NE(g.console.find("Memory cgroup out of memory: Killed process"), std::string::npos) << c.file;
  }
}

TEST(VmFixtures, ScenarioCaptureCarriesTheRunnersSummary) {
  GuestOutput g = split_serial_log(*read_file(fixture(kMmapSem61.file)));
  ASSERT_TRUE(g.report_complete);
  auto report = oomlab::formats::decode_run_summary(g.report);  // from before the summary's schema
  ASSERT_TRUE(report) << g.report;
  EXPECT_EQ(report->scenario, "mmap-sem");
  EXPECT_EQ(report->outcome, "oom_resolved");
  EXPECT_EQ(report->oom_kills, 6);
  ASSERT_TRUE(g.exit_code);
  EXPECT_EQ(*g.exit_code, report->exit_code);
}

TEST(VmFixtures, HangCaptureHasTheThreeSysrqDumpsAndNoExit) {
  GuestOutput g = split_serial_log(*read_file(fixture(kHang61.file)));
  EXPECT_FALSE(g.exit_code);
  EXPECT_FALSE(g.report_begun);
  for (const char* header : {"sysrq: Show State", "sysrq: Show Blocked State", "sysrq: Show Memory"})
    EXPECT_NE(g.console.find(header), std::string::npos) << header;
  EXPECT_NE(g.console.find("task:sleep"), std::string::npos);
}

// The verdict the VM harness records for each capture's console
// (oomlab-analyze run on it, decoded through formats::decode_verdict) is the
// analyzer's own verdict on the same text.
TEST(VmFixtures, HarnessGetsTheAnalyzersVerdict) {
  for (const Capture& c : {kOom61, kHang61, kOom612, kMmapSem61, kGlobalOom61, kLockHold61}) {
    GuestOutput g = split_serial_log(*read_file(fixture(c.file)));
    oomlab::formats::VerdictDoc v = analyze_console(OOMLAB_BIN_DIR, g.console, "serial.log");
    ASSERT_TRUE(v.error.empty()) << c.file << ": " << v.error;
    analyzer::Report r = analyzer::analyze_text(g.console, "serial.log");
    EXPECT_EQ(v.verdict, analyzer::to_string(r.verdict)) << c.file;
    EXPECT_EQ(v.title, r.title) << c.file;
    EXPECT_EQ(v.oom_events, r.oom_events.size()) << c.file;
    EXPECT_EQ(v.findings.size(), r.findings.size()) << c.file;
  }
}

TEST(VmFixtures, AnalyzerFindsTheMemcgOomKill) {
  for (const Capture& c : {kOom61, kOom612}) {
    analyzer::Report v = analyze(c.file);
    EXPECT_EQ(v.verdict, VerdictClass::oom_resolved) << c.file << ": " << v.title;
    ASSERT_EQ(v.oom_events.size(), 1u) << c.file;
    const analyzer::OomEvent& e = v.oom_events[0];
    ASSERT_TRUE(e.victim) << c.file;
    EXPECT_EQ(e.victim->comm, "dd") << c.file;
    EXPECT_NE((e.memcg + " " + e.task_memcg).find("oomlab-cmd"), std::string::npos)
        << "memcg: " << e.memcg << " task_memcg: " << e.task_memcg;
  }
}

TEST(VmFixtures, AnalyzerCountsEveryKillOfTheMmapSemScenario) {
  analyzer::Report v = analyze(kMmapSem61.file);
  // The 6.1 kernel resolves the seed's pattern: the victim and the hog are
  // killed in turn (six kills, each freeing memory), no livelock.
  EXPECT_EQ(v.verdict, VerdictClass::oom_resolved) << v.title;
  ASSERT_EQ(v.oom_events.size(), 6u);
  std::set<std::string> victims;
  for (const analyzer::OomEvent& e : v.oom_events)
    if (e.victim) victims.insert(e.victim->comm);
  EXPECT_EQ(victims.count("zero-hog"), 1u);
  EXPECT_EQ(victims.count("mmap-victim"), 1u);
}

TEST(VmFixtures, AnalyzerSeesTwoGlobalOomKillsOfATmpfsFill) {
  analyzer::Report v = analyze(kGlobalOom61.file);
  ASSERT_EQ(v.oom_events.size(), 2u);
  const analyzer::OomEvent& first = v.oom_events[0];
  const analyzer::OomEvent& second = v.oom_events[1];
  EXPECT_EQ(first.constraint, "CONSTRAINT_NONE");
  EXPECT_FALSE(first.memcg_oom);
  ASSERT_TRUE(first.victim && second.victim);
  EXPECT_EQ(first.victim->comm, "dd");
  EXPECT_EQ(first.victim->pid, 107);
  EXPECT_EQ(second.victim->comm, "sh");
  EXPECT_EQ(second.victim->pid, 103);
}

TEST(VmFixtures, AnalyzerReadsTheSysrqTaskDump) {
  analyzer::Report v = analyze(kHang61.file);
  // No OOM and no stall: the dumps are information, not a finding.
  EXPECT_EQ(v.verdict, VerdictClass::clean) << v.title;
  bool saw_sleep = false, saw_init = false;
  for (const analyzer::Task& t : v.tasks) {
    if (t.comm == "sleep") saw_sleep = true;
    if (t.pid == 1) saw_init = true;
  }
  EXPECT_TRUE(saw_sleep) << "sysrq-t lists the guest's sleep";
  EXPECT_TRUE(saw_init);
}

// mmap-lock-hold needs fuse.ko, which the harness packs and loads at boot.
// The runner in the guest sees no memory stall (PSI stays 0: mmap-lock waits
// are not memstalls), so its own outcome is no_oom.
TEST(VmFixtures, LockHoldCaptureLoadedFuseAndRanTheScenario) {
  GuestOutput g = split_serial_log(*read_file(fixture(kLockHold61.file)));
  EXPECT_NE(g.console.find("fuse: init"), std::string::npos);
  EXPECT_EQ(g.console.find("insmod fuse"), std::string::npos) << "no failed insmod";
  ASSERT_TRUE(g.report_complete);
  auto report = oomlab::formats::decode_run_summary(g.report);
  ASSERT_TRUE(report) << g.report;
  EXPECT_EQ(report->scenario, "mmap-lock-hold");
  EXPECT_EQ(report->outcome, "no_oom");
  ASSERT_TRUE(g.exit_code);
  EXPECT_EQ(*g.exit_code, 4);
}

// What the analyzer makes of the watchdog's reports on that console: the
// /proc/PID/cmdline readers blocked in D on the holder's mmap lock for up to
// 18 s, a kill of the anonymous ballast at 8 s, and a stall that the kill did
// not end (the lock is held across slow FUSE reads, not for lack of memory).
TEST(VmFixtures, AnalyzerSeesTheBlockedCmdlineReadersOfTheLockHold) {
  analyzer::Report v = analyze(kLockHold61.file);
  EXPECT_EQ(v.verdict, VerdictClass::allocation_stall) << v.title;
  std::uint64_t longest_probe_ms = 0;
  std::set<int> probes;
  for (const analyzer::MemAllocTask& t : v.memalloc.tasks) {
    if (t.task.comm != "cmdline-probe") continue;
    EXPECT_EQ(t.kind, "mmap_lock") << t.task.pid;
    EXPECT_EQ(t.state, "D") << t.task.pid;
    EXPECT_EQ(t.wchan, "__access_remote_vm") << t.task.pid;
    probes.insert(t.task.pid);
    longest_probe_ms = std::max(longest_probe_ms, t.delay_ms.value_or(0));
  }
  EXPECT_EQ(probes, (std::set<int>{133, 134}));
  EXPECT_GE(longest_probe_ms, 18000u);
  std::vector<std::string> kills;
  for (const analyzer::WatchdogAction& a : v.watchdog_actions)
    if (a.action == "kill")
      for (const auto& [k, val] : a.fields)
        if (k == "comm") kills.push_back(val);
  EXPECT_EQ(kills, std::vector<std::string>{"anon-ballast"});
  // One stall (facts' model, as the runner's outcome): the ballast's kill
  // did not end it. The console lost 134 watchdog lines to the printk
  // ratelimit after its last report, so where it ended is not in the log.
  ASSERT_EQ(v.findings.size(), 1u) << v.title;
  const analyzer::Finding& f = v.findings[0];
  EXPECT_EQ(detail<std::string>(f, "cause"), "blocked_wait");
  EXPECT_EQ(detail<std::string>(f, "wait"), "mmap_lock");
  EXPECT_EQ(detail<std::int64_t>(f, "max_blocked"), 3);
  EXPECT_EQ(detail<std::int64_t>(f, "stalling_max"), 3);
  EXPECT_EQ(detail<std::string>(f, "ended_by"), "unknown");
  EXPECT_GE(detail<double>(f, "duration_s").value_or(0), 18.0);  // at least the probes' longest delay=
}

}  // namespace

// One story per VM run: the guest runner's outcome is the run's outcome,
// and the one verdict agrees with it. The serial console's verdict only sees
// what the kernel printed: memory.high prints nothing, so the verdict then
// comes from the guest runner's samples and a note says what the console
// showed (Debian 6.1, memory-high, 128M, 20 s: outcome livelock, console
// clean).
TEST(VmStory, TheGuestRunnersOutcomeIsTheRunsOutcome) {
  using oomlab::formats::VerdictDoc;
  oomlab::formats::RunSummary memory_high;
  memory_high.scenario = "memory-high", memory_high.outcome = "livelock", memory_high.exit_code = 1;
  memory_high.reason = "no progress from +0.6s for 19.3 s (memory PSI some >= 25% (peak 72%))";
  VerdictDoc clean;
  clean.verdict = "clean", clean.title = "clean";
  RunStory s = run_story("completed", memory_high, clean, std::nullopt);
  EXPECT_EQ(s.outcome, "livelock");
  EXPECT_EQ(s.reason, memory_high.reason);
  EXPECT_EQ(s.verdict, "silent_hang");
  EXPECT_EQ(s.verdict_from, "guest runner's samples");
  EXPECT_NE(s.verdict_note.find("shows no sign of this livelock (its verdict: clean"), std::string::npos) << s.verdict_note;
  // A console verdict that saw it is the verdict, with no note.
  VerdictDoc hang;
  hang.verdict = "silent_hang", hang.title = "silent hang: 2 tasks stalled";
  RunStory seen = run_story("completed", memory_high, hang, std::nullopt);
  EXPECT_EQ(seen.verdict_title, hang.title);
  EXPECT_EQ(seen.verdict_from, "serial console");
  EXPECT_TRUE(seen.verdict_note.empty());
  // The guest's full report wins over its summary, and its own verdict (the
  // run's kernel log with the watchdog's lines) when that one agrees.
  oomlab::formats::Report full;
  full.outcome.cls = "rescued", full.outcome.reason = "no progress ... ended by oomlab-watchdog's kill";
  full.log_verdict = VerdictDoc{};
  full.log_verdict->verdict = "allocation_stall", full.log_verdict->title = "allocation stall ... ended by an oomlab-watchdog kill";
  RunStory rescued = run_story("completed", memory_high, clean, full);
  EXPECT_EQ(rescued.outcome, "rescued");
  EXPECT_EQ(rescued.reason, full.outcome.reason);
  EXPECT_EQ(rescued.verdict, "allocation_stall");
  EXPECT_EQ(rescued.verdict_from, "guest run's kernel log");
  EXPECT_TRUE(rescued.verdict_note.empty());
  // A victim that does not exit: oom_livelock.
  full.outcome.cls = "livelock", full.log_verdict.reset();
  full.outcome.stall = oomlab::formats::ReportStall{};
  full.outcome.stall->cause = "victim_not_exiting";  // facts::stall_cause_name, as the runner writes it
  EXPECT_EQ(run_story("completed", std::nullopt, std::nullopt, full).verdict, "oom_livelock");
  // The lock-hold capture's guest (a runner from before the shared stall
  // model) reported no_oom: that is the outcome, and the console's verdict stays.
  GuestOutput g = split_serial_log(*read_file(fixture(kLockHold61.file)));
  RunStory old = run_story("completed", oomlab::formats::decode_run_summary(g.report), clean, std::nullopt);
  EXPECT_EQ(old.outcome, "no_oom");
  EXPECT_EQ(old.verdict, "clean");
  EXPECT_TRUE(old.verdict_note.empty());
  // No guest summary (a guest command, a boot failure): the session's end and the console's verdict.
  RunStory timed_out = run_story("timed_out", std::nullopt, clean, std::nullopt);
  EXPECT_EQ(timed_out.outcome, "timed_out");
  EXPECT_EQ(timed_out.verdict, "clean");
  EXPECT_TRUE(timed_out.reason.empty());
  oomlab::formats::RunSummary bogus;
  bogus.outcome = "bogus", bogus.reason = "x";
  EXPECT_EQ(run_story("completed", bogus, clean, std::nullopt).outcome, "completed");
  EXPECT_EQ(run_story("completed", bogus, clean, std::nullopt).reason, "");
  // No console verdict at all (the analyzer failed): the outcome's words.
  VerdictDoc failed;
  failed.error = "oomlab-analyze failed";
  RunStory none = run_story("completed", memory_high, failed, std::nullopt);
  EXPECT_EQ(none.verdict, "silent_hang");
  EXPECT_NE(none.verdict_note.find("no verdict from the serial console (oomlab-analyze failed)"), std::string::npos)
      << none.verdict_note;
}
