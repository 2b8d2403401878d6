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

namespace {

// The model the clock follows (see the header): the runner's rules, with the
// share fed relative to the threshold (1 = at it) so that one number stands
// for --pressure-above's some and full lines, and the watchdog's relief.
facts::StallRules tracker_rules() {
  facts::StallRules r;
  r.psi_share = 1.0;
  r.gap_ms = PressureTracker::kReliefMs;
  r.psi_window_ms = kRecentWindow.window_ms;
  return r;
}

// The share as the threshold's multiple: the larger of the lines in use, -1
// when neither is known. The exact comparison (over()) decides which side of
// 1 it falls on, so the model and the clock agree to the last bit.
double relative_share(const facts::PsiShare& share, const PressureThreshold& t, bool above) {
  double level = -1;
  if (t.some > 0 && share.some >= 0) level = std::max(level, share.some / (t.some / 100.0));
  if (t.full > 0 && share.full >= 0) level = std::max(level, share.full / (t.full / 100.0));
  if (level < 0) return level;
  return above ? std::max(level, 1.0) : std::min(level, 0.999);
}

}  // namespace

PressureTracker::PressureTracker() : model_(tracker_rules()) {}

bool PressureTracker::update(const facts::PsiReading& r, std::int64_t now_ms, const PressureThreshold& t,
                             const GroupWaits& waits) {
  last_ = r;
  const facts::PsiPoint now = facts::psi_point(now_ms, r);
  const facts::PsiShare share =
      facts::psi_window_share(std::span<const facts::PsiPoint>(history_.data(), count_), now, kRecentWindow);
  recent_some_ = share.some < 0 ? -1 : 100.0 * share.some;
  recent_full_ = share.full < 0 ? -1 : 100.0 * share.full;
  const std::int64_t previous_ms = count_ ? history_[count_ - 1].t_ms : -1;
  if (count_ == history_.size()) std::move(history_.begin() + 1, history_.end(), history_.begin()), --count_;
  history_[count_++] = now;

  // The share alone says "above": avg10 is a 10 s average that needs
  // several seconds of thrashing to cross the threshold, which would delay
  // every pressure kill by that much. No share yet (the first half second
  // of history): not above.
  const bool now_above = over(t.some, share.some) || over(t.full, share.full);
  facts::ProgressSample sample;
  sample.t_ms = now_ms;
  sample.psi_share = relative_share(share, t, now_above);
  for (std::size_t k = 0; k < waits.size(); ++k) sample.blocked[k] = waits[k];
  const bool stalled = model_.fold(sample) != facts::StallCause::none;
  model_.forget_older();
  const std::optional<facts::StallEpisode> episode = model_.current();
  const bool in_episode = episode && episode->ongoing;
  // The model's episode ended (relief longer than kReliefMs), or a new one
  // began after a sparse stretch (a later start): the clock stops. A start
  // that moves back is the same episode (tasks found held since before the
  // share opened it date it back, facts/stall.hpp).
  if (!in_episode || episode->start_ms > episode_start_ms_) above_since_ms_ = -1;
  episode_start_ms_ = in_episode ? episode->start_ms : -1;
  if (in_episode && now_above && above_since_ms_ < 0) {
    // Where the runner's stall model puts the onset of the stall this
    // reading shows: in the interval before it, at the previous reading
    // (facts::episode_onset_ms) - but not further back than the window the
    // share covers (after a wake-up from idle the previous reading can be
    // up to two windows old). Not where blocked tasks alone began it: page-in
    // waits with a little PSI may have gone on for minutes on a slow disk.
    above_since_ms_ = std::max(facts::episode_onset_ms(previous_ms, now_ms), now_ms - kRecentWindow.window_ms);
  }
  // A reading just after a stalled one still presses: the 1 s share of a
  // thrash that hovers around the threshold dips under it for a reading
  // between two refault storms, and a kill that falls due on that reading
  // would otherwise wait for the next storm.
  pressing_ = above_since_ms_ >= 0 && (stalled || stalled_at_previous_);
  stalled_at_previous_ = stalled;
  return pressing_;
}

}  // namespace oomlab::watchdog
