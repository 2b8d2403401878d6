// --watchdog-log: the kernel log and the watchdog's JSON lines as one
// timeline, and the kernel's "output lines suppressed" note in the verdict.
#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>
#include <stdexcept>
#include <unistd.h>

#include "oomlab/analyzer/analyzer.hpp"
#include "oomlab/formats/watchdog_log.hpp"

using namespace oomlab::analyzer;
namespace formats = oomlab::formats;

namespace {

struct TempDir {
  std::filesystem::path dir;
  TempDir() {
    char tmpl[] = "/tmp/oomlab-merge-XXXXXX";
    dir = ::mkdtemp(tmpl);
  }
  ~TempDir() { std::filesystem::remove_all(dir); }
  std::string write(const std::string& name, const std::string& text) const {
    std::ofstream(dir / name) << text;
    return (dir / name).string();
  }
};

std::string record(std::int64_t mono_ms, const std::string& text, formats::WdPayload p) {
  formats::WatchdogRecord r;
  r.type = formats::payload_type(p);
  r.mono_ms = mono_ms;
  r.priority = 4;
  r.line = "oomlab-watchdog[900]: " + text;
  r.payload = std::move(p);
  return formats::encode_watchdog_record(r) + "\n";
}

}  // namespace

TEST(WatchdogMerge, ReportsTheRatelimitDroppedComeBackInTimeOrder) {
  TempDir t;
  // The kernel log kept the first report only; the kernel then said it
  // dropped the rest.
  const std::string klog = t.write("kernel.log",
                                   "[  100.000000] oomlab-watchdog[900]: MemAlloc-Info: stalling=1 dying=0 exiting=0 victim=0 oom_count=0\n"
                                   "[  101.000000] fuse: some unrelated line\n"
                                   "[  120.000000] printk: oomlab-watchdog: 111 output lines suppressed due to ratelimiting\n");
  std::string wlog;
  wlog += record(99000, "started: profile=desktop", std::monostate{});
  wlog += record(100000, "MemAlloc-Info: stalling=1 dying=0 exiting=0 victim=0 oom_count=0",
                 formats::WdInfo{1, 0, 0, 0, 0, false});
  for (int i = 1; i <= 8; ++i)
    wlog += record(100000 + i * 1000, "MemAlloc-Info: stalling=3 dying=0 exiting=0 victim=0 oom_count=0",
                   formats::WdInfo{3, 0, 0, 0, 0, false});
  wlog += record(108500, "kill: pid=77 comm=slow-fuse cgroup=/g rss=100kB oom_score_adj=0 reason=escalation",
                 formats::WdKill{77, "slow-fuse", "/g", 100, 0, "escalation", false});
  wlog += record(110000, "MemAlloc-Info: stalling=0 dying=0 exiting=0 victim=0 oom_count=0",
                 formats::WdInfo{0, 0, 0, 0, 0, false});
  const std::string wpath = t.write("watchdog.jsonl", wlog);

  Report alone = analyze_file(klog);
  ASSERT_EQ(alone.input.suppressed.size(), 1u);
  EXPECT_EQ(alone.input.suppressed[0].first, "oomlab-watchdog");
  EXPECT_EQ(alone.input.suppressed[0].second, 111u);
  EXPECT_EQ(alone.memalloc.series.size(), 1u);

  Report merged = analyze_with_watchdog_log(klog, wpath);
  EXPECT_EQ(merged.input.watchdog_log, wpath);
  EXPECT_EQ(merged.input.watchdog_duplicates, 1u);  // the report the kernel log kept
  EXPECT_EQ(merged.input.watchdog_lines, 10u);      // 8 reports, the kill, the last report; no note
  ASSERT_EQ(merged.input.suppressed.size(), 1u);
  ASSERT_EQ(merged.memalloc.series.size(), 10u);
  for (std::size_t i = 1; i < merged.memalloc.series.size(); ++i)
    EXPECT_LT(*merged.memalloc.series[i - 1].at.ts, *merged.memalloc.series[i].at.ts);
  ASSERT_EQ(merged.watchdog_actions.size(), 1u);
  EXPECT_EQ(merged.watchdog_actions[0].action, "kill");
  EXPECT_DOUBLE_EQ(*merged.watchdog_actions[0].at.ts, 108.5);
  // The merged verdict sees the stall end with the watchdog's kill, as the
  // runner's outcome does; the kernel log alone saw one report.
  ASSERT_FALSE(merged.findings.empty());
  bool ended_by_kill = false;
  for (const Finding& f : merged.findings)
    for (const auto& [k, v] : f.details)
      if (k == "ended_by" && std::get<std::string>(v) == "watchdog_kill") ended_by_kill = true;
  EXPECT_TRUE(ended_by_kill);
}

TEST(WatchdogMerge, BadInputsSayWhy) {
  TempDir t;
  const std::string klog = t.write("kernel.log", "[ 1.000000] hello\n");
  const std::string empty = t.write("empty.jsonl", "not json\n");
  EXPECT_THROW(analyze_with_watchdog_log(klog, empty), std::runtime_error);
  EXPECT_THROW(analyze_with_watchdog_log(klog, (t.dir / "missing").string()), std::runtime_error);
  EXPECT_THROW(analyze_with_watchdog_log((t.dir / "missing").string(), empty), std::runtime_error);
}
