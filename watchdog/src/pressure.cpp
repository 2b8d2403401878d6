#include "oomlab/watchdog/pressure.hpp"

#include <algorithm>
#include <cstdlib>
#include <cstdio>

#include "oomlab/facts/stall.hpp"
#include "oomlab/watchdog/options.hpp"

namespace oomlab::watchdog {
namespace {

// The recent share's window: the runner's stall window (facts::kStallPsiWindow,
// 1 s), so that "above" here and "stalled" in oomlab-repro's outcome are the
// same share of the same stretch of time. The runner samples every 50-100 ms;
// the watchdog reads once a period and sleeps while idle, so two limits it
// does not need: a reference reading older than two windows is not recent
// (a share over a long quiet stretch would dilute a fresh stall), and one
// younger than half a window is too noisy (after a wake-up from idle, the
// first share is measured over the readings since the wake-up).
constexpr facts::PsiWindowRule kRecentWindow{facts::kStallPsiWindow.window_ms, 2 * facts::kStallPsiWindow.window_ms,
                                             facts::kStallPsiWindow.window_ms / 2};

// --pressure-above's percentage as the stall model's share (a fraction).
bool over(double threshold_pct, double share) {
  return threshold_pct >= 0 && facts::psi_share_stalled(share, threshold_pct / 100.0);
}

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
  const std::int64_t previous_ms = count_ ? history_[count_ - 1].t_ms : -1;
  if (count_ == history_.size()) std::move(history_.begin() + 1, history_.end(), history_.begin()), --count_;
  history_[count_++] = now;

  // The clock follows the recent share alone: avg10 is a 10 s average that
  // needs several seconds of thrashing to cross the threshold, which would
  // delay every pressure kill by that much. No share yet (the first half
  // second of history): not above.
  const bool now_above = over(t.some, share.some) || over(t.full, share.full);
  // A reading just after the share was above still presses: the 1 s share
  // of a thrash that hovers around the threshold dips under it for a reading
  // between two refault storms (the host's page-cache thrash, in the fixture
  // tests/watchdog/fixtures/page-cache-thrash-psi.txt), and a kill that
  // falls due on that reading would otherwise wait for the next storm.
  pressing_ = now_above || (above_at_previous_ && above_since_ms_ >= 0);
  above_at_previous_ = now_above;
  if (!now_above) {
    // A dip: the episode (and its clock) ends only once the share has been
    // below for kReliefMs. The dip began at the first reading under the
    // threshold, at the latest.
    if (above_since_ms_ >= 0) {
      if (below_since_ms_ < 0) below_since_ms_ = now_ms;
      if (now_ms - below_since_ms_ >= kReliefMs) above_since_ms_ = below_since_ms_ = -1;
    }
  } else {
    below_since_ms_ = -1;
    if (above_since_ms_ < 0) {
      // Where the runner's stall model puts the onset of the stall this
      // reading shows: in the interval before it, at the previous reading
      // (facts::episode_onset_ms) - but not further back than the window the
      // share covers (after a wake-up from idle the previous reading can be
      // up to two windows old). So --kill-after counts from the runner's
      // first stalled sample, give or take a period, not from the moment a
      // longer average had risen.
      above_since_ms_ = std::max(facts::episode_onset_ms(previous_ms, now_ms), now_ms - kRecentWindow.window_ms);
    }
  }
  return pressing_;
}

}  // namespace oomlab::watchdog
