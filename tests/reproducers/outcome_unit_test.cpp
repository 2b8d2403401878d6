#include "oomlab/repro/outcome.hpp"

#include <gtest/gtest.h>

using namespace oomlab::repro;
using namespace std::chrono_literals;

namespace {

// A timeline at 100 ms steps; `stalled(t)` says whether tasks were stalled
// on memory for 80% of the interval ending at t (PSI some total +80 ms).
// With the 1 s window and the 25% share, a stall is seen from its 4th
// sample on and lasts until 3 or fewer stalled samples remain in the window.
template <class F>
std::vector<Sample> timeline(int ms, F stalled, std::uint64_t usage = 200u << 20) {
  std::vector<Sample> out;
  std::uint64_t total = 0;
  for (int t = 100; t <= ms; t += 100) {
    Sample s;
    s.t_ms = t;
    s.usage_bytes = usage;
    s.limit_bytes = 256u << 20;
    if (stalled(t)) total += 80'000;
    s.psi = oomlab::cgroups::Pressure{};
    s.psi->some_total_us = total;
    out.push_back(s);
  }
  return out;
}

}  // namespace

TEST(Outcome, NoStallNoKillIsNoOom) {
  std::vector<OomKill> kills;
  auto o = classify(timeline(3000, [](int) { return false; }), kills, 1s);
  EXPECT_EQ(o.cls, OutcomeClass::no_oom);
  EXPECT_TRUE(o.stalls.empty());
  EXPECT_EQ(exit_code_for(o.cls), exit_code::no_oom);
}

TEST(Outcome, StallUntilTheEndIsALivelockEvenWithKills) {
  auto samples = timeline(5000, [](int t) { return t >= 2000; });
  std::vector<OomKill> kills{{2500, 42, "hog", 1000, "kmsg", std::nullopt, std::nullopt}};
  auto o = classify(samples, kills, 2s);
  EXPECT_EQ(o.cls, OutcomeClass::livelock);
  ASSERT_EQ(o.stalls.size(), 1u);
  EXPECT_TRUE(o.stalls[0].ongoing);
  EXPECT_EQ(o.stalls[0].start_ms, 2200);
  EXPECT_EQ(o.stalls[0].end_ms, 5000);
  EXPECT_NE(o.reason.find("did not resolve it"), std::string::npos) << o.reason;
  EXPECT_EQ(exit_code_for(o.cls), exit_code::livelock);
}

TEST(Outcome, ShortReliefDoesNotSplitAStall) {
  auto samples = timeline(6000, [](int t) { return t >= 1000 && t <= 4000 && (t < 2000 || t > 2400); });
  auto stalls = find_stalls(samples);
  ASSERT_EQ(stalls.size(), 1u);
  EXPECT_EQ(stalls[0].start_ms, 1200);
  EXPECT_EQ(stalls[0].end_ms, 4600);
  EXPECT_FALSE(stalls[0].ongoing);
}

TEST(Outcome, LongReliefGivesTwoEpisodes) {
  auto samples = timeline(8000, [](int t) { return (t >= 1000 && t <= 3000) || (t >= 4000 && t <= 6000); });
  auto stalls = find_stalls(samples);
  ASSERT_EQ(stalls.size(), 2u);
  EXPECT_EQ(stalls[0].start_ms, 1200);
  EXPECT_EQ(stalls[0].end_ms, 3600);
  EXPECT_EQ(stalls[1].start_ms, 4200);
  EXPECT_EQ(stalls[1].end_ms, 6600);
  // A stricter share sees less of each.
  auto strict = find_stalls(samples, 0.5);
  ASSERT_EQ(strict.size(), 2u);
  EXPECT_GT(strict[0].start_ms, 1200);
}

TEST(Outcome, LongStallThatEndsIsStalledThenResolved) {
  std::vector<OomKill> kills;
  auto o = classify(timeline(6000, [](int t) { return t >= 1000 && t <= 4000; }), kills, 2s);
  EXPECT_EQ(o.cls, OutcomeClass::stalled_then_resolved);
  EXPECT_EQ(exit_code_for(o.cls), exit_code::stalled_then_resolved);
}

