#include "oomlab/watchdog/pressure.hpp"

#include <algorithm>
#include <cstdlib>
#include <cstdio>

#include "oomlab/watchdog/options.hpp"

namespace oomlab::watchdog {
namespace {

// The recent share's window: 2 s, the shortest PSI trigger window here and
// oomlab-repro's stall window. A reference reading older than 4 s is not
// recent (the loop slept while idle, so readings are sparse, and a share
// over it would dilute a fresh stall into a long quiet stretch); one younger
// than 1 s is too noisy.
constexpr facts::PsiWindowRule kRecentWindow{2000, 4000, 1000};

}  // namespace

PressureThreshold parse_pressure_threshold(const std::string& name, const std::string& value) {
  PressureThreshold t;
  if (value == "off" || value == "0" || value == "none") return t;
  if (!value.empty() && value.back() == ',') throw UsageError("--" + name + ": trailing comma: '" + value + "'");
  std::string_view rest = value;
  while (!rest.empty()) {
    std::size_t comma = rest.find(',');
    std::string_view item = rest.substr(0, comma);
    rest.remove_prefix(comma == std::string_view::npos ? rest.size() : comma + 1);
    std::size_t eq = item.find('=');
    double pct = -1;
    if (eq == std::string_view::npos || !facts::parse_psi_percent(item.substr(eq + 1), pct) || pct <= 0 || pct > 100)
      throw UsageError("--" + name + ": expected full=PCT and/or some=PCT (0 < PCT <= 100) or off: '" + value + "'");
    std::string_view line = item.substr(0, eq);
    if (line == "full") t.full = pct;
    else if (line == "some") t.some = pct;
    else throw UsageError("--" + name + ": '" + std::string(line) + "' is not a PSI line (full or some): '" + value + "'");
  }
  if (!t.enabled()) throw UsageError("--" + name + ": empty threshold");
  return t;
}

std::string format_pressure_threshold(const PressureThreshold& t) {
  if (!t.enabled()) return "off";
  char buf[64];
  if (t.full >= 0 && t.some >= 0) std::snprintf(buf, sizeof buf, "full=%g,some=%g", t.full, t.some);
  else if (t.full >= 0) std::snprintf(buf, sizeof buf, "full=%g", t.full);
  else std::snprintf(buf, sizeof buf, "some=%g", t.some);
  return buf;
}

bool PressureTracker::update(const facts::PsiReading& r, std::int64_t now_ms, const PressureThreshold& t) {
  last_ = r;
  const facts::PsiPoint now = facts::psi_point(now_ms, r);
  const facts::PsiShare share =
      facts::psi_window_share(std::span<const facts::PsiPoint>(history_.data(), count_), now, kRecentWindow);
  recent_some_ = share.some < 0 ? -1 : 100.0 * share.some;
  recent_full_ = share.full < 0 ? -1 : 100.0 * share.full;
  const std::int64_t window_ms = share.window_ms;
  const std::uint64_t some_stall_us = share.some_stall_us, full_stall_us = share.full_stall_us;
  if (count_ == history_.size()) std::move(history_.begin() + 1, history_.end(), history_.begin()), --count_;
  history_[count_++] = now;

  // The clock follows the recent share alone: avg10 is a 10 s average that
  // needs several seconds of thrashing to cross the threshold, which would
  // delay every pressure kill by that much. No share yet (the first second
  // of history): not above.
  auto over = [](double threshold, double recent) { return threshold >= 0 && recent >= 0 && recent >= threshold; };
  const bool some_over = over(t.some, recent_some_), full_over = over(t.full, recent_full_);
  const bool now_above = some_over || full_over;
  pressing_ = now_above;
  if (!now_above) {
    // A dip: the episode (and its clock) ends only once the share has been
    // below for a whole share window. The dip began at the first reading
    // under the threshold, at the latest.
    if (above_since_ms_ >= 0) {
      if (below_since_ms_ < 0) below_since_ms_ = now_ms;
      if (now_ms - below_since_ms_ >= kReliefMs) above_since_ms_ = below_since_ms_ = -1;
    }
  } else {
    below_since_ms_ = -1;
    if (above_since_ms_ < 0) {
      // The pressure began at least as long ago as the stall the window
      // holds (a task cannot stall longer than the time that passed): start
      // the clock there, so that --kill-after counts from the onset and not
      // from the moment the share had risen to the threshold.
      std::uint64_t stall_us = std::max(some_over ? some_stall_us : 0, full_over ? full_stall_us : 0);
      std::int64_t back_ms = std::min<std::int64_t>(window_ms, static_cast<std::int64_t>(stall_us / 1000));
      above_since_ms_ = now_ms - back_ms;
    }
  }
  return now_above;
}

}  // namespace oomlab::watchdog
