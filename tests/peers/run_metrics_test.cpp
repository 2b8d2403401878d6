#include "run_metrics.hpp"

#include <gtest/gtest.h>

using namespace oomlab::peers;
using oomlab::formats::Report;
using oomlab::formats::ReportOomKill;
using oomlab::formats::ReportPsi;
using oomlab::formats::ReportSample;
using Timeline = std::vector<ReportSample>;

namespace {

// A synthetic oomlab-repro report: 100 ms samples, usage and PSI per sample.
ReportSample sample(std::int64_t t, std::uint64_t usage_mib, double some, int d = 0) {
  ReportSample s;
  s.t_ms = t, s.usage_bytes = usage_mib << 20, s.limit_bytes = 256ull << 20;
  s.psi = ReportPsi{};
  s.psi->some_ratio = some;
  s.tasks.running = 1, s.tasks.sleeping = 1, s.tasks.disk = d;
  return s;
}

// The runner writes the PSI totals beside each interval's ratio; the bench
// reads the totals (a share over the window, facts::psi_series_share).
// Sample k's ratio covers the interval since sample k-1: the first one has
// no interval, as in a real run.
Timeline with_totals(Timeline timeline) {
  std::uint64_t total = 0;
  for (std::size_t k = 0; k < timeline.size(); ++k) {
    auto& psi = timeline[k].psi;
    if (!psi) continue;
    if (k > 0) {
      const auto dt_us = (timeline[k].t_ms - timeline[k - 1].t_ms) * 1000;
      total += static_cast<std::uint64_t>(psi->some_ratio.value_or(0) * static_cast<double>(dt_us));
    }
    psi->some_total_us = total;
  }
  return timeline;
}

ReportOomKill kill(std::int64_t t, int pid, const char* comm, std::optional<std::int64_t> freed_ms) {
  ReportOomKill k;
  k.t_ms = t, k.pid = pid, k.comm = comm, k.freed_ms = freed_ms;
  return k;
}

Report report(const std::string& scenario, Timeline timeline, std::vector<ReportOomKill> kills = {}) {
  Report r;
  r.scenario = scenario;
  r.started_at = "2026-11-23T10:00:00.000Z";
  r.outcome.cls = "livelock";
  r.timeline = with_totals(std::move(timeline));
  r.oom_kills = std::move(kills);
  return r;
}

TEST(RunMetrics, Iso8601) {
  EXPECT_EQ(parse_iso8601_ms("1970-01-01T00:00:01.250Z"), 1250);
  EXPECT_FALSE(parse_iso8601_ms("yesterday"));
}

TEST(RunMetrics, PsiShareOverTheTrailingSecond) {
  Timeline tl;
  for (int i = 0; i < 30; ++i) tl.push_back(sample(i * 100, 100, i >= 10 && i < 20 ? 0.5 : 0.0, i >= 25 ? 3 : 0));
  auto st = stalled_samples(with_totals(tl));
  EXPECT_FALSE(st[10]) << "10 samples of 1 s: one at 50% is 5%";
  EXPECT_FALSE(st[13]);
  EXPECT_TRUE(st[14]) << "5 of the last 10 at 50% = 25%";
  EXPECT_TRUE(st[24]) << "samples 15..24: still 5 at 50%";
  EXPECT_FALSE(st[25]);
  EXPECT_FALSE(st[29]) << "D-state tasks do not count when PSI says no stall";
}

TEST(RunMetrics, DStatePairsWithoutPsi) {
  Timeline tl;
  for (int i = 0; i < 6; ++i) {
    tl.push_back(sample(i * 100, 100, 0, i == 1 || i == 3 || i == 4 ? 1 : 0));
    tl.back().psi.reset();
  }
  auto st = stalled_samples(with_totals(tl));
  EXPECT_FALSE(st[1]) << "a lone D sample is not a stall";
  EXPECT_FALSE(st[3]);
  EXPECT_TRUE(st[4]) << "two in a row are";
  EXPECT_FALSE(st[5]);
}

TEST(RunMetrics, GuardKillRightVictimFreedFromTheTimeline) {
  Timeline tl;
  // Stalled from 1.0 s; the guard kills at 3.05 s; usage drops at 3.3 s.
  for (int i = 0; i < 60; ++i) {
    bool before_free = i < 33;
    tl.push_back(sample(i * 100, before_free ? 250 : 60, i >= 5 && before_free ? 1.0 : 0.0));
  }
  const std::int64_t start = 1795428000000;  // 2026-11-23T10:00:00Z, the report's started_at
  ASSERT_EQ(parse_iso8601_ms("2026-11-23T10:00:00.000Z"), start);
  auto r = measure_run(report("mmap-sem", tl), GuardKind::oomlab, {{start + 3050, 77, "zero-hog", false}}, start + 200,
                       {12.5, 4096, 0, ""});
  ASSERT_TRUE(r.first_stall_ms);
  EXPECT_EQ(*r.first_stall_ms, 600);  // 2 of the 7 samples so far (0..0.6 s) at 100%
  ASSERT_TRUE(r.first_kill_ms);
  EXPECT_EQ(*r.first_kill_ms, 3050);
  EXPECT_EQ(*r.stall_to_kill_ms, 2450);
  ASSERT_TRUE(r.kill_to_freed_ms);
  EXPECT_EQ(*r.kill_to_freed_ms, 250);
  EXPECT_EQ(*r.guard_ready_ms, 200);
  EXPECT_TRUE(r.right_victim);
  EXPECT_FALSE(r.stalled_at_end);
  EXPECT_TRUE(r.hit);
  EXPECT_EQ(r.kills[0].by, "oomlab-watchdog");
  EXPECT_EQ(r.no_progress_ms, 3400) << "0.6 s .. 3.9 s: the share decays for 0.7 s after the drop";
}

TEST(RunMetrics, KernelKillOfTheWrongTaskAndAStallToTheEnd) {
  Timeline tl;
  for (int i = 0; i < 50; ++i) tl.push_back(sample(i * 100, 255, i >= 10 ? 0.9 : 0.0));
  std::vector<ReportOomKill> kills{kill(1500, 5, "shmem-victim", std::nullopt)};
  auto r = measure_run(report("shmem-fill", tl, kills), GuardKind::none, {}, std::nullopt, {});
  EXPECT_EQ(r.kills.size(), 1u);
  EXPECT_EQ(r.kills[0].by, "kernel");
  EXPECT_FALSE(r.right_victim);
  EXPECT_TRUE(r.stalled_at_end);
  EXPECT_FALSE(r.hit);
  EXPECT_FALSE(r.kill_to_freed_ms);
  EXPECT_FALSE(r.guard_ready_ms);
}

TEST(RunMetrics, KillBeforeAnyStallHasNoReactionTime) {
  Timeline tl;
  for (int i = 0; i < 20; ++i) tl.push_back(sample(i * 100, 100, i >= 15 ? 1.0 : 0.0));
  std::vector<ReportOomKill> kills{kill(500, 5, "zero-hog", 12)};
  auto r = measure_run(report("mmap-sem", tl, kills), GuardKind::none, {}, std::nullopt, {});
  EXPECT_EQ(r.first_kill_ms, 500);
  EXPECT_EQ(r.kill_to_freed_ms, 12);
  EXPECT_TRUE(r.first_stall_ms);
  EXPECT_FALSE(r.stall_to_kill_ms);
}

TEST(RunMetrics, NoKillAtAll) {
  Timeline tl;
  for (int i = 0; i < 20; ++i) tl.push_back(sample(i * 100, 200, 0.8, 3));
  auto r = measure_run(report("page-cache-thrash", tl), GuardKind::nohang, {}, std::nullopt, {});
  EXPECT_FALSE(r.first_kill_ms);
  EXPECT_FALSE(r.stall_to_kill_ms);
  EXPECT_FALSE(r.hit);
  EXPECT_EQ(r.no_progress_ms, 1900);
}

TEST(RunMetrics, BlockedGuardAndJsonRoundTrip) {
  Timeline tl{sample(0, 10, 0), sample(100, 10, 0)};
  auto r = measure_run(report("mmap-lock-hold", tl), GuardKind::nohang, {}, std::nullopt,
                       {300, 20000, 4200, "proc_pid_cmdline_read"});
  EXPECT_TRUE(r.guard_blocked);
  r.run = 3;
  oomlab::formats::PeersRuns doc;
  doc.runs.push_back(r);
  std::string why;
  auto decoded = oomlab::formats::decode_peers_runs(oomlab::formats::encode_peers_runs(doc), &why);
  ASSERT_TRUE(decoded) << why;
  ASSERT_EQ(decoded->runs.size(), 1u);
  RunResult back = decoded->runs[0];
  EXPECT_EQ(back.run, 3);
  EXPECT_EQ(back.guard, "nohang");
  EXPECT_TRUE(back.guard_blocked);
  EXPECT_EQ(back.cost.d_wchan, "proc_pid_cmdline_read");
  EXPECT_EQ(back.cost.peak_rss_kb, 20000u);
  doc.runs[0] = back;
  EXPECT_EQ(oomlab::formats::encode_peers_runs(doc), oomlab::formats::encode_peers_runs(*decoded));
}

TEST(RunMetrics, RightVictimsKnownForEveryStallingScenario) {
  for (const char* s : {"mmap-sem", "mmap-lock-hold", "page-cache-thrash", "memory-high", "shmem-fill", "pipe-fill",
                        "dying-competition"})
    EXPECT_FALSE(right_victims(s).empty()) << s;
  EXPECT_TRUE(right_victims("nonsense").empty());
}

}  // namespace

// mmap-lock-hold under any guard: no memory PSI, cmdline readers blocked on
// the mmap lock for seconds. The shared stall model counts that time.
TEST(RunMetrics, LockWaitersWithoutPsiCountAsNoProgress) {
  Timeline tl;
  for (int i = 0; i < 50; ++i) {
    ReportSample s = sample(i * 100, 100, 0.0, i >= 10 && i < 40 ? 3 : 0);
    if (i >= 10 && i < 40) s.tasks.blocked = {{"mmap_lock", 3}};
    tl.push_back(s);
  }
  RunResult r = measure_run(report("mmap-lock-hold", tl), GuardKind::none, {}, std::nullopt, {});
  ASSERT_TRUE(r.first_stall_ms);
  EXPECT_EQ(*r.first_stall_ms, 2000);  // blocked since 1.0 s, a stall once blocked for 1 s
  EXPECT_EQ(r.no_progress_ms, 2000);   // 2.0 s .. 3.9 s
  EXPECT_FALSE(r.stalled_at_end);
}
