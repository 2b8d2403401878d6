// --cgroup PATH (Options::cgroup): one group's story from oomlab-watchdog's
// lines, which cover every group. Lines and fixtures are real: two
// mmap-lock-hold runs (128M, 20 s, the demo's watchdog flags) started 1.5 s
// apart on one host, each with its own watchdog writing to /dev/kmsg
// (concurrent_runs_{a,b}.*: each run's kernel.log and watchdog.jsonl as
// oomlab-repro wrote them, report.json cut down to the outcome, the group and
// the watchdog's kills and argv).
#include <cmath>
#include <fstream>
#include <gtest/gtest.h>
#include <sstream>

#include "helpers.hpp"
#include "oomlab/formats/report.hpp"

namespace oomlab::analyzer::test {
namespace {

constexpr const char* kA = "/oomlab/repro-19971-4792605-1";
constexpr const char* kB = "/oomlab/repro-20015-4792758-1";

// Real lines of the two runs' kernel log (run A's watchdog is 19974, B's 20017).
constexpr const char* kTaskA =
    "[47933.726868] oomlab-watchdog[19974]: MemAlloc: cmdline-probe(19994) tgid=19994 state=D kind=mmap_lock "
    "delay=7111ms wchan=__access_remote_vm cgroup=/oomlab/repro-19971-4792605-1 rss=3240kB";
constexpr const char* kTaskB =
    "[47934.980397] oomlab-watchdog[20017]: MemAlloc: lock-holder(20031) tgid=20026 state=D kind=mmap_lock "
    "delay=7028ms wchan=vm_mmap_pgoff cgroup=/oomlab/repro-20015-4792758-1 rss=2928kB";
constexpr const char* kWarnA =
    "[47929.944485] oomlab-watchdog[20017]: warn: stall of cmdline-probe(19995) for 2151ms in cgroup "
    "/oomlab/repro-19971-4792605-1";
constexpr const char* kKillA =
    "[47930.646979] oomlab-watchdog[19974]: kill: pid=19981 comm=anon-ballast cgroup=/oomlab/repro-19971-4792605-1 "
    "rss=113620kB oom_score_adj=0 reason=stall_timeout";
constexpr const char* kKilledA =
    "[47930.915853] oomlab-watchdog[19974]: killed: pid=19981 comm=anon-ballast kill_to_exit=74ms kill_to_freed=40ms "
    "freed=113620kB";
constexpr const char* kKillB =
    "[47932.196946] oomlab-watchdog[20017]: kill: pid=20024 comm=anon-ballast cgroup=/oomlab/repro-20015-4792758-1 "
    "rss=113632kB oom_score_adj=0 reason=stall_timeout";
constexpr const char* kKilledB =
    "[47932.453822] oomlab-watchdog[20017]: killed: pid=20024 comm=anon-ballast kill_to_exit=24ms kill_to_freed=24ms "
    "freed=113632kB";
constexpr const char* kEscalateB =
    "[47937.198191] oomlab-watchdog[20017]: escalate: cgroup=/oomlab/repro-20015-4792758-1 reason=escalation";

TEST(CgroupFilter, LinesOfAnotherGroupAreLeftOut) {
  struct Row {
    const char* name;
    std::vector<const char*> lines;
    std::string cgroup;
    std::size_t tasks, actions, other;
  };
  const Row rows[] = {
      {"another group's task", {kTaskA}, kB, 0, 0, 1},
      {"the group's task", {kTaskB}, kB, 1, 0, 0},
      {"another group's warn", {kWarnA}, kB, 0, 0, 1},
      {"another group's kill and its killed:", {kKillA, kKilledA}, kB, 0, 0, 2},
      {"the group's kill and its killed:", {kKillB, kKilledB}, kB, 0, 2, 0},
      {"the group's escalate", {kEscalateB}, kB, 0, 1, 0},
      {"another group's escalate", {kEscalateB}, kA, 0, 0, 1},
      {"a parent keeps its children", {kTaskA, kTaskB, kKillA, kKillB}, "/oomlab", 2, 2, 0},
      {"a name's prefix is not a parent", {kTaskA}, "/oomlab/repro-1997", 0, 0, 1},
      {"no --cgroup: everything", {kTaskA, kTaskB, kWarnA, kKillA, kKilledA}, "", 2, 3, 0},
  };
  for (const Row& row : rows) {
    SCOPED_TRACE(row.name);
    std::string text;
    for (const char* l : row.lines) text += std::string(l) + "\n";
    Options opt;
    opt.cgroup = row.cgroup;
    const Report r = analyze_text(text, "t", opt);
    EXPECT_EQ(r.memalloc.tasks.size(), row.tasks);
    EXPECT_EQ(r.watchdog_actions.size(), row.actions);
    EXPECT_EQ(r.input.other_cgroup_lines, row.other);
    EXPECT_EQ(r.input.cgroup, row.cgroup);
  }
}

// Under --cgroup the watchdog's MemAlloc-Info counts are machine-wide: a
// report's tasks missing from its list are other groups' (left out on
// purpose), not lines the log lost, so none are filled in from stalling=;
// and a report listing none of the group's tasks is no evidence about it.
// A real report of run B's watchdog (its JSON log's text lines at
// 47930.474: 3 tasks of its own group, 3 of run A's, A's first as the
// longest), repeated every 250 ms for 3 s.
TEST(CgroupFilter, MachineWideCountsFillNothingIn) {
  const std::vector<std::string> block = {
      "oomlab-watchdog[20017]: MemAlloc-Info: stalling=6 dying=0 exiting=0 victim=0 oom_count=0",
      "oomlab-watchdog[20017]: MemAlloc: cmdline-probe(19994) tgid=19994 state=D kind=mmap_lock delay=2684ms "
      "wchan=__access_remote_vm cgroup=/oomlab/repro-19971-4792605-1 rss=3240kB",
      "oomlab-watchdog[20017]: MemAlloc: cmdline-probe(19995) tgid=19995 state=D kind=mmap_lock delay=2684ms "
      "wchan=__access_remote_vm cgroup=/oomlab/repro-19971-4792605-1 rss=3240kB",
      "oomlab-watchdog[20017]: MemAlloc: lock-holder(19998) tgid=19993 state=D kind=mmap_lock delay=2684ms "
      "wchan=__vm_munmap cgroup=/oomlab/repro-19971-4792605-1 rss=2792kB",
      "oomlab-watchdog[20017]: MemAlloc: lock-holder(20031) tgid=20026 state=D kind=mmap_lock delay=2525ms "
      "wchan=vm_mmap_pgoff cgroup=/oomlab/repro-20015-4792758-1 rss=2800kB",
      "oomlab-watchdog[20017]: MemAlloc: cmdline-probe(20027) tgid=20027 state=D kind=mmap_lock delay=2141ms "
      "wchan=__access_remote_vm cgroup=/oomlab/repro-20015-4792758-1 rss=3444kB",
      "oomlab-watchdog[20017]: MemAlloc: cmdline-probe(20028) tgid=20028 state=D kind=mmap_lock delay=2141ms "
      "wchan=__access_remote_vm cgroup=/oomlab/repro-20015-4792758-1 rss=3444kB",
  };
  // "cut": only the header and the first (longest) task line, what the
  // watchdog sends to the kernel log; without --cgroup stalling= fills the
  // rest in as lines the log lost.
  struct Row {
    const char* name;
    std::string cgroup;
    std::size_t lines_per_report;
    std::int64_t max_blocked;
  };
  const Row rows[] = {
      {"whole reports, no --cgroup: both groups", "", block.size(), 6},
      {"whole reports, --cgroup B: its own three", kB, block.size(), 3},
      {"whole reports, --cgroup A: its own three", kA, block.size(), 3},
      {"cut reports, no --cgroup: filled in to stalling=", "", 2, 6},
      {"cut reports, --cgroup A: only what is listed", kA, 2, 1},
      {"cut reports, --cgroup B: none of its tasks listed, no stall", kB, 2, -1},
  };
  for (const Row& row : rows) {
    SCOPED_TRACE(row.name);
    std::string text;
    char stamp[32];
    for (int i = 0; i <= 12; ++i) {
      std::snprintf(stamp, sizeof stamp, "[%12.6f] ", 47930.474 + 0.25 * i);
      for (std::size_t k = 0; k < row.lines_per_report; ++k) text += stamp + block[k] + "\n";
    }
    std::snprintf(stamp, sizeof stamp, "[%12.6f] ", 47940.0);
    text += std::string(stamp) + "fuse: the log goes on\n";
    Options opt;
    opt.cgroup = row.cgroup;
    const Report r = analyze_text(text, "t", opt);
    const Finding* f = nullptr;
    for (const Finding& x : r.findings)
      if (x.klass == VerdictClass::allocation_stall || x.klass == VerdictClass::silent_hang) f = &x;
    if (row.max_blocked < 0) {
      EXPECT_EQ(f, nullptr) << f->title;
      continue;
    }
    ASSERT_NE(f, nullptr) << r.title;
    ASSERT_NE(detail<std::int64_t>(*f, "max_blocked"), nullptr) << f->title;
    EXPECT_EQ(*detail<std::int64_t>(*f, "max_blocked"), row.max_blocked) << f->title;
    EXPECT_EQ(*detail<std::int64_t>(*f, "stalling_max"), row.max_blocked) << f->title;
  }
}

struct ConcurrentRun {
  std::optional<formats::Report> report;
  std::string why, scope;
  std::int64_t t0_ms = 0;  // the run's clock on the kernel log's: the ending kill is in both
};

ConcurrentRun load_run(const std::string& name) {
  ConcurrentRun c;
  std::ifstream in(fixture_path(name + ".report.json"));
  std::ostringstream text;
  text << in.rdbuf();
  c.report = formats::decode_report(text.str(), &c.why);
  if (c.report && c.report->watchdog)
    for (std::size_t i = 0; i + 1 < c.report->watchdog->argv.size(); ++i)
      if (c.report->watchdog->argv[i] == "--scope") c.scope = c.report->watchdog->argv[i + 1];
  return c;
}

const Finding* watchdog_stall(const Report& r) {
  for (const Finding& f : r.findings) {
    const std::string* source = detail<std::string>(f, "source");
    if ((f.klass == VerdictClass::allocation_stall || f.klass == VerdictClass::silent_hang) && source &&
        *source == "oomlab-watchdog")
      return &f;
  }
  return nullptr;
}

// Each run's verdict, from its kernel log and its watchdog's JSON log with
// --cgroup its group, tells its outcome's story: the same ender, the same
// most blocked tasks, start and length within one period of each observer
// (the runner's 100 ms samples, the watchdog's 250 ms reports). Without
// --cgroup, run B's verdict told run A's stall (13 s, up to 6 tasks, ended
// by A's kill of slow-fuse) while its outcome said 9.1 s ended by its own.
TEST(CgroupFilter, EachConcurrentRunTellsItsOwnStory) {
  constexpr std::int64_t kOnePeriod = 100 + 250;
  for (const char* name : {"concurrent_runs_a", "concurrent_runs_b"}) {
    SCOPED_TRACE(name);
    const ConcurrentRun c = load_run(name);
    ASSERT_TRUE(c.report) << c.why;
    ASSERT_FALSE(c.scope.empty());
    const formats::ReportOutcome& out = c.report->outcome;
    ASSERT_TRUE(out.stall && out.ended_by) << out.reason;
    Options opt;
    opt.cgroup = c.scope;
    const Report r = analyze_with_watchdog_log(fixture_path(std::string(name) + ".kernel.log"),
                                               fixture_path(std::string(name) + ".watchdog.jsonl"), opt);
    EXPECT_GT(r.input.other_cgroup_lines, 0u);
    const Finding* f = watchdog_stall(r);
    ASSERT_NE(f, nullptr) << r.title;
    SCOPED_TRACE(f->title + "\noutcome: " + out.reason);
    EXPECT_EQ(*detail<std::int64_t>(*f, "max_blocked"), out.stall->max_blocked);
    EXPECT_EQ(*detail<std::string>(*f, "ended_by"), "watchdog_kill");
    EXPECT_EQ(*detail<std::int64_t>(*f, "ended_by_pid"), out.ended_by->pid);
    EXPECT_EQ(*detail<std::string>(*f, "ended_by_comm"), out.ended_by->comm);
    const std::int64_t t0 = std::llround(*detail<double>(*f, "ended_by_ts") * 1000) - out.ended_by->t_ms;
    const std::int64_t start = std::llround(*detail<double>(*f, "start_ts") * 1000) - t0;
    const std::int64_t length = std::llround(*detail<double>(*f, "duration_s") * 1000);
    EXPECT_LE(std::abs(start - out.stall->start_ms), kOnePeriod);
    EXPECT_LE(std::abs(length - out.stall->length_ms), kOnePeriod);
  }
  // The two stories the runner's verdict told before --cgroup: run B's
  // verdict took run A's stall and kill.
  const ConcurrentRun b = load_run("concurrent_runs_b");
  ASSERT_TRUE(b.report) << b.why;
  const Report all = analyze_with_watchdog_log(fixture_path("concurrent_runs_b.kernel.log"),
                                               fixture_path("concurrent_runs_b.watchdog.jsonl"));
  const Finding* f = watchdog_stall(all);
  ASSERT_NE(f, nullptr) << all.title;
  EXPECT_GT(*detail<std::int64_t>(*f, "max_blocked"), b.report->outcome.stall->max_blocked) << f->title;
  EXPECT_NE(*detail<std::int64_t>(*f, "ended_by_pid"), b.report->outcome.ended_by->pid) << f->title;
}

}  // namespace
}  // namespace oomlab::analyzer::test
