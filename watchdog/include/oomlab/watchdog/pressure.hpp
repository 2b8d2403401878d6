// Memory pressure of a watched cgroup (its PSI file, memory.pressure) and the
// rule that turns it into an action, after oomd's pressure_above: a group
// whose stall share stays at or above --pressure-above for --kill-after is
// thrashing even when no single task is stalled for long (page-cache
// thrashing: every task waits a little on every refault, the kernel never
// calls the OOM killer).
//
// "Above" is the share of stall time over the last second, computed from the
// cumulative total= (facts::psi_window_share) with the runner's stall window
// and share rule (facts::kStallPsiWindow, facts::psi_share_stalled): with
// --pressure-above some=25 the watchdog calls a moment "above" when
// oomlab-repro's outcome calls it stalled by memory PSI. Not avg10: that 10 s
// average needs seconds of thrashing to rise past the threshold and seconds
// to fall after a kill that helped. The clock starts where the runner's stall
// model puts the onset (facts::episode_onset_ms: the reading before the first
// one above), so the action comes at most --kill-after plus a period or two
// after the runner's first stalled sample.
//
// The clock follows the runner's model of the stall (facts::ProgressModel,
// fed one sample per reading): a moment is stalled when the share is above,
// or when the group's tasks have been blocked in one memory wait kind for a
// second (page-in waits only while memory is short: the caller decides, and
// the model also wants some memory PSI in the group). Stalled moments with
// gaps of at most kReliefMs between them are one episode (the model's
// gap_ms rule): on the host a page-cache thrash comes in refault storms with
// 2-3 s of relief between them, which the runner's time without progress
// adds up, and a clock that restarted at each gap killed 7 s after the
// runner's first stalled sample instead of 5. Only the share opens an
// episode: tasks in page-in waits with a little PSI are a slow disk as often
// as a thrash, so they keep an episode going but never start one.
// Acting needs both: the clock past --kill-after AND the model saying
// stalled at that reading (or at the previous one: a one-reading dip), so a
// burst shorter than --kill-after never triggers a kill from inside the
// quiet after it.
// Pure: the engine feeds it readings, the tests too. The model keeps one
// episode (ProgressModel::forget_older), so nothing grows while it runs.
#pragma once
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "oomlab/facts/psi.hpp"
#include "oomlab/facts/stall.hpp"

namespace oomlab::watchdog {


// --pressure-above: percentages, negative = that line is not used.
struct PressureThreshold {
  double some = -1, full = -1;
  bool enabled() const { return some >= 0 || full >= 0; }
};
// "full=40", "some=60", "full=40,some=60", or "off". Throws UsageError.
PressureThreshold parse_pressure_threshold(const std::string& name, const std::string& value);
std::string format_pressure_threshold(const PressureThreshold& t);  // "full=40,some=60" / "off"

// The group's tasks blocked in each memory wait kind at a reading (index: the
// facts::WaitKind value), as the engine's scan saw them.
using GroupWaits = std::array<int, 6>;

class PressureTracker {
 public:
  // The longest relief inside one episode (the model's gap_ms, see above):
  // the host's page-cache thrash pauses up to 2.9 s between storms as the
  // runner sees them (50 ms samples; tests/watchdog/fixtures), and readings
  // a period (500 ms) apart see such a pause up to ~450 ms longer. The
  // share lags by its 1 s window, so a quiet looks shorter than it was: two
  // 3 s full stalls 4 s apart are one episode at 1 of 10 reading phases
  // (3.5 s apart: at all), 4.5 s apart never.
  static constexpr std::int64_t kReliefMs = 3400;

  PressureTracker();
  // Folds in a reading taken at now_ms (and the group's blocked tasks seen
  // then); returns pressing().
  bool update(const facts::PsiReading& r, std::int64_t now_ms, const PressureThreshold& t,
              const GroupWaits& waits = {});
  // A pressure episode is going on: the clock runs (the model says stalled,
  // or did less than kReliefMs ago, in an episode the share opened).
  bool above() const { return above_since_ms_ >= 0; }
  // The model says stalled at the last reading, or did at the one before it
  // inside an episode (a one-reading dip).
  bool pressing() const { return pressing_; }
  // How long the episode has lasted while pressing now (0 when not pressing:
  // relief inside an episode does not count as "over for --kill-after", nor
  // does it reset the clock).
  std::int64_t above_for(std::int64_t now_ms) const { return pressing_ && above() ? now_ms - above_since_ms_ : 0; }
  // The episode's length whether or not it is pressing now.
  std::int64_t episode_for(std::int64_t now_ms) const { return above() ? now_ms - above_since_ms_ : 0; }
  // After an action: the pressure clock restarts (the next action needs the
  // pressure to persist again).
  void restart(std::int64_t now_ms) {
    if (above()) above_since_ms_ = now_ms;
  }
  const facts::PsiReading& last() const { return last_; }
  // Share of time stalled over the last second (0.5-2 s when readings are
  // sparse), in percent; -1 = not known yet.
  double recent_some() const { return recent_some_; }
  double recent_full() const { return recent_full_; }

 private:
  // Recent readings, oldest first (periods >= 50 ms: 64 cover >= 3 s).
  std::array<facts::PsiPoint, 64> history_{};
  std::size_t count_ = 0;
  facts::PsiReading last_;
  double recent_some_ = -1, recent_full_ = -1;
  facts::ProgressModel model_;
  std::int64_t episode_start_ms_ = -1;  // the model's start of the episode the clock follows (-1: none)
  std::int64_t above_since_ms_ = -1;
  bool pressing_ = false;
  bool stalled_at_previous_ = false;  // the model said stalled at the previous reading
};

}  // namespace oomlab::watchdog
