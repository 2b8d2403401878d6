// `oomlab-repro run ... --watchdog`: oomlab-watchdog runs scoped to the
// run's group, its JSON lines end up in the report, and it never outlives
// the runner - not after a normal end, not after SIGTERM, not after SIGKILL
// of the runner (PR_SET_PDEATHSIG). ~20 s in total.
#include <algorithm>
#include <csignal>
#include <cstdlib>
#include <fcntl.h>
#include <glob.h>
#include <sys/wait.h>

#include "oomlab/formats/report.hpp"
#include "oomlab/formats/watchdog_log.hpp"
#include "scenario_support.hpp"

using namespace scenario_test;

namespace {

std::string watchdog_binary() { return std::string(OOMLAB_BIN_DIR) + "/oomlab-watchdog"; }

const std::vector<std::string> kWatchdogArgs = {
    "--watchdog-args", "--warn-after 1s --kill-after 2s --escalate-after 1s --period 250ms"};

// The watchdog's pid, from the "oomlab-watchdog[PID]:" prefix of the text
// line of the first record of its JSON log under `dir`, decoded by the
// log's codec (0 when there is none).
pid_t watchdog_pid_in(const std::string& dir) {
  glob_t g{};
  pid_t pid = 0;
  if (glob((dir + "/*/watchdog.jsonl").c_str(), 0, nullptr, &g) == 0 && g.gl_pathc > 0) {
    std::ifstream f(g.gl_pathv[0]);
    std::string line;
    if (std::getline(f, line))
      if (auto rec = oomlab::formats::decode_watchdog_record(line); rec && rec->line.rfind("oomlab-watchdog[", 0) == 0)
        pid = static_cast<pid_t>(std::atoi(rec->line.c_str() + 16));
  }
  globfree(&g);
  return pid;
}

// True when `pid` is gone (or is no longer an oomlab-watchdog) within 30 s
// (its exit takes a moment; more on a loaded machine).
bool watchdog_gone(pid_t pid) {
  for (int i = 0; i < 300; ++i) {
    auto stat = oomlab::read_proc_file("/proc/" + std::to_string(pid) + "/stat");
    if (!stat || stat->find("(oomlab-watchdog)") == std::string::npos) return true;
    const auto close = stat->rfind(')');
    if (close + 2 < stat->size() && (*stat)[close + 2] == 'Z') return true;  // exited, not yet reaped by init
    usleep(100 * 1000);
  }
  return false;
}

#define OOMLAB_WATCHDOG_PRECONDITIONS()                                                                \
  OOMLAB_SCENARIO_PRECONDITIONS();                                                                     \
  do {                                                                                                 \
    ASSERT_TRUE(std::filesystem::exists(watchdog_binary())) << "build the oomlab-watchdog target";     \
  } while (0)

}  // namespace