TEST(Outcome, ShortStallWithAKillIsOomResolvedWithLatencyFromSamples) {
  auto samples = timeline(3000, [](int t) { return t >= 1000 && t <= 1300; }, 250u << 20);
  for (auto& s : samples)
    if (s.t_ms >= 1500) s.usage_bytes = 10u << 20;  // the victim's 200 MiB are gone at 1500
  std::vector<OomKill> kills{{1250, 42, "hog", 200 * 1024, "kmsg", std::nullopt, std::nullopt}};
  auto o = classify(samples, kills, 2s);
  EXPECT_EQ(o.cls, OutcomeClass::oom_resolved);
  ASSERT_TRUE(kills[0].freed_ms);
  EXPECT_EQ(*kills[0].freed_ms, 250);
  EXPECT_EQ(o.kill_to_freed_ms, 250);
}

TEST(Outcome, PreciseFreedTimeWins) {
  auto samples = timeline(3000, [](int) { return false; });
  std::vector<OomKill> kills{{1250, 42, "hog", 1024, "kmsg", 1262, std::nullopt}};
  auto o = classify(samples, kills, 2s);
  EXPECT_EQ(o.kill_to_freed_ms, 12);
}

TEST(Outcome, KillThatFreesNothingHasNoLatency) {
  auto samples = timeline(3000, [](int) { return false; }, 255u << 20);
  std::vector<OomKill> kills{{1000, 42, "shmem", 100 * 1024, "kmsg", std::nullopt, std::nullopt}};
  auto o = classify(samples, kills, 2s);
  EXPECT_EQ(o.cls, OutcomeClass::oom_resolved);
  EXPECT_FALSE(kills[0].freed_ms);
  EXPECT_NE(o.reason.find("no kill freed memory"), std::string::npos) << o.reason;
}

TEST(Outcome, WithoutPsiDStateAtTheLimitCounts) {
  std::vector<Sample> v(2);
  Sample &a = v[0], &b = v[1];
  a.t_ms = 100, b.t_ms = 200;
  a.limit_bytes = b.limit_bytes = 100u << 20;
  a.usage_bytes = b.usage_bytes = 95u << 20;
  a.events.max = 10, b.events.max = 20;
  b.tasks.disk = 3;
  EXPECT_TRUE(sample_stalled(v, 1));
  EXPECT_FALSE(sample_stalled(v, 0));  // nothing to compare with
  b.tasks.disk = 0;
  EXPECT_FALSE(sample_stalled(v, 1));
  b.tasks.disk = 3;
  b.events.max = 10;  // limit not hit in the interval
  EXPECT_FALSE(sample_stalled(v, 1));
  b.usage_bytes = 50u << 20;
  b.events.max = 20;
  EXPECT_FALSE(sample_stalled(v, 1));
}

TEST(Outcome, ALateSampleDoesNotSplitAStall) {
  // The runner was starved for 2 s between two stalled samples.
  auto samples = timeline(3000, [](int t) { return t >= 500; });
  for (auto& s : samples)
    if (s.t_ms > 2000) s.t_ms += 2000, s.psi->some_total_us += 1'600'000;
  auto stalls = find_stalls(samples);
  ASSERT_EQ(stalls.size(), 1u);
  EXPECT_EQ(stalls[0].end_ms, 5000);
  EXPECT_TRUE(stalls[0].ongoing);
}

TEST(Outcome, WindowShareComesFromPsiTotals) {
  auto samples = timeline(3000, [](int t) { return t > 1000; });
  EXPECT_DOUBLE_EQ(psi_window_share(samples, 0), -1);  // no window yet
  EXPECT_NEAR(psi_window_share(samples, samples.size() - 1), 0.8, 1e-9);
  samples[5].psi.reset();
  EXPECT_DOUBLE_EQ(psi_window_share(samples, 5), -1);
}
