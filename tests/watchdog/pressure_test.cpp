// --pressure-above (PSI parsing: tests/facts/psi_test.cpp), the pressure clock, and the mapping of a
// watched cgroupfs directory to its cgroup path.
#include <gtest/gtest.h>

#include <algorithm>
#include <vector>

#include "oomlab/watchdog/cgroup_view.hpp"
#include "oomlab/watchdog/options.hpp"
#include "oomlab/watchdog/pressure.hpp"

using namespace oomlab::watchdog;

namespace {

oomlab::facts::PsiReading reading(double some, double full, std::uint64_t some_total, std::uint64_t full_total) {
  oomlab::facts::PsiReading r;
  r.some_avg10 = some;
  r.full_avg10 = full;
  r.some_total_us = some_total;
  r.full_total_us = full_total;
  r.has_full = true;
  return r;
}

}  // namespace

TEST(Psi, ThresholdSpec) {
  auto t = parse_pressure_threshold("pressure-above", "full=40,some=60");
  EXPECT_DOUBLE_EQ(t.full, 40);
  EXPECT_DOUBLE_EQ(t.some, 60);
  EXPECT_EQ(format_pressure_threshold(t), "full=40,some=60");
  EXPECT_EQ(format_pressure_threshold(parse_pressure_threshold("p", "some=12.5")), "some=12.5");
  EXPECT_FALSE(parse_pressure_threshold("p", "off").enabled());
  for (const char* bad : {"", "full", "full=0", "full=101", "avg=10", "full=40,", "full=x"})
    EXPECT_THROW(parse_pressure_threshold("p", bad), UsageError) << bad;
}

TEST(Psi, ProfilesAndFlag) {
  const char* desktop[] = {"oomlab-watchdog", "--profile", "desktop"};
  EXPECT_EQ(format_pressure_threshold(parse_args(3, desktop).options.pressure_above), "full=40,some=60");
  const char* server[] = {"oomlab-watchdog"};
  EXPECT_EQ(format_pressure_threshold(parse_args(1, server).options.pressure_above), "full=60");
  const char* flag[] = {"oomlab-watchdog", "--pressure-above", "some=25"};
  EXPECT_EQ(format_pressure_threshold(parse_args(3, flag).options.pressure_above), "some=25");
  const char* bad[] = {"oomlab-watchdog", "--pressure-above", "lots"};
  EXPECT_THROW(parse_args(3, bad), UsageError);
}

namespace {

// Synthetic PSI: the "some" line stalls `share` (0..1) of every
// millisecond from onset_ms on; total= is the cumulative stall in us. avg10
// is given as the kernel's lagging average would be: 0 throughout, so only
// the recent share can start the clock.
struct SyntheticPsi {
  std::int64_t onset_ms;
  double share;
  std::int64_t stop_ms = 1 << 30;
  oomlab::facts::PsiReading at(std::int64_t ms) const {
    std::int64_t stalled = std::max<std::int64_t>(0, std::min(ms, stop_ms) - onset_ms);
    auto total = static_cast<std::uint64_t>(static_cast<double>(stalled) * 1000.0 * share);
    return reading(0, 0, total, total / 2);
  }
};

// Feeds readings at the given times; returns the first time at which the
// clock has run for kill_after (the engine's kill condition), or -1.
std::int64_t first_kill_time(PressureTracker& p, const SyntheticPsi& psi, const std::vector<std::int64_t>& times,
                             const PressureThreshold& t, std::int64_t kill_after) {
  for (std::int64_t ms : times) {
    p.update(psi.at(ms), ms, t);
    if (p.above_for(ms) >= kill_after) return ms;
  }
  return -1;
}

std::vector<std::int64_t> every(std::int64_t from, std::int64_t to, std::int64_t step) {
  std::vector<std::int64_t> v;
  for (std::int64_t ms = from; ms <= to; ms += step) v.push_back(ms);
  return v;
}

}  // namespace