TEST(ScenarioWatchdog, DyingCompetitionReportCarriesTheWatchdogsLines) {
  OOMLAB_WATCHDOG_PRECONDITIONS();
  ScenarioRun run = run_scenario("dying-competition", kWatchdogArgs, "6s");
  ASSERT_TRUE(run.report) << run.why();
  ASSERT_TRUE(run.report->watchdog) << "no watchdog section: " << describe(run.report->outcome);
  const formats::ReportWatchdog& wd = *run.report->watchdog;
  EXPECT_EQ(wd.status, "exit 0 after SIGTERM") << wd.status;
  // Scoped to the run's group.
  const std::string& path = run.report->cgroup.path;
  const std::string scope = "/" + path.substr(path.find("oomlab/"));
  bool scoped = false;
  std::string argv;
  for (const std::string& a : wd.argv) argv += a + " ";
  for (std::size_t i = 0; i + 1 < wd.argv.size(); ++i) scoped |= wd.argv[i] == "--scope" && wd.argv[i + 1] == scope;
  EXPECT_TRUE(scoped) << argv << "/ " << scope;
  // Its lines, on the run's clock: a start note and stall reports of the
  // dying racers (16 threads per killed process).
  ASSERT_FALSE(wd.events.empty());
  EXPECT_NE(wd.events[0].line.find("started"), std::string::npos) << wd.events[0].line;
  // When the kernel's OOM killer keeps up, each victim is gone before the
  // next scan (seen in CI: 24 victims, none alive at a report): then the
  // watchdog's lines about the run are its victim notes from the kernel log.
  int victim_notes = 0;
  std::string lines;
  for (const auto& e : wd.events) {
    victim_notes += e.line.find("kernel OOM victim pid") != std::string::npos;
    if (lines.size() < 3000) lines += std::to_string(e.t_ms) + " ms " + e.type + ": " + e.line + "\n";
  }
  EXPECT_GE(wd.stall_reports + victim_notes, 1) << lines;
  for (const auto& e : wd.events) {
    EXPECT_GT(e.t_ms, -5000) << e.line;
    EXPECT_LT(e.t_ms, 6000 + 40000) << e.line;
  }
  // Kills, when it made any, are folded with who, why and when.
  for (const auto& k : wd.kills) {
    EXPECT_GT(k.pid, 0) << k.comm << " " << k.reason;
    EXPECT_FALSE(k.reason.empty()) << k.comm << "(" << k.pid << ")";
  }
  EXPECT_EQ(run.report->files.watchdog_log, "watchdog.jsonl");
  const pid_t pid = watchdog_pid_in(run.out_dir);
  ASSERT_GT(pid, 0);
  EXPECT_TRUE(watchdog_gone(pid)) << "oomlab-watchdog " << pid << " outlived the run";
  expect_clean_teardown(run, {"alloc-racer", "dying-compet"});
  discard(run);
}

namespace {

// The largest gap between two consecutive times in [from, to] (at least
// `floor`): how coarsely an observer actually saw that stretch, whatever the
// machine's load made of its period.
std::int64_t largest_gap(std::vector<std::int64_t> t, std::int64_t from, std::int64_t to, std::int64_t floor) {
  std::sort(t.begin(), t.end());
  std::int64_t gap = floor, previous = -1;
  for (std::int64_t x : t) {
    if (x < from || x > to) continue;
    if (previous >= 0) gap = std::max(gap, x - previous);
    previous = x;
  }
  return gap;
}

}  // namespace

