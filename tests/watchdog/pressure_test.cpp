// --pressure-above (PSI parsing: tests/facts/psi_test.cpp), the pressure clock, and the mapping of a
// watched cgroupfs directory to its cgroup path.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

#include "oomlab/facts/stall.hpp"
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

// What oomlab-repro's outcome says of the same PSI: its stall model
// (facts::find_stall_episodes with the runner's rules) over readings every
// 50 ms (the bench's --period), the share over facts::kStallPsiWindow.
struct RunnerStall {
  std::int64_t first_stalled_ms = -1, start_ms = -1;
};
template <class Psi>
RunnerStall runner_stall(const Psi& psi, std::int64_t until_ms) {
  std::vector<oomlab::facts::PsiPoint> points;
  std::vector<oomlab::facts::ProgressSample> samples;
  for (std::int64_t ms = 0; ms <= until_ms; ms += 50) {
    points.push_back(oomlab::facts::psi_point(ms, psi.at(ms)));
    oomlab::facts::ProgressSample s;
    s.t_ms = ms;
    s.psi_share = oomlab::facts::psi_series_share(points.size() - 1, [&](std::size_t k) {
      return std::optional<oomlab::facts::PsiPoint>(points[k]);
    }, oomlab::facts::kStallPsiWindow).some;
    samples.push_back(s);
  }
  oomlab::facts::StallRules rules;
  rules.psi_share = 0.25;
  RunnerStall r;
  auto episodes = oomlab::facts::find_stall_episodes(samples, rules);
  if (episodes.empty()) return r;
  r.start_ms = episodes.front().start_ms;
  for (const auto& s : samples)
    if (s.t_ms > r.start_ms) {
      r.first_stalled_ms = s.t_ms;
      break;
    }
  return r;
}

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
  // Full thrash, a reading every 500 ms: the kill condition holds at most
  // kill_after + 1 s after the runner's first stalled sample, and not before
  // kill_after after the start the runner gives its stall, less a reading
  // period (both put the onset in the interval before the first reading
  // above).
  for (std::int64_t onset : {10000, 10100, 10250, 10499}) {
    PressureTracker p;
    SyntheticPsi psi{onset, 1.0};
    const RunnerStall runner = runner_stall(psi, 40000);
    std::int64_t kill = first_kill_time(p, psi, every(0, 40000, 500), t, 5000);
    ASSERT_GE(kill, 0) << onset;
    EXPECT_LE(kill, runner.first_stalled_ms + 5000 + 1000) << onset;
    EXPECT_GE(kill, runner.start_ms + 5000 - 500) << onset;
  }
  // Half the time stalled (two tasks taking turns): still within the bound.
  PressureTracker p;
  SyntheticPsi half{10000, 0.5};
  std::int64_t kill = first_kill_time(p, half, every(0, 40000, 500), t, 5000);
  ASSERT_GE(kill, 0);
  EXPECT_LE(kill, runner_stall(half, 40000).first_stalled_ms + 5000 + 1000);
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
  std::int64_t below_at = -1, reset_at = -1, last_above = -1;
  for (std::int64_t ms : every(0, 20000, 500)) {
    bool pressing = p.update(stops.at(ms), ms, t);
    if (p.recent_some() >= 25) last_above = ms;
    if (ms == 9500) {
      EXPECT_TRUE(pressing);
    }
    if (ms > 10000 && p.recent_some() < 25 && below_at < 0) {
      below_at = ms;
      EXPECT_TRUE(pressing) << "the first reading below is a one-reading dip";
    }
    if (ms > 10000 && !p.above() && reset_at < 0) reset_at = ms;
    if (!pressing) {
      EXPECT_EQ(p.above_for(ms), 0) << ms;
    }
  }
  ASSERT_GE(below_at, 0);
  EXPECT_LE(below_at, 10000 + 1000);
  ASSERT_GE(reset_at, 0);
  // The model's gap rule: the episode ends at the first reading more than
  // kReliefMs after the last stalled one.
  EXPECT_GT(reset_at, last_above + PressureTracker::kReliefMs);
  EXPECT_LE(reset_at, last_above + PressureTracker::kReliefMs + 500);
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
      // The host's thrash: the share hovers around 25%, dipping under it
      // for about a second every few seconds. The old clock restarted at each
      // dip and killed late or never; it is one thrash.
      {"hovering share with 1 s dips: within --kill-after + 1 s",
       {{10000, 13000, 0.45}, {13000, 14000, 0.0}, {14000, 17000, 0.45}, {17000, 18000, 0.0}, {18000, 40000, 0.45}},
       15000, 16000},
      // The host's thrash as the fixtures show it: storms with 2-3 s of
      // relief between them. One episode: the clock runs from the first
      // onset, and the kill comes with the first storm past --kill-after.
      {"storms with 2.5 s of relief: one episode, killed in the storm past --kill-after",
       {{10000, 12000, 0.6}, {14500, 16500, 0.6}, {19000, 21000, 0.6}}, 15000, 15500},
      {"storms with 3 s of relief, the kill due in the relief: at the next storm",
       {{10000, 12000, 0.6}, {15000, 16000, 0.6}, {19000, 21000, 0.6}}, 15500, 16000},
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

