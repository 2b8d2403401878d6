// The watchdog's JSON lines folded into report.json, on the real logs of two
// overlapping demo runs (tests/analyzer/fixtures/concurrent_runs_{a,b}.*):
// each run's companion watchdog reports both groups' stalled tasks, and only
// its own group's belong in its report.
#include <gtest/gtest.h>

#include <string>

#include "../../reproducers/src/watchdog_companion.hpp"

namespace oomlab::repro {
namespace {

const std::string kGroupA = "/oomlab/repro-19971-4792605-1";
const std::string kGroupB = "/oomlab/repro-20015-4792758-1";

std::string log_of(char run) {
  return std::string(OOMLAB_SOURCE_DIR) + "/tests/analyzer/fixtures/concurrent_runs_" + run + ".watchdog.jsonl";
}

bool names(const std::vector<WatchdogEvent>& events, const std::string& group) {
  for (const WatchdogEvent& e : events)
    if (e.line.find("cgroup=" + group) != std::string::npos) return true;
  return false;
}

TEST(WatchdogFold, KeepsOnlyTheRunsGroup) {
  for (const auto& [run, own, other] : {std::tuple{'a', kGroupA, kGroupB}, std::tuple{'b', kGroupB, kGroupA}}) {
    SCOPED_TRACE(std::string(1, run));
    WatchdogSection all, mine;
    fold_watchdog_log(log_of(run), 0, "", all);
    fold_watchdog_log(log_of(run), 0, own, mine);
    ASSERT_GT(all.events.size(), 100u);
    EXPECT_EQ(all.other_group_events, 0u);   // no group: nothing left out
    EXPECT_TRUE(names(all.events, other));   // the other run's tasks are in the log
    EXPECT_GT(mine.other_group_events, 50u);
    EXPECT_EQ(mine.events.size() + mine.other_group_events, all.events.size());
    EXPECT_FALSE(names(mine.events, other));
    EXPECT_TRUE(names(mine.events, own));
    ASSERT_EQ(mine.kills.size(), 2u);        // its own slow-fuse and anon-ballast kills
    for (const WatchdogKill& k : mine.kills) EXPECT_EQ(k.cgroup, own);
    EXPECT_EQ(mine.stall_reports, all.stall_reports);   // MemAlloc-Info: machine-wide counts, kept
  }
}

// A group whose name is a prefix of another's is not that group.
TEST(WatchdogFold, ALongerSiblingNameIsAnotherGroup) {
  WatchdogSection s;
  fold_watchdog_log(log_of('a'), 0, kGroupA.substr(0, kGroupA.size() - 1), s);   // ".../repro-19971-4792605-"
  EXPECT_TRUE(s.kills.empty());
  EXPECT_FALSE(names(s.events, kGroupA));
}

}  // namespace
}  // namespace oomlab::repro
