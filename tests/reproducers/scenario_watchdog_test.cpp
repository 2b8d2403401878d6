// `oomlab-repro run ... --watchdog`: oomlab-watchdog runs scoped to the
// run's group, its JSON lines end up in the report, and it never outlives
// the runner - not after a normal end, not after SIGTERM, not after SIGKILL
// of the runner (PR_SET_PDEATHSIG). ~20 s in total.
#include <csignal>
#include <fcntl.h>
#include <glob.h>
#include <sys/wait.h>

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
