// The Prometheus text of Metrics: accepted by promtool (the reference
// linter), one HELP and TYPE per family, and the families the alerting
// rules in watchdog/prometheus/ use are there.
#include <gtest/gtest.h>
#include <map>
#include <regex>
#include <set>
#include <sstream>

#include "oomlab/watchdog/metrics.hpp"
#include "promtool.hpp"

using oomlab::watchdog::Metrics;

namespace {

Metrics busy_metrics() {
  Metrics m;
  m.scans = 42;
  m.scan_overruns = 2;
  m.last_scan_seconds = 0.012;
  m.scan_seconds_sum = 0.75;
  m.tasks = 2100;
  m.stalled = 3;
  m.victims = 1;
  m.longest_stall_seconds = 12.5;
  m.oom_count = 4;
  m.kills["stall_timeout"] = 2;
  m.kills["pressure"] = 1;
  m.observe_freed(0.08);
  m.observe_freed(3.0);
  return m;
}

TEST(Metrics, PromtoolAcceptsTheText) {
  std::string tool = wdtest::promtool();
  if (tool.empty()) GTEST_SKIP() << "no promtool on PATH (apt-get install prometheus, or scripts/setup-deps.sh)";
  for (const Metrics& m : {Metrics{}, busy_metrics()}) {
    auto r = wdtest::promtool_check_metrics(tool, m.prometheus());
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err << "\n--- text:\n" << m.prometheus();
    EXPECT_EQ(r.out + r.err, "") << "promtool lint findings";
  }
}

TEST(Metrics, EverySampleBelongsToOneTypedFamily) {
  std::string text = busy_metrics().prometheus();
  std::map<std::string, std::string> types;  // family -> type
  std::set<std::string> helps;
  std::istringstream in(text);
  std::regex type_re(R"(# TYPE (\w+) (counter|gauge|histogram|summary))"), help_re(R"(# HELP (\w+) .+)");
  std::regex sample_re(R"((\w+?)(_bucket|_sum|_count)?(\{[^}]*\})? [-+0-9.eInf]+)");
  for (std::string line; std::getline(in, line);) {
    std::smatch m;
    if (std::regex_match(line, m, type_re)) {
      EXPECT_TRUE(types.emplace(m[1], m[2]).second) << "second TYPE for " << m[1];
    } else if (std::regex_match(line, m, help_re)) {
      EXPECT_TRUE(helps.insert(m[1]).second) << "second HELP for " << m[1];
    } else {
      ASSERT_TRUE(std::regex_match(line, m, sample_re)) << "not a sample line: " << line;
      std::string name = line.substr(0, line.find_first_of("{ "));
      // A sample belongs to its own family, or (_bucket/_sum/_count) to a
      // histogram or summary of the base name.
      if (types.count(name)) continue;
      std::string base = m[1].str();
      ASSERT_TRUE(types.count(base)) << "no TYPE for the family of " << line;
      EXPECT_TRUE(types[base] == "histogram" || types[base] == "summary") << line;
    }
  }
  EXPECT_EQ(helps.size(), types.size());
  // What watchdog/prometheus/oomlab-watchdog.rules.yml reads.
  EXPECT_EQ(types["oomlab_watchdog_stalled_tasks"], "gauge");
  EXPECT_EQ(types["oomlab_watchdog_longest_stall_seconds"], "gauge");
  EXPECT_EQ(types["oomlab_watchdog_kills_total"], "counter");
  EXPECT_EQ(types["oomlab_watchdog_scan_overruns_total"], "counter");
  EXPECT_EQ(types["oomlab_watchdog_scans_total"], "counter");
  EXPECT_EQ(types["oomlab_watchdog_scan_duration_seconds"], "summary");
  EXPECT_NE(text.find("oomlab_watchdog_scan_duration_seconds_count 42\n"), std::string::npos) << text;
  EXPECT_NE(text.find("oomlab_watchdog_kills_total{reason=\"pressure\"} 1\n"), std::string::npos) << text;
}

}  // namespace
