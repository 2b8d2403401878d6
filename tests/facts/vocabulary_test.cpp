// The verdict classes have one list (facts/vocabulary.hpp): the analyzer
// prints these words and sorts its findings by this order, a run's one
// verdict and the VM harness use the same words.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "oomlab/facts/vocabulary.hpp"

using namespace oomlab::facts;

TEST(Vocabulary, VerdictClassesInSeverityOrderAndBackFromTheirNames) {
  // analyzer/README.md's classes, most severe first.
  const std::vector<std::string> published = {"oom_livelock", "oom_reaper_failed", "silent_hang",      "oom_ineffective",
                                              "hung_task",    "soft_lockup",       "rcu_stall",        "crash",
                                              "warning",      "allocation_stall",  "oom_resolved",     "clean"};
  ASSERT_EQ(published.size(), static_cast<std::size_t>(VerdictClass::clean) + 1);
  for (std::size_t i = 0; i < published.size(); ++i) {
    const auto c = static_cast<VerdictClass>(i);
    EXPECT_EQ(verdict_class_name(c), published[i]);
    EXPECT_EQ(verdict_class_from_name(published[i]), c);
  }
  EXPECT_FALSE(verdict_class_from_name("no_oom"));  // an outcome, not a verdict class
  EXPECT_FALSE(verdict_class_from_name(""));
  EXPECT_EQ(verdict_class_for(Outcome::oom_ineffective), "oom_ineffective");
}