TEST(PressureTracker, TheClockStartsAtTheOnsetNotWhenAvg10Rises) {
  const PressureThreshold t{25, -1};
  // Full thrash, a reading every 500 ms: kill condition at most
  // kill_after + 1 s after the onset, never before the onset + kill_after.
  for (std::int64_t onset : {10000, 10100, 10250, 10499}) {
    PressureTracker p;
    SyntheticPsi psi{onset, 1.0};
    std::int64_t kill = first_kill_time(p, psi, every(0, 40000, 500), t, 5000);
    ASSERT_GE(kill, 0) << onset;
    EXPECT_LE(kill, onset + 5000 + 1000) << onset;
    EXPECT_GE(kill, onset + 5000) << onset;
  }
  // Half the time stalled (two tasks taking turns): still within the bound.
  PressureTracker p;
  SyntheticPsi half{10000, 0.5};
  std::int64_t kill = first_kill_time(p, half, every(0, 40000, 500), t, 5000);
  ASSERT_GE(kill, 0);
  EXPECT_LE(kill, 10000 + 5000 + 1000);
}

TEST(PressureTracker, SparseReadingsBeforeTheOnsetDoNotDiluteTheShare) {
  // Idle: one reading at 0, the next when the PSI trigger wakes the loop
  // 200 ms after the onset, then one per period.
  const PressureThreshold t{25, -1};
  PressureTracker p;
  SyntheticPsi psi{30000, 1.0};
  std::vector<std::int64_t> times{0};
  for (std::int64_t ms : every(30200, 60000, 500)) times.push_back(ms);
  std::int64_t kill = first_kill_time(p, psi, times, t, 5000);
  ASSERT_GE(kill, 0);
  EXPECT_LE(kill, 30000 + 5000 + 1000);
  EXPECT_GE(kill, 30000 + 5000);
}

TEST(PressureTracker, BelowTheThresholdOrAfterTheStallNotAbove) {
  const PressureThreshold t{25, -1};
  // 20% stalled: never above, whatever avg10 says.
  PressureTracker low;
  SyntheticPsi psi{0, 0.2};
  for (std::int64_t ms : every(0, 20000, 500)) {
    oomlab::facts::PsiReading r = psi.at(ms);
    r.some_avg10 = 90;
    EXPECT_FALSE(low.update(r, ms, t)) << ms;
  }
  EXPECT_NEAR(low.recent_some(), 20.0, 0.01);
  // The stall stops at 10 s: the share falls below 25% within 2 s (avg10
  // would stay high for many seconds), and the clock resets once it has
  // stayed below for the relief window.
  PressureTracker p;
  SyntheticPsi stops{0, 1.0, 10000};
  std::int64_t below_at = -1, reset_at = -1;
  for (std::int64_t ms : every(0, 20000, 500)) {
    bool pressing = p.update(stops.at(ms), ms, t);
    if (ms == 9500) {
      EXPECT_TRUE(pressing);
    }
    if (ms > 10000 && !pressing && below_at < 0) below_at = ms;
    if (ms > 10000 && !p.above() && reset_at < 0) reset_at = ms;
    if (!pressing) {
      EXPECT_EQ(p.above_for(ms), 0) << ms;
    }
  }
  ASSERT_GE(below_at, 0);
  EXPECT_LE(below_at, 10000 + 2000);
  ASSERT_GE(reset_at, 0);
  EXPECT_EQ(reset_at, below_at + PressureTracker::kReliefMs);
  EXPECT_EQ(p.above_for(20000), 0);
  EXPECT_EQ(p.episode_for(20000), 0);
}

namespace {

// PSI made of segments: the "some" line stalls `share` of each millisecond
// in [from_ms, to_ms).
struct Segment {
  std::int64_t from_ms, to_ms;
  double share;
};

oomlab::facts::PsiReading segmented(const std::vector<Segment>& segs, std::int64_t ms) {
  double stalled_ms = 0;
  for (const Segment& s : segs)
    if (ms > s.from_ms) stalled_ms += static_cast<double>(std::min(ms, s.to_ms) - s.from_ms) * s.share;
  auto total = static_cast<std::uint64_t>(stalled_ms * 1000.0);
  return reading(0, 0, total, total / 2);
}

}  // namespace

