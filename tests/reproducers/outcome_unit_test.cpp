#include "oomlab/repro/outcome.hpp"

#include <gtest/gtest.h>

using namespace oomlab::repro;
using namespace std::chrono_literals;

namespace {

// A timeline at 100 ms steps; `stalled(t)` says whether PSI some was 80% or 0%.
template <class F>
std::vector<Sample> timeline(int ms, F stalled, std::uint64_t usage = 200u << 20) {
  std::vector<Sample> out;
  for (int t = 100; t <= ms; t += 100) {
    Sample s;
    s.t_ms = t;
    s.usage_bytes = usage;
    s.limit_bytes = 256u << 20;
    s.psi_some_ratio = stalled(t) ? 0.8 : 0.0;
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
  EXPECT_EQ(o.stalls[0].start_ms, 1900);
  EXPECT_EQ(o.stalls[0].end_ms, 5000);
  EXPECT_NE(o.reason.find("did not resolve it"), std::string::npos) << o.reason;
  EXPECT_EQ(exit_code_for(o.cls), exit_code::livelock);
}

TEST(Outcome, ShortGapsDoNotSplitAStall) {
  auto samples = timeline(5000, [](int t) { return t >= 1000 && t != 2000 && t != 2100 && t <= 4000; });
  auto stalls = find_stalls(samples);
  ASSERT_EQ(stalls.size(), 1u);
  EXPECT_EQ(stalls[0].start_ms, 900);
  EXPECT_EQ(stalls[0].end_ms, 4000);
  EXPECT_FALSE(stalls[0].ongoing);
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
  Sample a, b;
  a.t_ms = 100, b.t_ms = 200;
  a.limit_bytes = b.limit_bytes = 100u << 20;
  a.usage_bytes = b.usage_bytes = 95u << 20;
  a.events.max = 10, b.events.max = 20;
  b.tasks.disk = 3;
  EXPECT_TRUE(sample_stalled(b, &a));
  b.tasks.disk = 0;
  EXPECT_FALSE(sample_stalled(b, &a));
  b.tasks.disk = 3;
  b.events.max = 10;  // limit not hit in the interval
  EXPECT_FALSE(sample_stalled(b, &a));
  b.usage_bytes = 50u << 20;
  b.events.max = 20;
  EXPECT_FALSE(sample_stalled(b, &a));
}
