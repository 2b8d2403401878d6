#include "oomlab/repro/outcome.hpp"

#include <gtest/gtest.h>

using namespace oomlab::repro;
using namespace std::chrono_literals;

namespace {

OomKill a_kill(std::int64_t t_ms, pid_t pid, std::string comm, std::uint64_t anon_rss_kb,
               std::optional<std::int64_t> freed_at_ms) {
  OomKill k;
  k.t_ms = t_ms, k.pid = pid, k.comm = std::move(comm), k.anon_rss_kb = anon_rss_kb, k.source = "kmsg";
  k.freed_at_ms = freed_at_ms;
  return k;
}

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
    s.psi = oomlab::facts::PsiReading{};
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
  std::vector<OomKill> kills{a_kill(2500, 42, "hog", 1000, std::nullopt)};
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
  std::vector<OomKill> kills{a_kill(1250, 42, "hog", 200 * 1024, std::nullopt)};
  auto o = classify(samples, kills, 2s);
  EXPECT_EQ(o.cls, OutcomeClass::oom_resolved);
  ASSERT_TRUE(kills[0].freed_ms);
  EXPECT_EQ(*kills[0].freed_ms, 250);
  EXPECT_EQ(o.kill_to_freed_ms, 250);
}

TEST(Outcome, PreciseFreedTimeWins) {
  auto samples = timeline(3000, [](int) { return false; });
  std::vector<OomKill> kills{a_kill(1250, 42, "hog", 1024, 1262)};
  auto o = classify(samples, kills, 2s);
  EXPECT_EQ(o.kill_to_freed_ms, 12);
}

TEST(Outcome, KillThatFreesNothingIsIneffective) {
  auto samples = timeline(3000, [](int) { return false; }, 255u << 20);
  std::vector<OomKill> kills{a_kill(1000, 42, "shmem", 100 * 1024, std::nullopt)};
  auto o = classify(samples, kills, 2s);
  EXPECT_EQ(o.cls, OutcomeClass::oom_ineffective);
  EXPECT_EQ(exit_code_for(o.cls), exit_code::oom_ineffective);
  EXPECT_FALSE(kills[0].freed_ms);
  EXPECT_FALSE(o.kill_to_freed_ms);
  EXPECT_NE(o.reason.find("freed no substantial memory"), std::string::npos) << o.reason;
}

namespace {

// A group of 256 MiB held at `floor` (shmem, pipe buffers) by memory no kill
// frees; an application fills the rest, is OOM-killed every 300 ms at the
// limit (usage drops to the floor for 200 ms), restarts and refills.
std::vector<Sample> refilled_group(std::uint64_t floor, std::vector<OomKill>& kills) {
  auto samples = timeline(3000, [](int) { return false; }, 256u << 20);
  for (int kill_at = 350; kill_at < 3000; kill_at += 300) {
    kills.push_back(a_kill(kill_at, 42, "app", 6 * 1024, std::nullopt));
    for (auto& s : samples)
      if (s.t_ms > kill_at && s.t_ms <= kill_at + 200) s.usage_bytes = floor;
  }
  return samples;
}

constexpr std::uint64_t kLimit = 256u << 20;

}  // namespace

TEST(Outcome, ShmemFloorAt91PercentIsIneffectiveThoughEachVictimWasFreed) {
  std::vector<OomKill> kills;
  auto samples = refilled_group(kLimit * 91 / 100, kills);
  auto o = classify(samples, kills, 2s);
  EXPECT_EQ(o.cls, OutcomeClass::oom_ineffective) << o.reason;
  for (const OomKill& k : kills) {
    EXPECT_TRUE(k.freed_ms) << k.t_ms;  // the application's own 6 MiB came back...
    EXPECT_FALSE(k.relieved) << k.t_ms;  // ...but the group stayed full
    EXPECT_EQ(k.relief_bytes, kLimit - kLimit * 91 / 100);
  }
  EXPECT_FALSE(o.kill_to_freed_ms);
  EXPECT_NE(o.reason.find("9% of the limit; 20% needed"), std::string::npos) << o.reason;
}

