// facts::verdict_class_for maps a run's outcome to the analyzer's verdict
// class for the same story (the VM harness's one verdict when the log cannot
// show the stall): every word it gives must be one oomlab-analyze prints.
#include <gtest/gtest.h>

#include "oomlab/analyzer/model.hpp"
#include "oomlab/facts/vocabulary.hpp"

using oomlab::facts::Outcome;
using oomlab::facts::verdict_class_for;

TEST(OutcomeWords, EveryOutcomeMapsToAnAnalyzerClass) {
  for (Outcome o : {Outcome::livelock, Outcome::stalled_then_resolved, Outcome::rescued, Outcome::oom_resolved,
                    Outcome::oom_ineffective, Outcome::no_oom})
    for (bool stuck : {false, true})
      EXPECT_TRUE(oomlab::analyzer::verdict_class_from_string(verdict_class_for(o, stuck)))
          << verdict_class_for(o, stuck);
  EXPECT_EQ(verdict_class_for(Outcome::livelock), "silent_hang");
  EXPECT_EQ(verdict_class_for(Outcome::livelock, true), "oom_livelock");
  EXPECT_EQ(verdict_class_for(Outcome::rescued), "allocation_stall");
  EXPECT_EQ(verdict_class_for(Outcome::stalled_then_resolved), "allocation_stall");
  EXPECT_EQ(verdict_class_for(Outcome::no_oom), "clean");
}