// scripts/demo.sh's run: mmap-lock-hold at 128M for 20 s under the watchdog
// with the demo's flags. The runner's outcome (its samples), the report's
// watchdog section (the stall the watchdog's own reports show) and the run's
// verdict (oomlab-analyze on the kernel log and the watchdog's JSON lines)
// tell one story: the same ender, the same start and the same length within
// one observation period of each observer (each dates an edge to its own
// first or last sight: the runner's 100 ms samples, the watchdog's 250 ms
// scans; measured here 226-229 ms apart at the start, 27-266 ms in length).
// Periods are measured from what the observers did in this run (a loaded
// machine stretches them), not assumed. Whatever ended the stall - the
// watchdog's kill or nothing - all three must say the same. ~25 s.
TEST(ScenarioWatchdog, DemoRunTellsOneStory) {
  OOMLAB_WATCHDOG_PRECONDITIONS();
  if (!std::filesystem::exists("/dev/fuse")) GTEST_SKIP() << "no /dev/fuse: mmap-lock-hold needs FUSE";
  ScenarioRun run = run_scenario(
      "mmap-lock-hold",
      {"--limit", "128M", "--stall-threshold", "10s", "--watchdog-args",
       "--warn-after 2s --kill-after 4s --period 250ms --kmsg-write --delayacct enable"},
      "20s");
  if (run.proc.exit_code == 5) GTEST_SKIP() << "mmap-lock-hold skipped itself: " << run.proc.out;
  ASSERT_TRUE(run.report) << run.why();
  const auto& r = run.report;
  ASSERT_TRUE(r->watchdog) << r->outcome.reason;
  const auto& wd = *r->watchdog;
  const auto& out = r->outcome;
  // The readers behind the held mmap lock: a stall every observer saw.
  ASSERT_TRUE(out.stall) << out.reason;
  ASSERT_TRUE(wd.stall) << "the watchdog's reports show no stall; outcome: " << out.reason;
  EXPECT_EQ(out.stall->cause, "blocked_wait") << out.reason;
  EXPECT_EQ(out.stall->wait, "mmap_lock") << out.reason;
  EXPECT_EQ(wd.stall->wait, "mmap_lock") << wd.stall->description;

  // How coarsely each observer saw it: the runner's samples, the watchdog's
  // reports (MemAlloc-Info, one per scan while stalled; its period 250 ms).
  std::vector<std::int64_t> samples, reports;
  for (const auto& s : r->timeline) samples.push_back(s.t_ms);
  for (const auto& e : wd.events)
    if (e.type == "memalloc_info") reports.push_back(e.t_ms);
  const std::int64_t from = std::min(out.stall->start_ms, wd.stall->start_ms) - 1000;
  const std::int64_t to = std::max(out.stall->end_ms, wd.stall->end_ms) + 1000;
  const std::int64_t g_runner = largest_gap(samples, from, to, r->params.period_ms);
  const std::int64_t g_watchdog = largest_gap(reports, from, to, 250);
  const std::int64_t one_period = g_runner + g_watchdog;  // one of each
  const std::string story = "outcome: " + out.reason + "\nwatchdog: from " + std::to_string(wd.stall->start_ms) +
                            " ms for " + std::to_string(wd.stall->length_ms) + " ms\nverdict: " + r->verdict.title +
                            "\nperiods: runner " + std::to_string(g_runner) + " ms, watchdog " +
                            std::to_string(g_watchdog) + " ms";

  // Start and length.
  EXPECT_LE(std::abs(out.stall->start_ms - wd.stall->start_ms), one_period) << story;
  EXPECT_LE(std::abs(out.stall->length_ms - wd.stall->length_ms), one_period) << story;
  EXPECT_EQ(out.stall->ongoing, wd.stall->ongoing) << story;

  // What ended it: the same kill (or nothing) for both.
  ASSERT_EQ(out.ended_by.has_value(), wd.stall_ended_by.has_value()) << story;
  if (out.ended_by) {
    EXPECT_EQ(out.ended_by->pid, wd.stall_ended_by->pid) << story;
    EXPECT_EQ(out.ended_by->comm, wd.stall_ended_by->comm) << story;
    EXPECT_EQ(out.ended_by->by, wd.stall_ended_by->by) << story;
    EXPECT_EQ(out.ended_by->t_ms, wd.stall_ended_by->t_ms) << story;
    EXPECT_EQ(out.cls, out.ended_by->by == "watchdog" ? "rescued" : "stalled_then_resolved") << story;
    bool listed = false;
    for (const auto& k : wd.kills) listed = listed || (k.pid == out.ended_by->pid && k.t_ms == out.ended_by->t_ms);
    EXPECT_TRUE(listed) << "the ender is not among the watchdog's kills\n" << story;
  }

  // The verdict: the class the outcome calls for, and when it is the
  // analyzer's (from the kernel log), its stall finding tells the same.
  EXPECT_EQ(r->verdict.cls, out.cls == "livelock" ? "silent_hang" : "allocation_stall") << story;
  if (r->verdict.from == "kernel log") {
    ASSERT_TRUE(r->log_verdict);
    const oomlab::formats::VerdictStall* v = nullptr;
    for (const auto& f : r->log_verdict->findings)
      if (f.title == r->verdict.title && f.stall) v = &*f.stall;
    ASSERT_TRUE(v) << "the verdict's title names no stall finding\n" << story;
    EXPECT_LE(std::abs(static_cast<std::int64_t>(v->duration_s * 1000) - out.stall->length_ms), one_period) << story;
    if (out.ended_by) {
      EXPECT_EQ(v->ended_by, out.ended_by->by == "watchdog" ? "watchdog_kill" : "oom_kill") << story;
      EXPECT_EQ(v->ended_by_pid, out.ended_by->pid) << story;
      // Its start on the run's clock, with the ending kill as the anchor
      // between the log's clock and the run's.
      ASSERT_TRUE(v->ended_by_ts);
      const auto start = static_cast<std::int64_t>(v->start_ts * 1000) -
                         (static_cast<std::int64_t>(*v->ended_by_ts * 1000) - out.ended_by->t_ms);
      EXPECT_LE(std::abs(start - out.stall->start_ms), one_period) << story;
    } else {
      EXPECT_NE(v->ended_by, "watchdog_kill") << story;
      EXPECT_NE(v->ended_by, "oom_kill") << story;
    }
  } else {
    EXPECT_EQ(r->verdict.title, out.reason) << story;  // from the runner's samples: its story
  }
  expect_clean_teardown(run, {"lock-holder", "cmdline-probe", "slow-fuse", "anon-ballast", "cache-churn"});
  discard(run);
}

