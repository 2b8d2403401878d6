// The one PSI parser and the share of time stalled over a window, which the
// cgroups library, the runner's samples and outcome, the watchdog's
// --pressure-above and the peers bench all use.
#include <gtest/gtest.h>

#include <optional>
#include <vector>

#include "oomlab/facts/psi.hpp"

using namespace oomlab::facts;

// /proc/pressure/memory and memory.pressure as a 6.x kernel prints them.
TEST(Psi, ParsesEveryFieldOfSomeAndFull) {
  auto r = parse_psi(
      "some avg10=61.50 avg60=20.00 avg300=3.00 total=123456\n"
      "full avg10=42.25 avg60=1.00 avg300=0.50 total=789\n");
  ASSERT_TRUE(r);
  EXPECT_DOUBLE_EQ(r->some_avg10, 61.5);
  EXPECT_DOUBLE_EQ(r->some_avg60, 20.0);
  EXPECT_DOUBLE_EQ(r->some_avg300, 3.0);
  EXPECT_EQ(r->some_total_us, 123456u);
  EXPECT_DOUBLE_EQ(r->full_avg10, 42.25);
  EXPECT_DOUBLE_EQ(r->full_avg60, 1.0);
  EXPECT_DOUBLE_EQ(r->full_avg300, 0.5);
  EXPECT_EQ(r->full_total_us, 789u);
  EXPECT_TRUE(r->has_full);
}

TEST(Psi, NoFullLineOnOldKernels) {
  // The system cpu file before 5.13 (and any reader cut short) has no "full".
  auto r = parse_psi("some avg10=1.00 avg60=0.00 avg300=0.00 total=5\n");
  ASSERT_TRUE(r);
  EXPECT_FALSE(r->has_full);
  EXPECT_EQ(r->some_total_us, 5u);
  EXPECT_EQ(r->full_total_us, 0u);
  // No trailing newline (a read that returned exactly the text).
  auto cut = parse_psi("some avg10=0.00 avg60=0.00 avg300=0.00 total=0");
  ASSERT_TRUE(cut);
  EXPECT_EQ(cut->some_total_us, 0u);
}

TEST(Psi, LinesOfALaterKernelAreSkipped) {
  auto r = parse_psi("some avg10=0.10 avg60=0.00 avg300=0.00 total=77\nwhatever 1 2 3\n");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->some_total_us, 77u);
}

TEST(Psi, MalformedReadingsAreRejected) {
  for (const char* bad : {"",
                          "\n",
                          "bogus avg10=1\n",
                          "full avg10=0.00 avg60=0.00 avg300=0.00 total=1\n",  // no "some"
                          "some avg10=x avg60=0 avg300=0 total=1\n",
                          "some avg10=1.0 avg60=0 avg300=0\n",                 // no total
                          "some avg10=1.0 avg60=0 total=3\n",                  // no avg300
                          "some avg10=1.0 avg60=0 avg300=0 total=-3\n",
                          "some avg10=1.0 avg60=0 avg300=0 total=12x\n",
                          "some avg10=1.0 avg60=0 avg300=0 total=99999999999999999999999\n",
                          "some avg10=1.00 avg60=0.00 avg300=0.00 total=5\nfull avg10=1.00\n"})
    EXPECT_FALSE(parse_psi(bad)) << bad;
  // A key that only ends like one (xavg10=) is not that key.
  EXPECT_FALSE(parse_psi("some xavg10=1.0 avg60=0 avg300=0 total=3\n"));
}

