#include <gtest/gtest.h>

#include "oomlab/facts/stall.hpp"

using namespace oomlab::facts;

namespace {

ProgressSample at(std::int64_t t, double psi = 0) {
  ProgressSample s;
  s.t_ms = t;
  s.psi_share = psi;
  return s;
}

}  // namespace

TEST(StallModel, LockWaitersWithoutMemoryPressureAreAStall) {
  // mmap-lock-hold: cmdline readers in D on __access_remote_vm from +2 s to
  // +15 s, memory PSI zero all along. The readers come and go (one read
  // ends, the next blocks): the kind stays held.
  std::vector<ProgressSample> v;
  for (std::int64_t t = 0; t <= 20000; t += 100) {
    ProgressSample s = at(t, 0);
    if (t >= 2000 && t <= 15000) s.add_blocked(WaitKind::MmapLock, t % 700 == 0 ? 1 : 3);
    v.push_back(s);
  }
  auto eps = find_stall_episodes(v);
  ASSERT_EQ(eps.size(), 1u);
  EXPECT_EQ(eps[0].cause, StallCause::blocked_wait);
  EXPECT_EQ(eps[0].wait, WaitKind::MmapLock);
  EXPECT_EQ(eps[0].start_ms, 2000);  // when the readers were first seen blocked
  EXPECT_EQ(eps[0].end_ms, 15000);
  EXPECT_FALSE(eps[0].ongoing);
  EXPECT_EQ(eps[0].max_blocked, 3);
  EXPECT_EQ(describe_cause(eps[0]), "up to 3 task(s) blocked on mmap_lock");
}

TEST(StallModel, OneSampleWithoutWaitersDoesNotSplitALockStall) {
  // Seen in the demo: the readers unblock for one 100 ms sample, then block
  // again behind the same held lock. One stall, not two.
  std::vector<ProgressSample> v;
  for (std::int64_t t = 0; t <= 14000; t += 100) {
    ProgressSample s = at(t, 0);
    if (t >= 300 && t <= 11600 && t != 10300) s.add_blocked(WaitKind::MmapLock, 3);
    v.push_back(s);
  }
  auto eps = find_stall_episodes(v);
  ASSERT_EQ(eps.size(), 1u);
  EXPECT_EQ(eps[0].start_ms, 300);
  EXPECT_EQ(eps[0].end_ms, 11600);
  // The kill at +11.6 s ended it; one 1.4 s after a stall's end did not.
  EXPECT_TRUE(kill_that_ended(eps[0], {{11600, 5, "slow-fuse", Killer::watchdog, "escalation"}}));
  StallEpisode earlier = eps[0];
  earlier.end_ms = 10200;
  EXPECT_FALSE(kill_that_ended(earlier, {{11600, 5, "slow-fuse", Killer::watchdog, "escalation"}}));
}

TEST(StallModel, ShortBlockingIsProgress) {
  // Page-ins and short lock waits come and go in under blocked_min_ms.
  std::vector<ProgressSample> v;
  for (std::int64_t t = 0; t <= 10000; t += 100) {
    ProgressSample s = at(t, 0.1);
    if ((t / 100) % 12 < 8) s.add_blocked(WaitKind::Reclaim);  // 800 ms blocked, 400 ms free
    v.push_back(s);
  }
  EXPECT_TRUE(find_stall_episodes(v).empty());
}

TEST(StallModel, PageInWaitsCountOnlyUnderMemoryPressure) {
  std::vector<ProgressSample> calm, short_of_memory;
  for (std::int64_t t = 0; t <= 5000; t += 100) {
    ProgressSample s = at(t, 0);
    s.add_blocked(WaitKind::Io, 2);
    calm.push_back(s);
    s.psi_share = 0.05;  // below the PSI rule, but memory is short
    short_of_memory.push_back(s);
  }
  EXPECT_TRUE(find_stall_episodes(calm).empty());
  auto eps = find_stall_episodes(short_of_memory);
  ASSERT_EQ(eps.size(), 1u);
  EXPECT_EQ(eps[0].wait, WaitKind::Io);
  EXPECT_TRUE(eps[0].ongoing);
}

TEST(StallModel, MemoryPsiEpisodeToleratesShortRelief) {
  std::vector<ProgressSample> v;
  for (std::int64_t t = 0; t <= 12000; t += 100) {
    double psi = t >= 1000 && t <= 11000 ? 0.6 : 0.0;
    if (t == 5000 || t == 5100) psi = 0.1;  // 200 ms of relief: same episode
    v.push_back(at(t, psi));
  }
  auto eps = find_stall_episodes(v);
  ASSERT_EQ(eps.size(), 1u);
  EXPECT_EQ(eps[0].cause, StallCause::memory_pressure);
  EXPECT_EQ(eps[0].start_ms, 900);
  EXPECT_EQ(eps[0].end_ms, 11000);
  EXPECT_DOUBLE_EQ(eps[0].max_psi_share, 0.6);
}

