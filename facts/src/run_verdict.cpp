#include "oomlab/facts/run_verdict.hpp"

namespace oomlab::facts {

RunVerdict run_verdict(Outcome outcome, bool victim_stuck, const std::string& reason,
                       const std::vector<LogVerdict>& logs, const std::string& samples_from) {
  const std::string expected(verdict_class_for(outcome, victim_stuck));
  if (outcome == Outcome::no_oom && !logs.empty() && !logs.front().cls.empty())
    return {logs.front().cls, logs.front().title, logs.front().from, ""};
  for (const LogVerdict& l : logs)
    if (l.cls == expected) return {l.cls, l.title, l.from, ""};
  RunVerdict v{expected, reason, samples_from, ""};
  if (logs.empty()) return v;
  const LogVerdict& first = logs.front();
  const std::string what(outcome_name(outcome));
  const bool stalled = outcome == Outcome::livelock || outcome == Outcome::stalled_then_resolved ||
                       outcome == Outcome::rescued;
  if (first.cls.empty())
    v.note = "no verdict from the " + first.from + " (" + (first.error.empty() ? "?" : first.error) + ")";
  else if (first.cls == "clean")
    v.note = "the " + first.from + " shows no sign of this " + what + " (its verdict: clean" +
             (stalled ? "; memory.high throttling and mmap-lock waits print nothing there" : "") + ")";
  else
    v.note = "the " + first.from + "'s verdict is " + first.cls + ", not the " + expected + " this " + what + " calls for";
  v.note += ": the verdict comes from the " + samples_from + " (PSI, blocked tasks, kills), as the outcome";
  return v;
}

}  // namespace oomlab::facts
