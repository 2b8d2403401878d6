// PSI files (/proc/pressure/memory, a cgroup's memory.pressure): the one
// parser (facts::parse_psi), the shares over a window computed from its
// readings, the watchdog's pressure rule they feed, and --pressure-above
// values. The input holds several
// readings separated by NUL bytes; the tracker is fed them in order, as the
// engine does once per period.
#include <string>
#include <vector>

#include "fuzz_input.hpp"
#include "oomlab/facts/psi.hpp"
#include "oomlab/watchdog/options.hpp"
#include "oomlab/watchdog/pressure.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  oomlab::fuzz::Input in(data, size);
  const unsigned step_ms = 50u + in.byte() * 20u;
  std::string_view readings[8];
  oomlab::fuzz::split_nul(in.rest(), readings);

  // The threshold comes from the last piece, as a user would type it.
  oomlab::watchdog::PressureThreshold t;
  try {
    t = oomlab::watchdog::parse_pressure_threshold("pressure-above", std::string(readings[7]));
    (void)oomlab::watchdog::format_pressure_threshold(t);
  } catch (const oomlab::watchdog::UsageError&) {
    t.some = 25;
    t.full = 10;
  }

  oomlab::watchdog::PressureTracker tracker;
  std::vector<oomlab::facts::PsiPoint> history;
  std::int64_t now = 0;
  for (std::string_view text : readings) {
    auto r = oomlab::facts::parse_psi(text);
    if (!r) continue;
    now += step_ms;
    const oomlab::facts::PsiPoint p = oomlab::facts::psi_point(now, *r);
    const oomlab::facts::PsiShare share = oomlab::facts::psi_window_share(history, p, oomlab::facts::kStallPsiWindow);
    if (share.some > 1 || share.full > 1 || (share.some < 0 && share.some != -1)) __builtin_trap();
    if (!history.empty()) {
      const double d = oomlab::facts::psi_share(history.back().some_us, p.some_us, step_ms * 1000);
      if (d > 1 || (d < 0 && d != -1)) __builtin_trap();
    }
    history.push_back(p);
    const bool above = tracker.update(*r, now, t);
    // Pressing implies an episode; a dip may keep one going (the relief window).
    if (above != tracker.pressing() || (above && !tracker.above()) || tracker.above_for(now) < 0 ||
        tracker.episode_for(now) < tracker.above_for(now))
      __builtin_trap();
    const double s = tracker.recent_some(), f = tracker.recent_full();
    (void)s;
    (void)f;
    if (above && (now & 1)) tracker.restart(now);
  }
  return 0;
}