TEST(Outcome, PipeFloorAt87PercentIsIneffective) {
  std::vector<OomKill> kills;
  auto o = classify(refilled_group(kLimit * 87 / 100, kills), kills, 2s);
  EXPECT_EQ(o.cls, OutcomeClass::oom_ineffective) << o.reason;
}

TEST(Outcome, ReliefThresholdIsTwentyPercentOfTheLimit) {
  std::vector<OomKill> at, below;
  auto o_at = classify(refilled_group(kLimit - kLimit / 5 - 1, at), at, 2s);
  auto o_below = classify(refilled_group(kLimit - kLimit / 5 + (1u << 20), below), below, 2s);
  EXPECT_EQ(o_at.cls, OutcomeClass::oom_resolved) << o_at.reason;
  EXPECT_EQ(o_below.cls, OutcomeClass::oom_ineffective) << o_below.reason;
  EXPECT_EQ(relief_threshold_bytes(at[0], kLimit), static_cast<std::uint64_t>(kLimit * kReliefShare));
}

TEST(Outcome, DropSeenOnlyByTheMillisecondPollingCounts) {
  // The samples never see the drop (refilled within one period); the
  // runner's polling after the kill saw usage at 40%.
  auto samples = timeline(3000, [](int) { return false; }, 256u << 20);
  std::vector<OomKill> kills{a_kill(1000, 42, "racer", 60 * 1024, 1030)};
  kills[0].low_usage_bytes = kLimit * 40 / 100;
  auto o = classify(samples, kills, 2s);
  EXPECT_EQ(o.cls, OutcomeClass::oom_resolved) << o.reason;
  EXPECT_TRUE(kills[0].relieved);
  EXPECT_EQ(o.kill_to_freed_ms, 30);
}

TEST(Outcome, LatencyIsOfTheFirstKillThatRelievedTheGroup) {
  auto samples = timeline(4000, [](int) { return false; }, 256u << 20);
  // Kill 1 (the shmem mapper) frees nothing; kill 2 takes usage to 30%.
  for (auto& s : samples)
    if (s.t_ms >= 2500) s.usage_bytes = kLimit * 30 / 100;
  std::vector<OomKill> kills{a_kill(1000, 41, "filler", 0, std::nullopt),
                             a_kill(2350, 42, "hog", 150 * 1024, 2371)};
  auto o = classify(samples, kills, 2s);
  EXPECT_EQ(o.cls, OutcomeClass::oom_resolved) << o.reason;
  EXPECT_FALSE(kills[0].relieved);
  EXPECT_TRUE(kills[1].relieved);
  EXPECT_EQ(o.kill_to_freed_ms, 21);
}

TEST(Outcome, DropLaterThanTheReliefWindowIsNotTheKills) {
  auto samples = timeline(4000, [](int) { return false; }, 256u << 20);
  for (auto& s : samples)
    if (s.t_ms >= 1000 + kReliefWindowMs + 100) s.usage_bytes = 10u << 20;  // the workload ended by itself
  std::vector<OomKill> kills{a_kill(1000, 42, "app", 6 * 1024, std::nullopt)};
  auto o = classify(samples, kills, 2s);
  EXPECT_EQ(o.cls, OutcomeClass::oom_ineffective) << o.reason;
}