TEST(Psi, ShareFromTwoTotals) {
  EXPECT_DOUBLE_EQ(psi_share(1'000'000, 1'250'000, 1'000'000), 0.25);
  EXPECT_DOUBLE_EQ(psi_share(7, 7, 500'000), 0.0);
  // The reads around the clock are not one instant: never above 1.
  EXPECT_DOUBLE_EQ(psi_share(0, 1'000'050, 1'000'000), 1.0);
  // Unknown: no time passed, or the counter went back (a new group).
  EXPECT_DOUBLE_EQ(psi_share(0, 10, 0), -1);
  EXPECT_DOUBLE_EQ(psi_share(0, 10, -5), -1);
  EXPECT_DOUBLE_EQ(psi_share(500, 100, 1'000'000), -1);
}

namespace {

// Readings every `step` ms from 0 to `until`; "some" stalls `share` of each
// millisecond from onset_ms on, "full" half as much.
std::vector<PsiPoint> series(std::int64_t step, std::int64_t until, std::int64_t onset_ms, double share) {
  std::vector<PsiPoint> out;
  for (std::int64_t t = 0; t <= until; t += step) {
    const double stalled_ms = t > onset_ms ? static_cast<double>(t - onset_ms) * share : 0;
    PsiPoint p;
    p.t_ms = t;
    p.some_us = static_cast<std::uint64_t>(stalled_ms * 1000);
    p.full_us = p.some_us / 2;
    p.has_full = true;
    out.push_back(p);
  }
  return out;
}

PsiShare share_at(const std::vector<PsiPoint>& s, std::size_t i, const PsiWindowRule& rule) {
  return psi_window_share(std::span<const PsiPoint>(s.data(), i), s[i], rule);
}

}  // namespace

TEST(Psi, WindowMeasuresFromTheNewestReadingAtLeastAWindowOld) {
  auto s = series(100, 5000, 2000, 0.6);
  // At 3.0 s: the reference is the 2.0 s reading, 60% of the second stalled.
  PsiShare at3 = share_at(s, 30, kStallPsiWindow);
  EXPECT_EQ(at3.window_ms, 1000);
  EXPECT_NEAR(at3.some, 0.6, 1e-9);
  EXPECT_NEAR(at3.full, 0.3, 1e-9);
  EXPECT_EQ(at3.some_stall_us, 600'000u);
  EXPECT_EQ(at3.full_stall_us, 300'000u);
  // At 2.5 s: half of the window before the onset.
  EXPECT_NEAR(share_at(s, 25, kStallPsiWindow).some, 0.3, 1e-9);
  // Before the onset: nothing stalled.
  EXPECT_DOUBLE_EQ(share_at(s, 15, kStallPsiWindow).some, 0.0);
}

TEST(Psi, WindowAtTheStartOfASeries) {
  auto s = series(100, 1000, 0, 0.5);
  // The first reading has nothing before it.
  PsiShare first = share_at(s, 0, kStallPsiWindow);
  EXPECT_DOUBLE_EQ(first.some, -1);
  EXPECT_DOUBLE_EQ(first.full, -1);
  EXPECT_EQ(first.window_ms, 0);
  // The stall window takes any older reading until a full window exists...
  PsiShare second = share_at(s, 1, kStallPsiWindow);
  EXPECT_EQ(second.window_ms, 100);
  EXPECT_NEAR(second.some, 0.5, 1e-9);
  // ...the watchdog's rule wants at least 1 s.
  const PsiWindowRule watchdog{2000, 4000, 1000};
  EXPECT_DOUBLE_EQ(share_at(s, 5, watchdog).some, -1);
  EXPECT_EQ(share_at(s, 10, watchdog).window_ms, 1000);
}

TEST(Psi, StaleReferenceFallsBackToTheWindow) {
  // Readings at 0 s, then (the reader slept) at 10.0, 11.2 and 12.0 s; a
  // stall from 10 s on, 80% of the time.
  std::vector<PsiPoint> s = {{0, 0, 0, true}, {10'000, 0, 0, true}, {11'200, 960'000, 0, true}, {12'000, 1'600'000, 0, true}};
  const PsiWindowRule watchdog{2000, 4000, 1000};
  // At 12.0 s the newest reading >= 2 s old is 10.0 s: in the window.
  PsiShare w = share_at(s, 3, watchdog);
  EXPECT_EQ(w.window_ms, 2000);
  EXPECT_NEAR(w.some, 0.8, 1e-9);
  // At 11.2 s the 2 s reference would be the 0 s one, 11.2 s old: stale,
  // so the 10.0 s reading (1.2 s old) is used.
  PsiShare w2 = share_at(s, 2, watchdog);
  EXPECT_EQ(w2.window_ms, 1200);
  EXPECT_NEAR(w2.some, 0.8, 1e-9);
  // Without a stale limit (the runner's rule) the old reading is used.
  EXPECT_NEAR(share_at(s, 2, PsiWindowRule{2000}).some, 960'000.0 / 11'200'000.0, 1e-9);
}

TEST(Psi, FullShareNeedsFullOnBothEnds) {
  std::vector<PsiPoint> s = {{0, 0, 0, false}, {1000, 500'000, 0, false}};
  PsiShare w = share_at(s, 1, kStallPsiWindow);
  EXPECT_NEAR(w.some, 0.5, 1e-9);
  EXPECT_DOUBLE_EQ(w.full, -1);
}

TEST(Psi, SeriesShareSkipsReadingsThatAreMissing) {
  // Element k has a reading unless k is 8; the window ending at 12 reaches
  // back to element 2 (1 s at 100 ms steps) whatever is missing between.
  auto s = series(100, 2000, 0, 0.4);
  auto point_at = [&](std::size_t k) -> std::optional<PsiPoint> {
    if (k == 8) return std::nullopt;
    return s[k];
  };
  PsiShare w = psi_series_share(12, point_at, kStallPsiWindow);
  EXPECT_EQ(w.window_ms, 1000);
  EXPECT_NEAR(w.some, 0.4, 1e-9);
  // No reading at the element itself: unknown.
  EXPECT_DOUBLE_EQ(psi_series_share(8, point_at, kStallPsiWindow).some, -1);
  // Element 0: nothing before it.
  EXPECT_DOUBLE_EQ(psi_series_share(0, point_at, kStallPsiWindow).some, -1);
}
