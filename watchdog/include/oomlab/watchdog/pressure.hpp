// Memory pressure of a watched cgroup (its PSI file, memory.pressure) and the
// rule that turns it into an action, after oomd's pressure_above: a group
// whose stall share stays at or above --pressure-above for --kill-after is
// thrashing even when no single task is stalled for long (page-cache
// thrashing: every task waits a little on every refault, the kernel never
// calls the OOM killer).
//
// "Above" is the share of stall time over the last ~2 s, computed from the
// cumulative total= (facts::psi_window_share). Not avg10: that 10 s
// average needs seconds of thrashing to rise past the threshold and seconds
// to fall after a kill that helped. The clock starts at the onset (back-dated
// by the stall the window holds), so the action comes at most --kill-after
// plus one reading period after sustained pressure begins.
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
  // Folds in a reading taken at now_ms; returns above().
  bool update(const facts::PsiReading& r, std::int64_t now_ms, const PressureThreshold& t);
  bool above() const { return above_since_ms_ >= 0; }
  // How long the pressure has been above the threshold without a break (0 = not above).
  std::int64_t above_for(std::int64_t now_ms) const { return above() ? now_ms - above_since_ms_ : 0; }
  // After an action: the pressure clock restarts (the next action needs the
  // pressure to persist again).
  void restart(std::int64_t now_ms) {
    if (above()) above_since_ms_ = now_ms;
  }
  const facts::PsiReading& last() const { return last_; }
  // Share of time stalled over the last ~2 s (1-4 s when readings are
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
};

}  // namespace oomlab::watchdog
