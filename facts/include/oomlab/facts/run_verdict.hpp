// One verdict per run that agrees with its outcome. The runner (oomlab-repro)
// and the VM harness (oomlab-vm) both have an outcome measured from samples
// (PSI, blocked tasks, kills) and the analyzer's verdict on a kernel log.
// The log cannot show every stall - a memory.high throttle or mmap-lock waits
// print nothing to it - so the two used to tell two stories (outcome
// livelock, verdict clean). This decides the one verdict, in oomlab-analyze's
// words, for both.
#pragma once
#include <string>
#include <vector>

#include "oomlab/facts/vocabulary.hpp"

namespace oomlab::facts {

// A verdict of oomlab-analyze on one log: `from` names the log for humans
// ("kernel log", "serial console"); cls is empty when there is no verdict and
// `error` says why.
struct LogVerdict {
  std::string from, cls, title, error;
};

struct RunVerdict {
  std::string cls, title;
  std::string from;  // the LogVerdict's `from`, or samples_from
  std::string note;  // "" unless the verdict comes from the samples although a log was read
};

// The class is verdict_class_for(outcome, victim_stuck). The first log
// verdict of that class is the verdict (its title, no note). When none says
// it, the class comes from the samples (title: the outcome's reason; from:
// samples_from) and the note says what the first log's verdict was and why
// it differs. A no_oom outcome keeps the first log's verdict whatever it is
// (the log can show failures the samples do not measure); without one, clean
// from the samples.
RunVerdict run_verdict(Outcome outcome, bool victim_stuck, const std::string& reason,
                       const std::vector<LogVerdict>& logs, const std::string& samples_from);

}  // namespace oomlab::facts