// The clock rule, row by row: a reading every 500 ms, --pressure-above
// some=25, --kill-after 5s. `kill_from`..`kill_to`: the window the kill
// condition (clock past 5 s and the share above at that reading) must first
// hold in; -1: it must never hold.
TEST(PressureTracker, ClockRuleTable) {
  struct Row {
    const char* what;
    std::vector<Segment> psi;
    std::int64_t kill_from, kill_to;
  };
  const std::vector<Row> rows = {
      {"sustained thrash from 10 s: within --kill-after + 1 s", {{10000, 40000, 1.0}}, 15000, 16000},
      // The host's thrash: the 2 s share hovers around 25%, dipping under it
      // for about a second every few seconds. The old clock restarted at each
      // dip and killed late or never; it is one thrash.
      {"hovering share with 1 s dips: within --kill-after + 1 s",
       {{10000, 13000, 0.45}, {13000, 14000, 0.0}, {14000, 17000, 0.45}, {17000, 18000, 0.0}, {18000, 40000, 0.45}},
       15000, 16000},
      {"a 3 s burst, then quiet: never (the dip inside the clock is no kill)", {{10000, 13000, 1.0}}, -1, -1},
      {"two 3 s bursts 4 s apart: never (the quiet resets the clock)",
       {{10000, 13000, 1.0}, {17000, 20000, 1.0}}, -1, -1},
      {"steady 20%: never", {{0, 40000, 0.2}}, -1, -1},
      // The share lags the stall by its window: 5 s without stall keep it
      // below for >= 2 s, which ends the first episode; the thrash after it
      // counts from its own onset.
      {"burst, 5 s quiet, then a sustained thrash: counted from the second onset",
       {{10000, 13000, 1.0}, {18000, 40000, 1.0}}, 23000, 24000},
  };
  const PressureThreshold t{25, -1};
  for (const Row& row : rows) {
    PressureTracker p;
    std::int64_t kill = -1;
    for (std::int64_t ms : every(0, 40000, 500)) {
      p.update(segmented(row.psi, ms), ms, t);
      if (p.above_for(ms) >= 5000) {
        kill = ms;
        break;
      }
    }
    if (row.kill_from < 0) {
      EXPECT_EQ(kill, -1) << row.what;
    } else {
      EXPECT_GE(kill, row.kill_from) << row.what;
      EXPECT_LE(kill, row.kill_to) << row.what;
    }
  }
}

TEST(PressureTracker, NoShareInTheFirstSecondAndTheFullLine) {
  PressureThreshold t{-1, 40};
  PressureTracker p;
  // No history: no share, not above (avg10 is not a witness any more).
  EXPECT_FALSE(p.update(reading(90, 90, 0, 0), 0, t));
  EXPECT_LT(p.recent_full(), 0);
  EXPECT_FALSE(p.update(reading(90, 90, 500000, 500000), 500, t));
  // 50% full stall over a second: above, clock back-dated by the 500 ms stalled.
  EXPECT_TRUE(p.update(reading(0, 0, 500000, 500000), 1000, t));
  EXPECT_NEAR(p.recent_full(), 50.0, 0.01);
  EXPECT_EQ(p.above_for(1000), 500);
  p.restart(1500);
  EXPECT_EQ(p.above_for(2000), 500);
}

TEST(CgroupPath, OfAWatchedDirectory) {
  const char* mounts =
      "sysfs /sys sysfs rw 0 0\n"
      "tmpfs /sys/fs/cgroup tmpfs ro 0 0\n"
      "cgroup2 /sys/fs/cgroup/unified cgroup2 rw,nsdelegate 0 0\n"
      "cgroup /sys/fs/cgroup/memory cgroup rw,memory 0 0\n";
  EXPECT_EQ(cgroup_path_of_dir("/sys/fs/cgroup/unified/oomlab/repro-1", mounts), "/oomlab/repro-1");
  EXPECT_EQ(cgroup_path_of_dir("/sys/fs/cgroup/unified/oomlab/repro-1/", mounts), "/oomlab/repro-1");
  EXPECT_EQ(cgroup_path_of_dir("/sys/fs/cgroup/unified", mounts), "/");
  EXPECT_EQ(cgroup_path_of_dir("/sys/fs/cgroup/memory/a", mounts), "/a");
  EXPECT_EQ(cgroup_path_of_dir("/sys/fs/cgroup/unifiedx/a", mounts), "");
  EXPECT_EQ(cgroup_path_of_dir("/tmp/x", mounts), "");
  EXPECT_EQ(cgroup_path_of_dir("/sys/fs/cgroup/x", "cgroup2 /sys/fs/cgroup cgroup2 rw 0 0\n"), "/x");
}
