// A log's evidence of progress, as the one stall model (facts/stall.hpp)
// takes it: the analyzer turns MemAlloc reports (the kernel's kmallocwd or
// oomlab-watchdog's, from the kernel log or its merged JSON log) and the
// kills the log shows into facts::ProgressSample / facts::KillEvent, and
// lets facts build the episodes - the runner does the same from its own
// samples, so a run's verdict and its outcome tell one story.
#pragma once
#include <cstdint>
#include <string_view>
#include <vector>

#include "oomlab/facts/stall.hpp"
#include "oomlab/facts/vocabulary.hpp"
#include "state.hpp"

namespace oomlab::analyzer {

struct LogProgress {
  // On the log's clock, in ms (its timestamps x 1000), time-ordered.
  std::vector<facts::ProgressSample> samples;
  // samples[i] came from the MemAlloc-Info report reports[i]; nullptr for a
  // sample the log implies (the start a report's delay= dates back to, or
  // progress after the reports stopped).
  std::vector<const MemAllocSample*> reports;
  std::vector<facts::KillEvent> kills;       // the kernel's OOM kills and the watchdog's kills
  std::vector<Where> kill_at;                // where each of kills is in the log
  std::int64_t period_ms = 0;                // the source's report period (0: a single report)
  bool lost = false;           // the log lost lines of this source: a silence says nothing
  bool reports_stopped = false;  // the log goes on past the last report by more than the silence
};

// The evidence of one report source ("kernel" or "oomlab-watchdog").
// Reports come every period while something is stalled and stop when
// nothing is: a silence longer than kSilencePeriods periods is progress,
// unless the log says that source's lines were lost (the printk ratelimit,
// the watchdog's withheld lines) and its JSON log was not merged back.
LogProgress log_progress(const State& st, std::string_view source);

inline constexpr int kSilencePeriods = 3;

// The kernel's OOM kills (the moment it acted) and the watchdog's kills (not
// dry runs) the log shows, time-ordered, with where each is.
void log_kills(const State& st, std::vector<facts::KillEvent>& kills, std::vector<Where>& kill_at);

// The analyzer's stall rules: the runner's (facts' defaults).
facts::StallRules log_stall_rules();

}  // namespace oomlab::analyzer