// The PSI share's lag after task evidence (stall.hpp): one table, samples
// every 100 ms unless a row gives its own.
struct Span {
  std::int64_t from, to;
  double psi;  // for psi spans; unused for blocked spans
};
struct Expected {
  std::int64_t start, end;
  StallCause cause;
};
struct LagRow {
  const char* name;
  std::vector<Span> blocked;  // mmap_lock waiters (3) from..to
  std::vector<Span> psi;      // the window share from..to (0 elsewhere)
  std::int64_t until;
  std::vector<Expected> episodes;
};

TEST(StallModel, ThePsiShareDoesNotStretchAStallPastItsBlockedTasks) {
  const std::vector<LagRow> rows = {
      {"pressure that outlasts the tasks by a whole window is more stall",
       {{500, 5000, 0}}, {{4000, 9000, 0.6}}, 12000, {{500, 9000, StallCause::blocked_wait}}},
      {"a share that falls within the window after the tasks cleared adds nothing",
       {{500, 5000, 0}}, {{4000, 5800, 0.6}}, 12000, {{500, 5000, StallCause::blocked_wait}}},
      {"tasks that block again during the lag extend the stall",
       {{500, 5000, 0}, {5300, 6500, 0}}, {{4000, 5800, 0.3}}, 12000, {{500, 6500, StallCause::blocked_wait}}},
      {"pressure after a quiet spell is a stall of its own",
       {{500, 3000, 0}}, {{2500, 3600, 0.3}, {6000, 8000, 0.5}}, 12000,
       {{500, 3000, StallCause::blocked_wait}, {5900, 8000, StallCause::memory_pressure}}},
      {"a PSI-only stall keeps its window's length (no task evidence to lag behind)",
       {}, {{2000, 6000, 0.5}}, 12000, {{1900, 6000, StallCause::memory_pressure}}},
  };
  for (const LagRow& r : rows) {
    SCOPED_TRACE(r.name);
    std::vector<ProgressSample> v;
    for (std::int64_t t = 0; t <= r.until; t += 100) {
      double psi = 0;
      for (const Span& p : r.psi)
        if (t >= p.from && t <= p.to) psi = p.psi;
      ProgressSample s = at(t, psi);
      for (const Span& b : r.blocked)
        if (t >= b.from && t <= b.to) s.add_blocked(WaitKind::MmapLock, 3);
      v.push_back(s);
    }
    auto eps = find_stall_episodes(v);
    ASSERT_EQ(eps.size(), r.episodes.size());
    for (std::size_t i = 0; i < eps.size(); ++i) {
      EXPECT_EQ(eps[i].start_ms, r.episodes[i].start) << i;
      EXPECT_EQ(eps[i].end_ms, r.episodes[i].end) << i;
      EXPECT_EQ(eps[i].cause, r.episodes[i].cause) << i;
    }
  }
}

TEST(StallModel, TheDemosTailIsNotMoreStall) {
  // scripts/demo.sh 2026-12-07 00:26 (reports/20261207T002649Z-mmap-lock-hold):
  // t_ms, the 1 s memory PSI some share, mmap_lock waiters, around the
  // watchdog's kill of slow-fuse at +10.0 s. The readers ran again at +10.2 s;
  // the share stayed >= 25% until +10.8 s (the stall's own second in its
  // window, and the workload's page-cache churn, 3-50% all run long). The
  // outcome said 10.3 s, the log (no PSI) 9.5 s; now both end at the tasks.
  struct Row {
    std::int64_t t;
    double psi;
    int blocked;
  };
  const Row demo[] = {{8801, 0.19, 3},  {8900, 0.21, 3},  {9000, 0.23, 3},  {9101, 0.23, 3},  {9223, 0.20, 3},
                      {9308, 0.19, 3},  {9404, 0.19, 3},  {9504, 0.21, 3},  {9600, 0.22, 3},  {9715, 0.22, 3},
                      {9808, 0.24, 3},  {9908, 0.22, 3},  {10011, 0.23, 3}, {10100, 0.22, 1}, {10203, 0.24, 0},
                      {10312, 0.28, 0}, {10402, 0.28, 0}, {10519, 0.27, 0}, {10603, 0.27, 0}, {10700, 0.25, 0},
                      {10801, 0.25, 0}, {10901, 0.24, 0}, {11008, 0.22, 0}, {11100, 0.18, 0}, {11204, 0.14, 0},
                      {11346, 0.10, 1}, {11403, 0.09, 0}};
  std::vector<ProgressSample> v;
  for (std::int64_t t = 0; t < 500; t += 100) v.push_back(at(t, 0.05));
  for (std::int64_t t = 500; t < 8801; t += 100) {
    ProgressSample s = at(t, 0.2);
    s.add_blocked(WaitKind::MmapLock, 3);
    v.push_back(s);
  }
  for (const Row& r : demo) {
    ProgressSample s = at(r.t, r.psi);
    if (r.blocked) s.add_blocked(WaitKind::MmapLock, r.blocked);
    v.push_back(s);
  }
  auto eps = find_stall_episodes(v);
  ASSERT_EQ(eps.size(), 1u);
  EXPECT_EQ(eps[0].start_ms, 500);
  EXPECT_EQ(eps[0].end_ms, 10100);  // the last sample with a reader blocked
  EXPECT_EQ(eps[0].cause, StallCause::blocked_wait);
  EXPECT_FALSE(eps[0].ongoing);
  ASSERT_TRUE(kill_that_ended(eps[0], {{10005, 6018, "slow-fuse", Killer::watchdog, "escalation"}}));
}