// Page-in waits (the runner's model counts them when the group has some
// memory PSI and they are held for a second) keep an episode the share
// opened going, but never open one: a reading every 500 ms, some=25,
// --kill-after 5s; `io` tasks in page-in waits at every reading from io_from_ms.
TEST(PressureTracker, PageInWaitsKeepAnEpisodeTheShareOpened) {
  struct Row {
    const char* what;
    std::vector<Segment> psi;
    int io;
    std::int64_t io_from_ms, kill_from, kill_to;
  };
  const std::vector<Row> rows = {
      {"a storm, then 10% with readers held in page-in waits: one episode, killed",
       {{10000, 11500, 0.6}, {11500, 40000, 0.1}}, 2, 11000, 15000, 15500},
      {"the same storm and 10% without blocked readers: the episode ends, never",
       {{10000, 11500, 0.6}, {11500, 40000, 0.1}}, 0, 0, -1, -1},
      {"10% with readers in page-in waits throughout (a slow disk): never opens",
       {{0, 40000, 0.1}}, 3, 0, -1, -1},
      {"a storm, then page-in waits without memory PSI: not memory, never",
       {{10000, 11500, 0.6}}, 2, 11000, -1, -1},
  };
  const PressureThreshold t{25, -1};
  for (const Row& row : rows) {
    PressureTracker p;
    std::int64_t kill = -1;
    for (std::int64_t ms : every(0, 40000, 500)) {
      GroupWaits waits{};
      if (ms >= row.io_from_ms) waits[static_cast<std::size_t>(oomlab::facts::WaitKind::Io)] = row.io;
      p.update(segmented(row.psi, ms), ms, t, waits);
      if (p.above_for(ms) >= 5000) {
        kill = ms;
        break;
      }
    }
    if (row.kill_from < 0) {
      EXPECT_EQ(kill, -1) << row.what;
      EXPECT_FALSE(p.above()) << row.what;
    } else {
      EXPECT_GE(kill, row.kill_from) << row.what;
      EXPECT_LE(kill, row.kill_to) << row.what;
    }
  }
}

TEST(PressureTracker, NoShareInTheFirstHalfSecondAndTheFullLine) {
  PressureThreshold t{-1, 40};
  PressureTracker p;
  // No history: no share, not above (avg10 is not a witness any more).
  EXPECT_FALSE(p.update(reading(90, 90, 0, 0), 0, t));
  EXPECT_LT(p.recent_full(), 0);
  // 400 ms after the first reading: too short a window for a share.
  EXPECT_FALSE(p.update(reading(90, 90, 400000, 400000), 400, t));
  EXPECT_LT(p.recent_full(), 0);
  // 50% full stall over a second: above; the clock starts at the previous
  // reading (the runner's onset rule).
  EXPECT_TRUE(p.update(reading(0, 0, 500000, 500000), 1000, t));
  EXPECT_NEAR(p.recent_full(), 50.0, 0.01);
  EXPECT_EQ(p.above_for(1000), 600);
  p.restart(1500);
  EXPECT_EQ(p.above_for(2000), 500);
}

