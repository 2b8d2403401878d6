#include "oomlab/watchdog/pressure.hpp"

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

constexpr std::int64_t kRecentWindowMs = 2000;  // the shortest PSI trigger window here

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
  // Recent share against the newest reading at least kRecentWindowMs old.
  recent_some_ = recent_full_ = -1;
  for (std::size_t i = 0; i < count_; ++i) {
    const Point& p = ring_[(head_ + ring_.size() - 1 - i) % ring_.size()];
    std::int64_t dt_ms = now_ms - p.ms;
    if (dt_ms < kRecentWindowMs) continue;
    if (r.some_total_us >= p.some_us) recent_some_ = 100.0 * static_cast<double>(r.some_total_us - p.some_us) / (dt_ms * 1000.0);
    if (r.full_total_us >= p.full_us) recent_full_ = 100.0 * static_cast<double>(r.full_total_us - p.full_us) / (dt_ms * 1000.0);
    break;
  }
  ring_[head_] = {now_ms, r.some_total_us, r.full_total_us};
  head_ = (head_ + 1) % ring_.size();
  if (count_ < ring_.size()) ++count_;

  // A line counts when avg10 says so and the recent share (once known) agrees.
  auto over = [](double threshold, double avg10, double recent) {
    return threshold >= 0 && avg10 >= threshold && (recent < 0 || recent >= threshold);
  };
  bool now_above = over(t.some, r.some_avg10, recent_some_) || (r.has_full && over(t.full, r.full_avg10, recent_full_));
  if (!now_above) above_since_ms_ = -1;
  else if (above_since_ms_ < 0) above_since_ms_ = now_ms;
  return now_above;
}

}  // namespace oomlab::watchdog
