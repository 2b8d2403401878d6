#include "oomlab/repro/report.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

using namespace oomlab::repro;
using namespace std::chrono_literals;

namespace {

RunRecord record() {
  RunRecord r;
  r.config.scenario = "test-hog";
  r.config.duration = 2s;
  r.config.options["total"] = "64M";
  r.cgroup_version = 1;
  r.cgroup_layout = "hybrid";
  std::uint64_t stalled_us = 0;
  for (int t = 100; t <= 2000; t += 100) {
    Sample s;
    if (t > 1000) stalled_us += 70'000;
    s.psi = oomlab::facts::PsiReading{};
    s.psi->some_total_us = stalled_us;
    s.t_ms = t;
    s.usage_bytes = static_cast<std::uint64_t>(t) << 14;
    s.limit_bytes = 32u << 20;
    s.psi_some_ratio = t > 1000 ? 0.7 : 0.0;
    s.tasks.disk = t > 1000 ? 2 : 0;
    s.tasks.top_wait = {{"rwsem_down_read_slowpath", 2}};
    r.samples.push_back(s);
  }
  OomKill k;
  k.t_ms = 1500, k.pid = 42, k.comm = "<hog&>", k.anon_rss_kb = 1000, k.source = "kmsg";
  k.freed_at_ms = 1512, k.freed_ms = 12;
  r.kills.push_back(k);
  r.kernel_log.push_back({1500, "[  1.5] Killed process 42 (<hog&>)"});
  r.outcome = classify(r.samples, r.kills, 500ms);
  r.exit_code = exit_code_for(r.outcome.cls);
  return r;
}

}  // namespace

TEST(Report, JsonHasTheContractFields) {
  RunRecord r = record();
  r.verdict = {"oom_resolved", "OOM kill", "kernel log", ""};
  // Through the one codec (formats/report.hpp), as every reader sees it.
  std::string why;
  auto j = oomlab::formats::decode_report(oomlab::formats::encode_report(report_document(r)), &why);
  ASSERT_TRUE(j) << why;
  EXPECT_EQ(j->schema, "oomlab.report/2");
  EXPECT_EQ(j->scenario, "test-hog");
  ASSERT_EQ(j->params.options.size(), 1u);
  EXPECT_EQ(j->params.options[0], std::make_pair(std::string("total"), std::string("64M")));
  ASSERT_EQ(j->timeline.size(), 20u);
  EXPECT_EQ(j->timeline[15].tasks.disk, 2);
  ASSERT_FALSE(j->timeline[15].tasks.top_wait.empty());
  EXPECT_EQ(j->timeline[15].tasks.top_wait[0].first, "rwsem_down_read_slowpath");
  ASSERT_EQ(j->oom_kills.size(), 1u);
  EXPECT_EQ(j->oom_kills[0].freed_ms, 12);
  EXPECT_EQ(j->outcome.cls, std::string(outcome_name(r.outcome.cls)));
  EXPECT_EQ(j->cgroup.layout, "hybrid");
  // The run's one verdict goes in; the analyzer's document is write_reports' to add.
  EXPECT_EQ(j->verdict.cls, "oom_resolved");
  EXPECT_EQ(j->verdict.from, "kernel log");
  EXPECT_EQ(j->verdict.note, "");
  EXPECT_FALSE(j->log_verdict);
  EXPECT_EQ(j->kernel_log.lines.size(), 1u);
}

TEST(Report, HtmlIsSelfContainedWithTheChartAndEscapesText) {
  RunRecord r = record();
  std::string html = render_report_html(r, std::nullopt);
  EXPECT_NE(html.find("<svg id=\"timeline\""), std::string::npos);
  EXPECT_NE(html.find("class=\"usage\""), std::string::npos);
  EXPECT_NE(html.find("class=\"psi-some\""), std::string::npos);
  EXPECT_NE(html.find("class=\"dstate\""), std::string::npos);
  EXPECT_NE(html.find("class=\"kill\""), std::string::npos);
  EXPECT_NE(html.find("class=\"stall\""), std::string::npos);
  EXPECT_EQ(html.find("<hog&>"), std::string::npos) << "comm must be escaped";
  EXPECT_NE(html.find("&lt;hog&amp;&gt;"), std::string::npos);
  // Nothing fetched from elsewhere.
  EXPECT_EQ(html.find("src=\"http"), std::string::npos);
  EXPECT_EQ(html.find("href=\"http"), std::string::npos);
}
