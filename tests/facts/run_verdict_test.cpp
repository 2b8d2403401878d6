// facts::run_verdict: the one verdict of a run (the runner's report.json and
// the VM harness's), as a table of outcome x the analyzer's verdict on the
// log -> the verdict, where it comes from, and whether a note explains it.
#include <gtest/gtest.h>

#include "oomlab/facts/run_verdict.hpp"

using oomlab::facts::LogVerdict;
using oomlab::facts::Outcome;
using oomlab::facts::run_verdict;

namespace {

struct Row {
  Outcome outcome;
  bool victim_stuck;
  std::string log_class;  // "" : the analyzer gave no verdict
  std::string verdict, from;
  std::string note_has;  // "" : no note
};

const char* kSamples = "runner's samples";

}  // namespace

TEST(RunVerdict, OutcomeTimesLogVerdict) {
  const Row rows[] = {
      // The log saw it: the log's verdict and title, no note.
      {Outcome::livelock, false, "silent_hang", "silent_hang", "kernel log", ""},
      {Outcome::livelock, true, "oom_livelock", "oom_livelock", "kernel log", ""},
      {Outcome::rescued, false, "allocation_stall", "allocation_stall", "kernel log", ""},
      {Outcome::stalled_then_resolved, false, "allocation_stall", "allocation_stall", "kernel log", ""},
      {Outcome::oom_resolved, false, "oom_resolved", "oom_resolved", "kernel log", ""},
      {Outcome::oom_ineffective, false, "oom_ineffective", "oom_ineffective", "kernel log", ""},
      {Outcome::no_oom, false, "clean", "clean", "kernel log", ""},
      // memory.high throttling prints nothing: clean log, stalled run.
      {Outcome::livelock, false, "clean", "silent_hang", kSamples, "shows no sign of this livelock (its verdict: clean; memory.high"},
      {Outcome::rescued, false, "clean", "allocation_stall", kSamples, "shows no sign of this rescued"},
      {Outcome::stalled_then_resolved, false, "clean", "allocation_stall", kSamples, "print nothing there"},
      {Outcome::livelock, true, "silent_hang", "oom_livelock", kSamples, "verdict is silent_hang, not the oom_livelock"},
      // A log that ends mid-stall calls a rescued run a hang: the outcome's class, and why.
      {Outcome::rescued, false, "silent_hang", "allocation_stall", kSamples,
       "the kernel log's verdict is silent_hang, not the allocation_stall this rescued calls for"},
      {Outcome::oom_resolved, false, "clean", "oom_resolved", kSamples, "shows no sign of this oom_resolved (its verdict: clean)"},
      // no_oom keeps what the log says (it can show what the samples do not measure).
      {Outcome::no_oom, false, "allocation_stall", "allocation_stall", "kernel log", ""},
      // No verdict from the analyzer: the outcome's class, and why there was none.
      {Outcome::livelock, false, "", "silent_hang", kSamples, "no verdict from the kernel log (analyzer missing)"},
      {Outcome::no_oom, false, "", "clean", kSamples, "no verdict from the kernel log (analyzer missing)"},
  };
  for (const Row& r : rows) {
    LogVerdict log{"kernel log", r.log_class, r.log_class.empty() ? "" : "title of " + r.log_class,
                   r.log_class.empty() ? "analyzer missing" : ""};
    const auto v = run_verdict(r.outcome, r.victim_stuck, "the reason", {log}, kSamples);
    SCOPED_TRACE(std::string(outcome_name(r.outcome)) + " x " + (r.log_class.empty() ? "none" : r.log_class));
    EXPECT_EQ(v.cls, r.verdict);
    EXPECT_EQ(v.from, r.from);
    if (r.note_has.empty()) {
      EXPECT_EQ(v.note, "");
      EXPECT_EQ(v.title, log.title);  // the log's own title
    } else {
      EXPECT_NE(v.note.find(r.note_has), std::string::npos) << v.note;
      EXPECT_NE(v.note.find("comes from the runner's samples"), std::string::npos) << v.note;
      EXPECT_EQ(v.title, "the reason");  // the outcome's words
    }
  }
}

// Several logs (the VM: the serial console, then the guest run's own kernel
// log): the first that says the outcome's class; the note names the first.
TEST(RunVerdict, TheFirstLogThatAgreesWins) {
  const std::vector<LogVerdict> logs{{"serial console", "clean", "clean", ""},
                                     {"guest run's kernel log", "allocation_stall", "stall ended by a kill", ""}};
  auto v = run_verdict(Outcome::rescued, false, "r", logs, "guest runner's samples");
  EXPECT_EQ(v.cls, "allocation_stall");
  EXPECT_EQ(v.from, "guest run's kernel log");
  EXPECT_EQ(v.title, "stall ended by a kill");
  EXPECT_EQ(v.note, "");
  v = run_verdict(Outcome::livelock, false, "r", logs, "guest runner's samples");
  EXPECT_EQ(v.cls, "silent_hang");
  EXPECT_EQ(v.from, "guest runner's samples");
  EXPECT_NE(v.note.find("the serial console shows no sign"), std::string::npos) << v.note;
  // No log at all: the outcome's class, nothing to explain.
  v = run_verdict(Outcome::oom_resolved, false, "r", {}, "runner's samples");
  EXPECT_EQ(v.cls, "oom_resolved");
  EXPECT_EQ(v.note, "");
}
