// PSI parsing, --pressure-above, the pressure clock, and the mapping of a
// watched cgroupfs directory to its cgroup path.
#include <gtest/gtest.h>

#include "oomlab/watchdog/cgroup_view.hpp"
#include "oomlab/watchdog/options.hpp"
#include "oomlab/watchdog/pressure.hpp"

using namespace oomlab::watchdog;

namespace {

PsiReading reading(double some, double full, std::uint64_t some_total, std::uint64_t full_total) {
  PsiReading r;
  r.some_avg10 = some;
  r.full_avg10 = full;
  r.some_total_us = some_total;
  r.full_total_us = full_total;
  r.has_full = true;
  return r;
}

}  // namespace

TEST(Psi, ParsesSomeAndFull) {
  auto r = parse_psi("some avg10=61.50 avg60=20.00 avg300=3.00 total=123456\nfull avg10=42.25 avg60=1.00 avg300=0.00 total=789\n");
  ASSERT_TRUE(r);
  EXPECT_DOUBLE_EQ(r->some_avg10, 61.5);
  EXPECT_DOUBLE_EQ(r->full_avg10, 42.25);
  EXPECT_EQ(r->some_total_us, 123456u);
  EXPECT_EQ(r->full_total_us, 789u);
  EXPECT_TRUE(r->has_full);
  // cpu.pressure on old kernels: no full line.
  auto s = parse_psi("some avg10=1.00 avg60=0.00 avg300=0.00 total=5\n");
  ASSERT_TRUE(s);
  EXPECT_FALSE(s->has_full);
  EXPECT_FALSE(parse_psi(""));
  EXPECT_FALSE(parse_psi("some avg10=x avg60=0 avg300=0 total=1\n"));
  EXPECT_FALSE(parse_psi("some avg10=1.0 avg60=0 avg300=0\n"));
}

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

TEST(PressureTracker, AboveOnlyWhileAvg10AndTheRecentShareAgree) {
  PressureThreshold t{-1, 40};
  PressureTracker p;
  // 50% full stall: 500 ms of stall per 1000 ms.
  std::uint64_t total = 0;
  EXPECT_TRUE(p.update(reading(60, 50, total, total), 0, t));  // avg10 alone until 2 s of history
  for (std::int64_t ms = 1000; ms <= 5000; ms += 1000) {
    total += 500000;
    EXPECT_TRUE(p.update(reading(60, 50, total, total), ms, t)) << ms;
  }
  EXPECT_EQ(p.above_for(5000), 5000);
  EXPECT_NEAR(p.recent_full(), 50.0, 0.01);
  // The stall stops; avg10 lags (still 45) but the last 2 s hold only
  // 500 ms of stall (25%), then none: not above.
  EXPECT_FALSE(p.update(reading(55, 45, total, total), 6000, t));
  EXPECT_NEAR(p.recent_full(), 25.0, 0.01);
  EXPECT_FALSE(p.update(reading(50, 45, total, total), 7000, t));
  EXPECT_EQ(p.above_for(7000), 0);
  // avg10 below the threshold: not above even with a high recent share.
  total += 900000;
  EXPECT_FALSE(p.update(reading(30, 30, total, total), 8000, t));
}

TEST(PressureTracker, SomeLineAndRestart) {
  PressureThreshold t{60, -1};
  PressureTracker p;
  EXPECT_FALSE(p.update(reading(59, 90, 0, 0), 0, t));
  EXPECT_TRUE(p.update(reading(61, 0, 0, 0), 1000, t));
  EXPECT_TRUE(p.update(reading(61, 0, 0, 0), 1500, t));
  EXPECT_EQ(p.above_for(1500), 500);
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