TEST(StallModel, AVictimThatDoesNotExit) {
  std::vector<ProgressSample> v;
  for (std::int64_t t = 0; t <= 6000; t += 500) {
    ProgressSample s = at(t, 0);
    s.victim_alive = t >= 1000;
    s.victim_killed_ms = 1000;
    v.push_back(s);
  }
  auto eps = find_stall_episodes(v);
  ASSERT_EQ(eps.size(), 1u);
  EXPECT_EQ(eps[0].cause, StallCause::victim_not_exiting);
  EXPECT_EQ(eps[0].start_ms, 1500);  // the sample before the first stalled one (2000)
  EXPECT_TRUE(eps[0].ongoing);
}

TEST(StallModel, WithoutPsiTheLimitFallback) {
  std::vector<ProgressSample> v;
  for (std::int64_t t = 0; t <= 3000; t += 100) {
    ProgressSample s = at(t, -1);
    s.limit_pressed = t >= 1000;
    v.push_back(s);
  }
  auto eps = find_stall_episodes(v);
  ASSERT_EQ(eps.size(), 1u);
  EXPECT_EQ(eps[0].cause, StallCause::limit_pressed);
}

// A kill that ended an episode's blocked tasks closes it to the PSI share
// alone (stall.hpp). Samples every 100 ms; readers (3 mmap_lock waiters)
// blocked 500..5000 unless a row says otherwise; the share 0.3 over
// `psi`; one kill.
TEST(StallModel, AKillThatEndedTheTasksClosesTheEpisodeToPressure) {
  struct Row {
    const char* name;
    std::int64_t kill;
    std::vector<std::pair<std::int64_t, std::int64_t>> blocked, psi;
    std::vector<std::pair<std::int64_t, std::int64_t>> episodes;  // start, end
  };
  const std::vector<Row> rows = {
      {"pressure crossing after the ending kill is a stall of its own", 4950, {{500, 5000}}, {{5400, 8000}},
       {{500, 5000}, {5900, 8000}}},
      {"without the kill it extends the episode (as before)", -1, {{500, 5000}}, {{5400, 8000}}, {{500, 8000}}},
      {"pressure over the tasks and after them, kill ended the tasks", 4950, {{500, 5000}}, {{3000, 8000}},
       {{500, 5000}, {5900, 8000}}},
      {"a kill long before the tasks cleared did not end them", 2000, {{500, 5000}}, {{5400, 8000}}, {{500, 8000}}},
      {"tasks blocking again after the kill: it did not end it after all", 4950, {{500, 5000}, {5200, 6500}},
       {{6600, 9000}}, {{500, 9000}}},
  };
  for (const Row& r : rows) {
    SCOPED_TRACE(r.name);
    std::vector<ProgressSample> v;
    for (std::int64_t t = 0; t <= 12000; t += 100) {
      double psi = 0;
      for (auto [from, to] : r.psi)
        if (t >= from && t <= to) psi = 0.3;
      ProgressSample s = at(t, psi);
      for (auto [from, to] : r.blocked)
        if (t >= from && t <= to) s.add_blocked(WaitKind::MmapLock, 3);
      if (r.kill >= 0 && r.kill <= t) s.last_kill_ms = r.kill;
      v.push_back(s);
    }
    auto eps = find_stall_episodes(v);
    ASSERT_EQ(eps.size(), r.episodes.size());
    for (std::size_t i = 0; i < eps.size(); ++i) {
      EXPECT_EQ(eps[i].start_ms, r.episodes[i].first) << i;
      EXPECT_EQ(eps[i].end_ms, r.episodes[i].second) << i;
    }
  }
}

