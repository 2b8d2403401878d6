#include "oomlab/watchdog/pressure.hpp"

#include <algorithm>
#include <cstdlib>
#include <cstdio>

#include "oomlab/watchdog/options.hpp"

namespace oomlab::watchdog {
namespace {

// The value after "key=" in line, if present.
std::optional<std::string_view> field(std::string_view line, std::string_view key) {
  for (std::size_t pos = 0; (pos = line.find(key, pos)) != std::string_view::npos; pos += key.size()) {
    if ((pos == 0 || line[pos - 1] == ' ') && pos + key.size() < line.size() && line[pos + key.size()] == '=') {
      std::string_view v = line.substr(pos + key.size() + 1);
      return v.substr(0, v.find(' '));
    }
  }
  return std::nullopt;
}

bool to_double(std::string_view s, double& out) {
  char buf[32];
  if (s.empty() || s.size() >= sizeof buf) return false;
  s.copy(buf, s.size());
  buf[s.size()] = 0;
  char* end = nullptr;
  out = std::strtod(buf, &end);
  return end == buf + s.size();
}

bool to_u64(std::string_view s, std::uint64_t& out) {
  if (s.empty()) return false;
  out = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    out = out * 10 + static_cast<std::uint64_t>(c - '0');
  }
  return true;
}

// The recent share's window: 2 s, the shortest PSI trigger window here and
// oomlab-repro's stall window. A reference reading older than kStaleWindowMs
// is not recent; one younger than kShortestWindowMs is too noisy.
constexpr std::int64_t kRecentWindowMs = 2000;
constexpr std::int64_t kStaleWindowMs = 4000;
constexpr std::int64_t kShortestWindowMs = 1000;

}  // namespace

std::optional<PsiReading> parse_psi(std::string_view text) {
  PsiReading r;
  bool some = false;
  while (!text.empty()) {
    std::size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
    bool is_some = line.rfind("some ", 0) == 0, is_full = line.rfind("full ", 0) == 0;
    if (!is_some && !is_full) continue;
    auto avg = field(line, "avg10"), total = field(line, "total");
    double a = 0;
    std::uint64_t t = 0;
    if (!avg || !total || !to_double(*avg, a) || !to_u64(*total, t)) return std::nullopt;
    if (is_some) {
      r.some_avg10 = a;
      r.some_total_us = t;
      some = true;
    } else {
      r.full_avg10 = a;
      r.full_total_us = t;
      r.has_full = true;
    }
  }
  return some ? std::optional(r) : std::nullopt;
}

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
    if (eq == std::string_view::npos || !to_double(item.substr(eq + 1), pct) || pct <= 0 || pct > 100)
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

bool PressureTracker::update(const PsiReading& r, std::int64_t now_ms, const PressureThreshold& t) {
  last_ = r;
  // The reference reading: the newest one at least kRecentWindowMs old. When
  // that one is much older (the loop slept while idle, so readings are
  // sparse), a share over it would dilute a fresh stall into a long quiet
  // stretch: use the oldest reading of the last kRecentWindowMs instead, as
  // long as it spans kShortestWindowMs.
  const Point* ref = nullptr;
  const Point* young = nullptr;
  for (std::size_t i = 0; i < count_; ++i) {
    const Point& p = ring_[(head_ + ring_.size() - 1 - i) % ring_.size()];
    std::int64_t age = now_ms - p.ms;
    if (age >= kRecentWindowMs) {
      if (age <= kStaleWindowMs) ref = &p;
      break;
    }
    if (age >= kShortestWindowMs) young = &p;
  }
  if (!ref) ref = young;
  recent_some_ = recent_full_ = -1;
  std::int64_t window_ms = 0;
  std::uint64_t some_stall_us = 0, full_stall_us = 0;
  if (ref) {
    window_ms = now_ms - ref->ms;
    const double window_us = static_cast<double>(window_ms) * 1000.0;
    if (r.some_total_us >= ref->some_us) {
      some_stall_us = r.some_total_us - ref->some_us;
      recent_some_ = 100.0 * static_cast<double>(some_stall_us) / window_us;
    }
    if (r.has_full && r.full_total_us >= ref->full_us) {
      full_stall_us = r.full_total_us - ref->full_us;
      recent_full_ = 100.0 * static_cast<double>(full_stall_us) / window_us;
    }
  }
  ring_[head_] = {now_ms, r.some_total_us, r.full_total_us};
  head_ = (head_ + 1) % ring_.size();
  if (count_ < ring_.size()) ++count_;

  // The clock follows the recent share alone: avg10 is a 10 s average that
  // needs several seconds of thrashing to cross the threshold, which would
  // delay every pressure kill by that much. No share yet (the first second
  // of history): not above.
  auto over = [](double threshold, double recent) { return threshold >= 0 && recent >= 0 && recent >= threshold; };
  const bool some_over = over(t.some, recent_some_), full_over = over(t.full, recent_full_);
  const bool now_above = some_over || full_over;
  if (!now_above) {
    above_since_ms_ = -1;
  } else if (above_since_ms_ < 0) {
    // The pressure began at least as long ago as the stall the window
    // holds (a task cannot stall longer than the time that passed): start
    // the clock there, so that --kill-after counts from the onset and not
    // from the moment the share had risen to the threshold.
    std::uint64_t stall_us = std::max(some_over ? some_stall_us : 0, full_over ? full_stall_us : 0);
    std::int64_t back_ms = std::min<std::int64_t>(window_ms, static_cast<std::int64_t>(stall_us / 1000));
    above_since_ms_ = now_ms - back_ms;
  }
  return now_above;
}

}  // namespace oomlab::watchdog
