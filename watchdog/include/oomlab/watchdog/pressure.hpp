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
// The clock has hysteresis: a thrash whose share hovers around the threshold
// dips under it for a second or two between refault storms, and a user calls
// that one thrash, not several (the runner's time without progress adds the
// storms up). So the clock runs from the onset until the share has stayed
// below the threshold for kReliefMs (2 s: the host's page-cache thrash dips
// for up to ~1.7 s on the 1 s share), and only then resets. Acting needs
// both: the clock past --kill-after AND the share pressing at that reading
// (above now, or above at the previous reading: a one-reading dip between two
// storms), so a burst shorter than --kill-after never triggers a kill from
// inside the quiet after it.
// Pure and allocation-free: the engine feeds it readings, the tests too.
#pragma once
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "oomlab/facts/psi.hpp"

namespace oomlab::watchdog {


// --pressure-above: percentages, negative = that line is not used.
struct PressureThreshold {
  double some = -1, full = -1;
  bool enabled() const { return some >= 0 || full >= 0; }
};
// "full=40", "some=60", "full=40,some=60", or "off". Throws UsageError.
PressureThreshold parse_pressure_threshold(const std::string& name, const std::string& value);
std::string format_pressure_threshold(const PressureThreshold& t);  // "full=40,some=60" / "off"

class PressureTracker {
 public:
  // How long the share must stay below the threshold before the clock
  // resets (see above).
  static constexpr std::int64_t kReliefMs = 2000;

  // Folds in a reading taken at now_ms; returns pressing().
  bool update(const facts::PsiReading& r, std::int64_t now_ms, const PressureThreshold& t);
  // A pressure episode is going on: the clock runs (the share is above, or
  // went below less than kReliefMs ago).
  bool above() const { return above_since_ms_ >= 0; }
  // The share is at or above the threshold at the last reading, or was at
  // the one before it inside an episode (a one-reading dip).
  bool pressing() const { return pressing_; }
  // How long the episode has lasted while the share is above now (0 when
  // not pressing: a dip inside an episode does not count as "over for
  // --kill-after", nor does it reset the clock).
  std::int64_t above_for(std::int64_t now_ms) const { return pressing_ && above() ? now_ms - above_since_ms_ : 0; }
  // The episode's length whether or not the share is above now.
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
  std::int64_t above_since_ms_ = -1;
  std::int64_t below_since_ms_ = -1;  // first reading under the threshold in this episode (-1: pressing)
  bool pressing_ = false;
  bool above_at_previous_ = false;  // the share was at or above the threshold at the previous reading
};

}  // namespace oomlab::watchdog
