// Many runs -> one table per scenario (median, min, max, hit rate per guard),
// ratios of oomlab-watchdog to each peer, and an SVG chart.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "run_metrics.hpp"

namespace oomlab::peers {

struct Stat {
  int n = 0;  // runs with a value
  double median = 0, min = 0, max = 0;
};
// nullopt when no value.
std::optional<Stat> stat_of(std::vector<double> values);

struct Cell {
  std::string scenario, guard;
  int runs = 0, hits = 0, right = 0, blocked = 0, killed = 0;
  std::optional<Stat> stall_to_kill, kill_to_freed, no_progress, cpu_ms, rss_kb, longest_d;
};
// Cells in first-seen scenario order, then first-seen guard order.
std::vector<Cell> summarise(const std::vector<RunResult>& runs);

// Markdown: a table per scenario and a ratio table (oomlab / peer medians).
std::string markdown_tables(const std::vector<Cell>& cells);
// Grouped bars: median time without progress per scenario and guard, with
// min-max whiskers; hit rate printed above each bar.
std::string svg_chart(const std::vector<Cell>& cells, const std::string& title);

}  // namespace oomlab::peers