// Tasks held since before the share opened the episode date it back to
// their first sight (the share crossed 25% before they had been held for
// blocked_min_ms).
TEST(StallModel, TasksHeldBeforeTheShareOpenedTheEpisodeMoveItsStart) {
  std::vector<ProgressSample> v;
  for (std::int64_t t = 0; t <= 4000; t += 100) {
    ProgressSample s = at(t, t >= 1200 ? 0.3 : 0.1);
    if (t >= 300) s.add_blocked(WaitKind::MmapLock, 3);
    v.push_back(s);
  }
  auto eps = find_stall_episodes(v);
  ASSERT_EQ(eps.size(), 1u);
  EXPECT_EQ(eps[0].start_ms, 300);
  EXPECT_EQ(eps[0].cause, StallCause::blocked_wait);
  // ... and an episode before it (the share over 25% 100..400, then under
  // it for 0.6 s) that the held tasks reach back to is the same stall.
  v.clear();
  for (std::int64_t t = 0; t <= 4000; t += 100) {
    ProgressSample s = at(t, (t >= 100 && t <= 400) || t >= 1100 ? 0.3 : 0.1);
    if (t >= 300) s.add_blocked(WaitKind::MmapLock, 3);
    v.push_back(s);
  }
  eps = find_stall_episodes(v);
  ASSERT_EQ(eps.size(), 1u);
  EXPECT_EQ(eps[0].start_ms, 0);
  EXPECT_EQ(eps[0].end_ms, 4000);
}

TEST(StallModel, TheKillThatEndedIt) {
  StallEpisode e;
  e.start_ms = 2000, e.end_ms = 13400;
  std::vector<KillEvent> kills = {{7700, 10, "anon-ballast", Killer::watchdog, "stall_timeout"},
                                  {12900, 11, "slow-fuse", Killer::watchdog, "escalation"},
                                  {19000, 12, "late", Killer::kernel, ""}};
  auto k = kill_that_ended(e, kills);
  ASSERT_TRUE(k);
  EXPECT_EQ(k->comm, "slow-fuse");
  e.ongoing = true;
  EXPECT_FALSE(kill_that_ended(e, kills));
  e.ongoing = false;
  EXPECT_FALSE(kill_that_ended(e, {{500, 1, "before", Killer::kernel, ""}}));
}

TEST(Vocabulary, OutcomesRoundTripAndExitCodesStayStable) {
  for (Outcome o : {Outcome::livelock, Outcome::stalled_then_resolved, Outcome::rescued, Outcome::oom_resolved,
                    Outcome::oom_ineffective, Outcome::no_oom})
    EXPECT_EQ(outcome_from_name(outcome_name(o)), o);
  EXPECT_FALSE(outcome_from_name("completed"));
  EXPECT_EQ(exit_code_for(Outcome::oom_resolved), 0);
  EXPECT_EQ(exit_code_for(Outcome::livelock), 1);
  EXPECT_EQ(exit_code_for(Outcome::stalled_then_resolved), 3);
  EXPECT_EQ(exit_code_for(Outcome::no_oom), 4);
  EXPECT_EQ(exit_code_for(Outcome::oom_ineffective), 7);
  EXPECT_EQ(exit_code_for(Outcome::rescued), 8);
  EXPECT_TRUE(is_kill_reason("escalation"));
  EXPECT_FALSE(is_kill_reason("because"));
}

TEST(StallModel, TheCurrentEpisodeOnlineAndBounded) {
  // Two stalls 3 s apart, then a third: an online caller that keeps only
  // the current episode (forget_older after every fold) sees what
  // episodes() says of the last one at every sample, ongoing included.
  ProgressModel full, bounded;
  EXPECT_FALSE(bounded.current().has_value());
  for (std::int64_t t = 0; t <= 12000; t += 100) {
    const bool stalled = (t >= 1000 && t < 2000) || (t >= 5000 && t < 6000) || (t >= 9000 && t < 10000);
    full.fold(at(t, stalled ? 0.6 : 0.0));
    bounded.fold(at(t, stalled ? 0.6 : 0.0));
    bounded.forget_older();
    const std::vector<StallEpisode> all = full.episodes();
    const std::optional<StallEpisode> now = bounded.current();
    ASSERT_EQ(now.has_value(), !all.empty()) << t;
    if (!now) continue;
    EXPECT_EQ(now->start_ms, all.back().start_ms) << t;
    EXPECT_EQ(now->end_ms, all.back().end_ms) << t;
    EXPECT_EQ(now->ongoing, all.back().ongoing) << t;
    EXPECT_EQ(now->cause, all.back().cause) << t;
  }
  EXPECT_EQ(full.episodes().size(), 3u);
  EXPECT_EQ(bounded.episodes().size(), 1u);
  EXPECT_EQ(bounded.current()->start_ms, 8900);
  EXPECT_FALSE(bounded.current()->ongoing);
}
