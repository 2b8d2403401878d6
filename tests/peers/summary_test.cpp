#include "summary.hpp"

#include <gtest/gtest.h>

using namespace oomlab::peers;

namespace {

RunResult run(const std::string& scenario, const std::string& guard, std::int64_t no_progress,
              std::optional<std::int64_t> stall_to_kill, bool hit) {
  RunResult r;
  r.scenario = scenario, r.guard = guard, r.no_progress_ms = no_progress, r.stall_to_kill_ms = stall_to_kill;
  r.hit = hit, r.right_victim = hit;
  if (stall_to_kill) r.kills.push_back({1000, guard == "none" ? "kernel" : guard, 1, "x", hit, std::nullopt});
  r.cost.cpu_ms = guard == "nohang" ? 400 : 20;
  r.cost.peak_rss_kb = guard == "nohang" ? 20480 : 4096;
  return r;
}

TEST(Summary, MedianMinMax) {
  auto s = stat_of({5, 1, 3, 2});
  ASSERT_TRUE(s);
  EXPECT_EQ(s->n, 4);
  EXPECT_DOUBLE_EQ(s->median, 2.5);
  EXPECT_DOUBLE_EQ(s->min, 1);
  EXPECT_DOUBLE_EQ(s->max, 5);
  EXPECT_DOUBLE_EQ(stat_of({7, 1, 3})->median, 3);
  EXPECT_FALSE(stat_of({}));
}

TEST(Summary, CellsTablesRatiosAndChart) {
  std::vector<RunResult> runs{run("mmap-sem", "none", 9000, 8000, true),
                              run("mmap-sem", "oomlab-watchdog", 5000, 4000, true),
                              run("mmap-sem", "oomlab-watchdog", 7000, 6000, false),
                              run("mmap-sem", "nohang", 10000, 10000, true),
                              run("pipe-fill", "none", 20000, std::nullopt, false)};
  RunResult broken = run("pipe-fill", "nohang", 1, 1, true);
  broken.error = "oomlab-repro gave no report";
  runs.push_back(broken);
  auto cells = summarise(runs);
  ASSERT_EQ(cells.size(), 4u) << "a failed run does not make a cell";
  EXPECT_EQ(cells[1].guard, "oomlab-watchdog");
  EXPECT_EQ(cells[1].runs, 2);
  EXPECT_EQ(cells[1].hits, 1);
  EXPECT_DOUBLE_EQ(cells[1].stall_to_kill->median, 5000);
  EXPECT_FALSE(cells[0].cpu_ms) << "no guard, no guard cost";
  std::string md = markdown_tables(cells);
  EXPECT_NE(md.find("#### mmap-sem"), std::string::npos);
  EXPECT_NE(md.find("#### pipe-fill"), std::string::npos);
  EXPECT_NE(md.find("| oomlab-watchdog | 2 | 1/2 | 1/2 | 5.0 (4.0-6.0) |"), std::string::npos) << md;
  // oomlab median 5 s vs nohang 10 s to kill: 0.50; CPU 20 vs 400 ms: 0.05.
  EXPECT_NE(md.find("| mmap-sem | nohang | 0.50 | - | 0.60 | 0.05 | 0.20 |"), std::string::npos) << md;
  EXPECT_NE(md.find("| mmap-sem | none | 0.62 |"), std::string::npos) << md;
  std::string svg = svg_chart(cells, "t");
  EXPECT_EQ(svg.rfind("<svg", 0), 0u);
  EXPECT_NE(svg.find("</svg>"), std::string::npos);
  EXPECT_NE(svg.find("mmap-sem / nohang: median 10.0 s"), std::string::npos);
}

}  // namespace