TEST(Outcome, WithoutALimitHalfTheVictimsMemoryRelieves) {
  auto samples = timeline(3000, [](int) { return false; }, 100u << 20);
  for (auto& s : samples) {
    s.limit_bytes.reset();
    if (s.t_ms > 1000) s.usage_bytes = 60u << 20;
  }
  std::vector<OomKill> kills{a_kill(1000, 42, "hog", 70 * 1024, std::nullopt)};
  EXPECT_EQ(classify(samples, kills, 2s).cls, OutcomeClass::oom_resolved);
  kills[0].anon_rss_kb = 90 * 1024;  // 40 MiB back of 90: not half
  EXPECT_EQ(classify(samples, kills, 2s).cls, OutcomeClass::oom_ineffective);
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

namespace {

// mmap-lock-hold's shape: no memory PSI at all, cmdline readers blocked on
// the mmap lock from +2 s to `until` (ms).
std::vector<Sample> lock_wait_timeline(int ms, int until) {
  auto samples = timeline(ms, [](int) { return false; });
  for (Sample& s : samples)
    if (s.t_ms >= 2000 && s.t_ms <= until) {
      s.tasks.disk = 4;
      s.tasks.blocked[static_cast<int>(oomlab::facts::WaitKind::MmapLock)] = 4;
    }
  return samples;
}

}  // namespace

TEST(Outcome, LockWaitersWithoutPsiAreAStallNotNoOom) {
  std::vector<OomKill> kills;
  auto o = classify(lock_wait_timeline(20000, 20000), kills, 10s);
  EXPECT_EQ(o.cls, OutcomeClass::livelock) << o.reason;
  ASSERT_TRUE(o.stall);
  EXPECT_EQ(o.stall->start_ms, 2000);
  EXPECT_EQ(o.stall->cause, oomlab::facts::StallCause::blocked_wait);
  EXPECT_NE(o.reason.find("blocked on mmap_lock"), std::string::npos) << o.reason;
}

TEST(Outcome, AStallTheWatchdogsKillEndedIsRescued) {
  std::vector<OomKill> kills;
  std::vector<oomlab::facts::KillEvent> wd = {
      {7700, 10, "anon-ballast", oomlab::facts::Killer::watchdog, "stall_timeout"},
      {12900, 11, "slow-fuse", oomlab::facts::Killer::watchdog, "escalation"}};
  auto o = classify(lock_wait_timeline(20000, 13400), kills, 10s, kDefaultStallShare, wd);
  EXPECT_EQ(o.cls, OutcomeClass::rescued) << o.reason;
  EXPECT_EQ(exit_code_for(o.cls), 8);
  ASSERT_TRUE(o.ended_by);
  EXPECT_EQ(o.ended_by->comm, "slow-fuse");
  ASSERT_TRUE(o.stall);
  EXPECT_EQ(o.stall->start_ms, 2000);
  EXPECT_EQ(o.stall->end_ms, 13400);
  EXPECT_NE(o.reason.find("ended by oomlab-watchdog's kill of slow-fuse(11) at +12.9s (reason=escalation)"),
            std::string::npos)
      << o.reason;
  // Shorter than the threshold: still rescued, the watchdog acted on it.
  auto short_one = classify(lock_wait_timeline(20000, 5000), kills, 10s, kDefaultStallShare,
                            {{4500, 10, "anon-ballast", oomlab::facts::Killer::watchdog, "stall_timeout"}});
  EXPECT_EQ(short_one.cls, OutcomeClass::rescued) << short_one.reason;
  // A dry run's kill is not passed in: the same stall is then stalled_then_resolved.
  auto alone = classify(lock_wait_timeline(20000, 13400), kills, 10s);
  EXPECT_EQ(alone.cls, OutcomeClass::stalled_then_resolved) << alone.reason;
  EXPECT_NE(alone.reason.find("with no kill"), std::string::npos) << alone.reason;
}

TEST(Outcome, AKernelVictimThatDoesNotExitIsAStall) {
  auto samples = timeline(8000, [](int) { return false; });
  for (Sample& s : samples)
    if (s.t_ms >= 1000) s.victim_alive = true, s.victim_killed_ms = 1000;
  std::vector<OomKill> kills{a_kill(1000, 42, "hog", 1000, std::nullopt)};
  auto o = classify(samples, kills, 5s);
  EXPECT_EQ(o.cls, OutcomeClass::livelock) << o.reason;
  EXPECT_NE(o.reason.find("an OOM victim that does not exit"), std::string::npos) << o.reason;
}
