// One story per run: the analyzer's stall verdict on a real demo run
// (scripts/demo.sh: mmap-lock-hold 128M under oomlab-watchdog) against that
// run's own report.json outcome. Fixture files: the run's kernel.log and
// watchdog.jsonl as oomlab-repro wrote them, and its report.json cut down to
// the outcome and the watchdog's kills (demo_mmap_lock_hold.*).
#include <cmath>
#include <fstream>
#include <gtest/gtest.h>
#include <optional>
#include <sstream>

#include "helpers.hpp"
#include "oomlab/formats/report.hpp"
#include "oomlab/formats/watchdog_log.hpp"

namespace oomlab::analyzer::test {
namespace {

template <class T>
T detail_or(const Finding& f, const std::string& key, T fallback) {
  for (const auto& [k, v] : f.details)
    if (k == key) return std::get<T>(v);
  return fallback;
}

struct DemoRun {
  std::optional<formats::Report> report;  // through report.json's codec; nullopt: why says why
  std::string why;
  std::int64_t t0_ms = 0;            // the run's clock on the kernel log's (CLOCK_MONOTONIC)
  std::int64_t first_sight_ms = -1;  // when the watchdog first saw a task blocked (report time - delay)
  std::int64_t period_ms = 250;      // the watchdog's --period in that run
};

DemoRun load_demo() {
  DemoRun d;
  std::ifstream rin(fixture_path("demo_mmap_lock_hold.report.json"));
  std::ostringstream text;
  text << rin.rdbuf();
  d.report = formats::decode_report(text.str(), &d.why);
  if (!d.report || !d.report->watchdog || d.report->watchdog->kills.empty()) {
    if (d.report) d.why = "no watchdog kill in report.json";
    d.report.reset();
    return d;
  }
  // The run's clock: a watchdog kill is in both files, at mono_ms in its
  // JSON log and at t_ms (ms since the workload started) in report.json.
  const formats::ReportWatchdogKill& kill = d.report->watchdog->kills.at(0);
  std::ifstream win(fixture_path("demo_mmap_lock_hold.watchdog.jsonl"));
  bool clock = false;
  for (std::string line; std::getline(win, line);) {
    auto r = formats::decode_watchdog_record(line);
    if (!r) continue;
    if (auto* k = std::get_if<formats::WdKill>(&r->payload); k && k->pid == kill.pid && !clock) {
      d.t0_ms = r->mono_ms - kill.t_ms;
      clock = true;
    }
    if (auto* t = std::get_if<formats::WdTask>(&r->payload); t && d.first_sight_ms < 0)
      d.first_sight_ms = r->mono_ms - t->delay_ms;
  }
  EXPECT_TRUE(clock) << "the kill of report.json is not in watchdog.jsonl";
  return d;
}

const Finding* stall_finding(const Report& r) {
  for (const Finding& f : r.findings)
    if (f.klass == VerdictClass::allocation_stall || f.klass == VerdictClass::silent_hang) return &f;
  return nullptr;
}

TEST(StallStory, DemoVerdictTellsTheOutcomesStory) {
  const DemoRun d = load_demo();
  ASSERT_TRUE(d.report) << d.why;
  const formats::ReportOutcome& outcome = d.report->outcome;
  ASSERT_EQ(outcome.cls, "rescued");
  ASSERT_TRUE(outcome.stall);
  ASSERT_TRUE(outcome.ended_by);
  const formats::ReportStall& stall = *outcome.stall;
  const formats::ReportEndedBy& ender = *outcome.ended_by;

  Report r = analyze_with_watchdog_log(fixture_path("demo_mmap_lock_hold.kernel.log"),
                                       fixture_path("demo_mmap_lock_hold.watchdog.jsonl"));
  const Finding* f = stall_finding(r);
  ASSERT_NE(f, nullptr) << r.title;
  SCOPED_TRACE(f->title);
  // One stall: the watchdog's first kill (anon-ballast, +5.7 s) did not end
  // it - the readers stayed blocked until slow-fuse was killed.
  EXPECT_EQ(findings_of(r, VerdictClass::allocation_stall).size() + findings_of(r, VerdictClass::silent_hang).size(), 1u);
  // What it was: the same cause, wait and number of blocked tasks.
  EXPECT_EQ(detail_or<std::string>(*f, "cause", ""), stall.cause);
  EXPECT_EQ(detail_or<std::string>(*f, "wait", ""), stall.wait);
  EXPECT_EQ(detail_or<std::int64_t>(*f, "max_blocked", -1), stall.max_blocked);
  // What ended it: the same kill.
  EXPECT_EQ(detail_or<std::string>(*f, "ended_by", ""), "watchdog_kill");
  EXPECT_EQ(detail_or<std::int64_t>(*f, "ended_by_pid", -1), ender.pid);
  EXPECT_EQ(detail_or<std::string>(*f, "ended_by_comm", ""), ender.comm);
  EXPECT_EQ(detail_or<std::string>(*f, "ended_by_reason", ""), ender.reason);
  EXPECT_NE(f->title.find("ended by oomlab-watchdog's kill of slow-fuse("), std::string::npos);
  const double ended_ms = detail_or<double>(*f, "ended_by_ts", 0) * 1000 - static_cast<double>(d.t0_ms);
  EXPECT_LE(std::abs(ended_ms - static_cast<double>(ender.t_ms)), 1.0);  // the same record, ms rounding
  // When it ended: within one sampling period of the runner's last stalled sample.
  const double end_ms = detail_or<double>(*f, "end_ts", 0) * 1000 - static_cast<double>(d.t0_ms);
  EXPECT_LE(std::abs(end_ms - static_cast<double>(stall.end_ms)), static_cast<double>(d.period_ms));
  // When it started: when the watchdog first saw the readers blocked (its
  // first report's delay= dates it back). That is what the log can tell:
  // in this run the watchdog's first scan, started by a PSI event, came
  // 1.6 s after the runner's 100 ms samples saw the readers block, so the
  // verdict's start is never before the runner's and lags it by exactly the
  // watchdog's first-sight delay.
  const double start_ms = detail_or<double>(*f, "start_ts", 0) * 1000 - static_cast<double>(d.t0_ms);
  EXPECT_NEAR(start_ms, static_cast<double>(d.first_sight_ms - d.t0_ms), 1.0);
  EXPECT_GE(start_ms, static_cast<double>(stall.start_ms) - static_cast<double>(d.period_ms));
  const double length_ms = detail_or<double>(*f, "duration_s", 0) * 1000;
  EXPECT_NEAR(length_ms, end_ms - start_ms, 1.0);
}

TEST(StallStory, KernelLogAloneSaysItsEndIsUnknown) {
  // The kernel log kept 17 of the watchdog's 133 lines (printk ratelimit):
  // the verdict still names the mmap_lock stall, and does not invent an end.
  Report r = analyze_file(fixture_path("demo_mmap_lock_hold.kernel.log"));
  const Finding* f = stall_finding(r);
  ASSERT_NE(f, nullptr) << r.title;
  EXPECT_EQ(detail_or<std::string>(*f, "wait", ""), "mmap_lock");
  EXPECT_EQ(detail_or<std::string>(*f, "ended_by", ""), "unknown");
  EXPECT_NE(f->title.find("end unknown: the log lost lines"), std::string::npos) << f->title;
}

}  // namespace
}  // namespace oomlab::analyzer::test