TEST(ScenarioWatchdog, StoppedWhenTheRunnerIsTerminatedOrKilled) {
  OOMLAB_WATCHDOG_PRECONDITIONS();
  for (const char* how : {"TERM", "KILL"}) {
    SCOPED_TRACE(how);
    const std::string dir = disk_temp_dir();
    std::vector<std::string> argv = {repro_binary(), "run", "mmap-sem", "--limit", "64M", "--duration", "60s",
                                     "--json", "--out", dir};
    argv.insert(argv.end(), kWatchdogArgs.begin(), kWatchdogArgs.end());
    // The signal comes once the watchdog is up (its first line written),
    // however long a loaded machine takes to get there.
    const std::string out_file = dir + "/summary.json", err_file = dir + "/stderr.log";
    const pid_t runner = fork();
    ASSERT_GE(runner, 0);
    if (runner == 0) {
      const int out_fd = open(out_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
      const int err_fd = open(err_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
      if (out_fd < 0 || err_fd < 0 || dup2(out_fd, 1) < 0 || dup2(err_fd, 2) < 0) _exit(127);
      std::vector<char*> args;
      for (auto& a : argv) args.push_back(a.data());
      args.push_back(nullptr);
      execv(args[0], args.data());
      _exit(127);
    }
    pid_t pid = 0;
    for (int i = 0; i < 600 && pid <= 0; ++i) {  // up to 60 s
      usleep(100 * 1000);
      pid = watchdog_pid_in(dir);
      if (waitpid(runner, nullptr, WNOHANG) == runner) break;
    }
    kill(runner, std::string(how) == "TERM" ? SIGTERM : SIGKILL);
    waitpid(runner, nullptr, 0);
    oomlab::ProcessResult r;
    r.out = oomlab::read_proc_file(out_file, 1 << 20).value_or("");
    r.err = oomlab::read_proc_file(err_file, 1 << 20).value_or("");
    ASSERT_GT(pid, 0) << r.out << r.err;
    EXPECT_TRUE(watchdog_gone(pid)) << "oomlab-watchdog " << pid << " outlived a runner ended by SIG" << how;
    if (std::string(how) == "TERM") {
      std::string why;
      auto report = report_of(r.out, &why);
      ASSERT_TRUE(report) << why << "\n" << r.out << r.err;
      EXPECT_TRUE(report->outcome.interrupted);
      ASSERT_TRUE(report->watchdog);
      EXPECT_EQ(report->watchdog->status, "exit 0 after SIGTERM");
    }
    // (The group of a SIGKILLed runner is the guardian's: runner_kill_test.)
    if (!std::getenv("OOMLAB_KEEP_REPORTS")) std::filesystem::remove_all(dir);
  }
}