TEST(PressureTracker, TheOnsetReachesBackOneWindowAtMost) {
  // Woken from idle: the previous reading is 1.8 s old (within the two
  // windows a share may span), the share over it is above. The runner's
  // stall cannot have begun before the window its share covers: the clock
  // starts at most one window back.
  const PressureThreshold t{25, -1};
  PressureTracker p;
  EXPECT_FALSE(p.update(reading(0, 0, 0, 0), 0, t));
  EXPECT_FALSE(p.update(reading(0, 0, 0, 0), 10000, t));
  EXPECT_TRUE(p.update(reading(0, 0, 900000, 0), 11800, t));
  EXPECT_EQ(p.above_for(11800), 1000);
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

namespace {

// A fixture of real PSI readings: the watched group's memory.pressure, read
// every 50 ms through a whole oomlab-repro page-cache-thrash run on the host
// (no guard; tests/watchdog/fixtures/README.md says how it was captured).
// "@ T_MS" opens a reading, the file's text follows (parsed by facts, the
// one PSI parser); '#' lines are comments.
struct RealReading {
  std::int64_t t_ms;
  oomlab::facts::PsiReading psi;
};

std::vector<RealReading> load_psi_fixture(const std::string& name) {
  std::ifstream in(std::string(OOMLAB_SOURCE_DIR) + "/tests/watchdog/fixtures/" + name);
  std::vector<RealReading> out;
  std::string line, text;
  std::int64_t t = -1;
  auto flush = [&] {
    if (t < 0) return;
    auto r = oomlab::facts::parse_psi(text);
    EXPECT_TRUE(r.has_value()) << name << " at " << t << " ms";
    if (r) out.push_back({t, *r});
  };
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    if (line.rfind("@ ", 0) == 0) {
      flush();
      t = std::stoll(line.substr(2));
      text.clear();
    } else {
      text += line + "\n";
    }
  }
  flush();
  return out;
}

// The fixture as the runner's PSI stall model sees it (every reading, the
// runner's window and share): its episodes.
std::vector<oomlab::facts::StallEpisode> runner_episodes(const std::vector<RealReading>& rs) {
  std::vector<oomlab::facts::ProgressSample> samples;
  for (std::size_t i = 0; i < rs.size(); ++i) {
    oomlab::facts::ProgressSample s;
    s.t_ms = rs[i].t_ms;
    s.psi_share = oomlab::facts::psi_series_share(i, [&](std::size_t k) {
      return std::optional<oomlab::facts::PsiPoint>(oomlab::facts::psi_point(rs[k].t_ms, rs[k].psi));
    }, oomlab::facts::kStallPsiWindow).some;
    samples.push_back(s);
  }
  oomlab::facts::StallRules rules;
  rules.psi_share = 0.25;
  return oomlab::facts::find_stall_episodes(samples, rules);
}

}  // namespace

