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
