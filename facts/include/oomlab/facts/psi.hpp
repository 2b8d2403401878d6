// Pressure stall information, parsed and turned into "share of time stalled"
// in ONE place: the system file /proc/pressure/memory and a cgroup2 group's
// memory.pressure have the same format
//   some avg10=1.00 avg60=0.50 avg300=0.10 total=123456
//   full avg10=0.50 avg60=0.20 avg300=0.05 total=65432
// where avg* are the kernel's running averages in percent and total= is the
// cumulative stall in microseconds. The share over a window comes from two
// total= readings and the time between them - exact over that window, unlike
// avg10, whose 10 s smoothing needs seconds to rise past a threshold and
// seconds to fall after a kill that helped.
// Used by the cgroups library, the runner (samples and outcome), the watchdog
// (--pressure-above) and the peers bench. Nothing here reads a file; the
// parser never allocates (the watchdog calls it every period).
#pragma once
#include <cstdint>
#include <limits>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

namespace oomlab::facts {

// Where memory PSI lives.
inline constexpr const char* kSystemMemoryPsi = "/proc/pressure/memory";
inline constexpr const char* kCgroupMemoryPsi = "memory.pressure";  // in a cgroup2 group's directory

// One reading of a PSI file. has_full is false when the file has no "full"
// line (the system cpu file before 5.13; a truncated read): full_* stay 0.
struct PsiReading {
  double some_avg10 = 0, some_avg60 = 0, some_avg300 = 0;
  double full_avg10 = 0, full_avg60 = 0, full_avg300 = 0;
  std::uint64_t some_total_us = 0, full_total_us = 0;
  bool has_full = false;
};

// nullopt when there is no "some" line, or a some/full line lacks one of
// avg10/avg60/avg300/total or has a malformed number. Other lines are
// skipped (a later kernel may add some).
std::optional<PsiReading> parse_psi(std::string_view text);
// A percentage as the kernel prints it ("12.34") - also the form of the
// watchdog's --pressure-above values: the whole text must be the number.
// Never allocates.
bool parse_psi_percent(std::string_view s, double& out);

// Share of elapsed_us during which tasks stalled, from two total= readings
// of the same line, in [0, 1]. Capped at 1: the two reads and the clock
// reads around them are not at one instant, so a fully stalled interval can
// count a few microseconds more stall than time. -1 when unknown: no time
// passed, or the counter went backwards (the group was re-created).
double psi_share(std::uint64_t before_us, std::uint64_t after_us, std::int64_t elapsed_us);

// A reading at a time, for shares over a window.
struct PsiPoint {
  std::int64_t t_ms = 0;
  std::uint64_t some_us = 0, full_us = 0;
  bool has_full = false;
};
inline PsiPoint psi_point(std::int64_t t_ms, const PsiReading& r) {
  return {t_ms, r.some_total_us, r.full_total_us, r.has_full};
}

// Which earlier reading a share over a window is measured from: the newest
// one at least window_ms old, unless it is older than stale_ms (the reader
// slept, readings are sparse, and a share over a long quiet stretch would
// dilute a fresh stall); else the oldest one of the window that is at least
// shortest_ms old (the start of a series, or after a sparse stretch).
struct PsiWindowRule {
  std::int64_t window_ms = 1000;
  std::int64_t stale_ms = std::numeric_limits<std::int64_t>::max();
  std::int64_t shortest_ms = 1;
};
// The runner's stall window, which the peers bench reads its timelines with
// too: 1 s smooths 100 ms samples without avg10's lag; any older reading
// will do at the start of a run.
inline constexpr PsiWindowRule kStallPsiWindow{};

struct PsiShare {
  double some = -1, full = -1;              // [0, 1]; -1 = unknown
  std::int64_t window_ms = 0;               // 0 = no reference reading
  std::uint64_t some_stall_us = 0, full_stall_us = 0;  // the stall the window holds
};

// The share over the window ending at `now`. history: earlier readings,
// oldest first (older than `now`).
PsiShare psi_window_share(std::span<const PsiPoint> history, const PsiPoint& now, const PsiWindowRule& rule);

// The same for element i of a series whose element k gives its reading by
// point_at(k) -> std::optional<PsiPoint> (nullopt: no reading then, which
// is skipped): walks back only as far as the window needs.
template <class PointAt>
PsiShare psi_series_share(std::size_t i, PointAt point_at, const PsiWindowRule& rule) {
  std::optional<PsiPoint> now = point_at(i);
  if (!now) return {};
  std::vector<PsiPoint> history;
  for (std::size_t k = i; k-- > 0;) {
    std::optional<PsiPoint> p = point_at(k);
    if (!p) continue;
    history.push_back(*p);
    if (now->t_ms - p->t_ms >= rule.window_ms) break;
  }
  std::vector<PsiPoint> oldest_first(history.rbegin(), history.rend());
  return psi_window_share(oldest_first, *now, rule);
}

}  // namespace oomlab::facts