// The onset and the kill on real readings: the watchdog reads every 500 ms
// (the bench's --period), at every phase against the runner's 50 ms samples.
// Its share at a reading is the runner's share at that sample (same window,
// same totals), so:
// - its clock starts in the interval the runner puts the onset of its first
//   stalled episode in: at most one reading period before the runner's
//   episode start, never after it (one runner sample of jitter);
// - it does not restart across the relief between the runner's episodes
//   while that relief is at most 2.9 s (the storms of a thrash: fixture 1
//   has 2.05 s and 2.9 s between them), and it does restart after a longer
//   quiet (fixture 2: 3.6 s);
// - the kill falls due at the first reading at or after onset + --kill-after
//   at which the runner's model says stalled (give or take the reading's
//   phase), never before onset + --kill-after;
// - a runner episode of 6 s or more (fixture 2's 12.3 s livelock) brings the
//   kill within --kill-after + 1 s of its first stalled sample.
TEST(PressureTracker, RealThrashFixturesOnsetAndKill) {
  const std::int64_t period = 500, kill_after = 5000, bridged_gap = 2900;
  for (const char* name : {"page-cache-thrash-psi-1.txt", "page-cache-thrash-psi-2.txt"}) {
    const std::vector<RealReading> rs = load_psi_fixture(name);
    ASSERT_GT(rs.size(), 300u) << name;
    const auto episodes = runner_episodes(rs);
    ASSERT_FALSE(episodes.empty()) << name;
    auto first_stalled = [&](std::int64_t after_ms) {
      for (const RealReading& r : rs)
        if (r.t_ms > after_ms) return r.t_ms;
      return after_ms;
    };
    // Whether the runner says stalled at a time (inside one of its episodes).
    auto runner_stalled = [&](std::int64_t ms) {
      for (const auto& e : episodes)
        if (ms > e.start_ms && ms <= e.end_ms) return true;
      return false;
    };
    // The runner's episodes joined where the relief is at most bridged_gap:
    // [first, last] indexes of each chain.
    std::vector<std::pair<std::size_t, std::size_t>> chains;
    for (std::size_t i = 0; i < episodes.size(); ++i)
      if (!chains.empty() && episodes[i].start_ms - episodes[chains.back().second].end_ms <= bridged_gap)
        chains.back().second = i;
      else
        chains.emplace_back(i, i);
    int kills = 0, bridged = 0;
    for (std::int64_t phase = 0; phase < period; phase += 50) {
      PressureTracker p;
      std::int64_t onset = -1, kill = -1, last_t = -1;
      bool crossed = false;
      for (const RealReading& r : rs) {
        // The fixture's readings are ~50 ms apart: the watchdog's are the
        // first of each 500 ms slot from the phase on.
        if (r.t_ms < phase || (last_t >= 0 && r.t_ms - last_t < period)) continue;
        last_t = r.t_ms;
        const bool was_above = p.above();
        p.update(r.psi, r.t_ms, PressureThreshold{25, -1});
        if (!was_above && p.above()) {
          onset = r.t_ms - p.episode_for(r.t_ms);
          crossed = false;
          // The runner's episode this clock belongs to: the first one that
          // had not ended by the onset. The clock starts in the interval
          // before it (never after it: one runner sample of timing jitter).
          const oomlab::facts::StallEpisode* e = nullptr;
          for (const auto& ep : episodes)
            if (!e && ep.end_ms >= onset) e = &ep;
          ASSERT_NE(e, nullptr) << name << " phase " << phase << ": above at " << r.t_ms << " ms, no runner stall";
          EXPECT_GE(onset, e->start_ms - period) << name << " phase " << phase << " at " << r.t_ms;
          EXPECT_LE(onset, e->start_ms + 50) << name << " phase " << phase << " at " << r.t_ms;
          // A clock that starts inside a chain of storms starts in its first
          // one, or in one the readings missed (a storm of a few hundred ms
          // can fall between two readings), never after a relief it bridges.
          for (const auto& [first, last] : chains) {
            if (onset < episodes[first].start_ms - period || onset > episodes[last].end_ms) continue;
            for (std::size_t i = first + 1; i <= last; ++i)
              if (episodes[i - 1].length_ms() >= period) {
                EXPECT_LE(onset, episodes[i - 1].end_ms) << name << " phase " << phase << ": restarted at " << onset
                                                         << " after the " << episodes[i].start_ms - episodes[i - 1].end_ms
                                                         << " ms relief before " << episodes[i].start_ms;
                break;
              }
          }
        }
        // The clock running from before a relief the runner's chain bridges
        // to a reading after it: one bridge (counted once per phase).
        if (p.above() && onset >= 0 && !crossed)
          for (const auto& [first, last] : chains)
            for (std::size_t i = first + 1; i <= last; ++i)
              if (onset <= episodes[i - 1].end_ms && r.t_ms > episodes[i].start_ms) crossed = true;
        if (p.above_for(r.t_ms) >= kill_after) {
          kill = r.t_ms;
          break;
        }
      }
      bridged += crossed;
      if (kill >= 0) {
        ++kills;
        EXPECT_GE(kill, onset + kill_after) << name << " phase " << phase;
        // The first reading past the clock's bound where the runner says
        // stalled (or at the reading after a one-reading dip): a reading at
        // most a period after the runner's first stalled sample there.
        std::int64_t due = onset + kill_after;
        while (due < rs.back().t_ms && !runner_stalled(due)) due += 50;
        EXPECT_LE(kill, due + period + 50) << name << " phase " << phase;
      }
      for (const auto& e : episodes)
        if (e.length_ms() >= kill_after + 1000) {
          EXPECT_GE(kill, 0) << name << " phase " << phase << ": no kill in a " << e.length_ms() << " ms stall";
          EXPECT_LE(kill, first_stalled(e.start_ms) + kill_after + 1000) << name << " phase " << phase;
        }
      std::printf("%s, reading phase %lld ms: onset %lld, kill %lld ms\n", name, static_cast<long long>(phase),
                  static_cast<long long>(onset), static_cast<long long>(kill));
    }
    EXPECT_GT(kills, 0) << name;
    if (std::string(name) == "page-cache-thrash-psi-1.txt") {
      // Its storms are 2.05 s and 2.9 s apart: at every phase the clock
      // runs across one of them to the kill.
      EXPECT_EQ(bridged, static_cast<int>(period / 50)) << name << ": phases whose clock ran across a relief";
    }
  }
}
