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

TEST(WatchdogStall, TheWatchdogsOwnFindingOnTheRunsClock) {
  // oomlab-analyze's findings of a demo run (log clock: CLOCK_MONOTONIC s);
  // the workload started at mono 29445830 ms.
  oomlab::formats::VerdictDoc v;
  oomlab::formats::VerdictStall kernel{"kernel", 29440.0, 29441.0, 1.0, "blocked_wait", "reclaim", "", 1, "recovered",
                                       0, "", "", std::nullopt};
  oomlab::formats::VerdictStall early{"oomlab-watchdog", 29446.0, 29446.5, 0.5, "blocked_wait", "mmap_lock", "", 1,
                                      "recovered", 0, "", "", std::nullopt};
  oomlab::formats::VerdictStall demo{"oomlab-watchdog", 29446.34, 29455.833, 9.493, "blocked_wait", "mmap_lock",
                                     "up to 3 task(s) blocked on mmap_lock", 3, "watchdog_kill", 26950, "slow-fuse",
                                     "escalation", 29455.859};
  v.findings = {{"allocation_stall", "k", kernel}, {"allocation_stall", "e", early}, {"allocation_stall", "d", demo},
                {"oom_resolved", "r", std::nullopt}};
  WatchdogSection w;
  w.t0_mono_ms = 29445830;
  Outcome o;
  o.stall = Stall{};
  o.stall->start_ms = 510, o.stall->end_ms = 10100;
  watchdog_stall(w, o, v);
  ASSERT_TRUE(w.stall);  // the one overlapping the outcome's stall, not the kernel's or the short early one
  EXPECT_EQ(w.stall->start_ms, 510);
  EXPECT_EQ(w.stall->end_ms, 10003);
  EXPECT_EQ(w.stall->length_ms, 9493);
  EXPECT_FALSE(w.stall->ongoing);
  EXPECT_EQ(w.stall->wait, "mmap_lock");
  ASSERT_TRUE(w.stall_ended_by);
  EXPECT_EQ(w.stall_ended_by->by, "watchdog");
  EXPECT_EQ(w.stall_ended_by->comm, "slow-fuse");
  EXPECT_EQ(w.stall_ended_by->pid, 26950);
  EXPECT_EQ(w.stall_ended_by->t_ms, 10029);
  // No outcome stall: the longest; a stall its reports did not see end is ongoing.
  v.findings = {{"allocation_stall", "e", early}, {"silent_hang", "k", kernel}};
  v.findings[0].stall->ended_by = "end_of_log";
  watchdog_stall(w, Outcome{}, v);
  ASSERT_TRUE(w.stall);
  EXPECT_EQ(w.stall->length_ms, 500);
  EXPECT_TRUE(w.stall->ongoing);
  EXPECT_FALSE(w.stall_ended_by);
  // No finding of the watchdog's: none.
  v.findings = {{"silent_hang", "k", kernel}};
  watchdog_stall(w, Outcome{}, v);
  EXPECT_FALSE(w.stall);
}
