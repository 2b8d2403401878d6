// The exact lines of docs/FORMATS.md, which the analyzer parses.
#include <cstring>
#include <gtest/gtest.h>
#include <map>
#include <regex>

#include "oomlab/watchdog/report.hpp"

using namespace oomlab::watchdog;

TEST(ReportFormat, InfoLine) {
  StallCounts c;
  c.stalling = 3;
  c.dying = 1;
  c.exiting = 2;
  c.victim = 1;
  c.oom_count = 7;
  EXPECT_EQ(format_info(c), "MemAlloc-Info: stalling=3 dying=1 exiting=2 victim=1 oom_count=7");
}

TEST(ReportFormat, TaskLineWithAHostileComm) {
  TaskStall s;
  s.tid = 3418;
  s.tgid = 3417;
  std::strcpy(s.comm, "a (b) c");
  s.state = 'D';
  s.kind = StallKind::MmapLock;
  s.since_ms = 1000;
  std::strcpy(s.wchan, "vm_mmap_pgoff");
  s.cgroup = "/oomlab/repro-1";
  s.rss_kb = 2048;
  s.dying = true;
  s.victim = true;
  std::string line = format_task(s, 13500);
  EXPECT_EQ(line,
            "MemAlloc: a (b) c(3418) tgid=3417 state=D kind=mmap_lock delay=12500ms wchan=vm_mmap_pgoff "
            "cgroup=/oomlab/repro-1 rss=2048kB dying victim");
  // FORMATS.md: the pid is the last (N) before " tgid=".
  std::smatch m;
  ASSERT_TRUE(std::regex_search(line, m, std::regex(R"(^MemAlloc: (.*)\((\d+)\) tgid=(\d+) state=(\S) kind=(\w+) delay=(\d+)ms)")));
  EXPECT_EQ(m[1], "a (b) c");
  EXPECT_EQ(m[2], "3418");
  EXPECT_EQ(m[6], "12500");
}

TEST(ReportFormat, ActionLines) {
  EXPECT_EQ(format_kill(77, "hog", "/oomlab/g", 1024, -100, "stall_timeout", false),
            "kill: pid=77 comm=hog cgroup=/oomlab/g rss=1024kB oom_score_adj=-100 reason=stall_timeout");
  EXPECT_EQ(format_kill(77, "hog", "/", 1, 0, "escalation", true),
            "kill: pid=77 comm=hog cgroup=/ rss=1kB oom_score_adj=0 reason=escalation dry-run");
  EXPECT_EQ(format_killed(77, "hog", 12, -1, 0), "killed: pid=77 comm=hog kill_to_exit=12ms kill_to_freed=-1ms freed=0kB");
  EXPECT_EQ(format_escalate("/oomlab/g", "cgroup_kill"), "escalate: cgroup=/oomlab/g reason=cgroup_kill");
  TaskStall s;
  s.tid = 5;
  std::strcpy(s.comm, "x");
  s.cgroup = "/a";
  EXPECT_EQ(format_warn(s, 2500), "warn: stall of x(5) for 2500ms in cgroup /a");
}

TEST(ReportFormat, TaskLineCarriesDelayGrowthSinceTheStallBegan) {
  TaskStall s;
  s.tid = 4711;
  s.tgid = 4711;
  std::strcpy(s.comm, "cache-reader");
  s.state = 'R';
  s.kind = StallKind::Reclaim;
  s.since_ms = 1000;
  std::strcpy(s.wchan, "?");
  s.cgroup = "/oomlab/repro-1";
  s.rss_kb = 1024;
  s.has_delays = true;
  s.delays_base.reclaim_ns = 50'000'000;
  s.delays_base.blkio_ns = 7'000'000'000;
  s.delays_now.reclaim_ns = 3'100'900'000;  // +3050.9 ms: whole ms only
  s.delays_now.blkio_ns = 7'610'000'000;
  // thrashing/compact/swapin did not grow: not printed.
  EXPECT_EQ(format_task(s, 5200),
            "MemAlloc: cache-reader(4711) tgid=4711 state=R kind=reclaim delay=4200ms wchan=? cgroup=/oomlab/repro-1 "
            "rss=1024kB reclaim_delay=3050ms blkio_delay=610ms");
}

// /dev/kmsg lets a writer through 10 records per 5 s; the budget keeps the
// watchdog under that and holds back stall reports before actions.
TEST(KmsgBudget, StallReportsLeaveAReserveForActions) {
  KmsgBudget b;
  int sent = 0;
  for (int i = 0; i < 20; ++i) sent += b.take(1000 + i * 10, false);
  EXPECT_EQ(sent, KmsgBudget::kBurst - KmsgBudget::kUrgentReserve);
  EXPECT_EQ(b.withheld_total(), 20u - static_cast<unsigned>(sent));
  int urgent = 0;
  for (int i = 0; i < 10; ++i) urgent += b.take(1300, true);
  EXPECT_EQ(urgent, KmsgBudget::kUrgentReserve);
  EXPECT_FALSE(b.summary_due(1300));  // same window: nothing may go out
  // The next window: a summary of what was held back comes first.
  EXPECT_TRUE(b.summary_due(1000 + KmsgBudget::kWindowMs));
  EXPECT_EQ(b.take_summary(1000 + KmsgBudget::kWindowMs), 20u - static_cast<unsigned>(sent) + 6u);
  EXPECT_FALSE(b.summary_due(1000 + KmsgBudget::kWindowMs));
  // The summary used one record of the new window.
  int after = 0;
  for (int i = 0; i < 20; ++i) after += b.take(1000 + KmsgBudget::kWindowMs + 1, true);
  EXPECT_EQ(after, KmsgBudget::kBurst - 1);
}

TEST(KmsgBudget, NeverMoreThanTheKernelsBurstPerWindow) {
  KmsgBudget b;
  // A report every 250 ms for 60 s, plus actions: count per 5 s window.
  std::map<std::int64_t, int> per_window;
  for (std::int64_t t = 0; t < 60000; t += 250) {
    if (b.summary_due(t)) {
      b.take_summary(t);
      ++per_window[t / KmsgBudget::kWindowMs];
    }
    for (int line = 0; line < 4; ++line) per_window[t / KmsgBudget::kWindowMs] += b.take(t, line == 3 && t % 2000 == 0);
  }
  for (const auto& [w, n] : per_window) EXPECT_LE(n, KmsgBudget::kBurst) << "window " << w;
}
