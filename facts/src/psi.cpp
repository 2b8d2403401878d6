#include "oomlab/facts/psi.hpp"

#include <algorithm>
#include <charconv>
#include <cstdlib>

namespace oomlab::facts {
namespace {

// The value after " key=" in line (or at its start), up to the next space.
std::optional<std::string_view> field(std::string_view line, std::string_view key) {
  for (std::size_t pos = 0; (pos = line.find(key, pos)) != std::string_view::npos; pos += key.size()) {
    if ((pos == 0 || line[pos - 1] == ' ') && pos + key.size() < line.size() && line[pos + key.size()] == '=') {
      std::string_view v = line.substr(pos + key.size() + 1);
      return v.substr(0, v.find(' '));
    }
  }
  return std::nullopt;
}


bool to_u64(std::string_view s, std::uint64_t& out) {
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return !s.empty() && ec == std::errc() && p == s.data() + s.size();
}

// One "some ..." / "full ..." line's four numbers.
bool parse_line(std::string_view line, double& a10, double& a60, double& a300, std::uint64_t& total) {
  auto f10 = field(line, "avg10"), f60 = field(line, "avg60"), f300 = field(line, "avg300"), ft = field(line, "total");
  return f10 && f60 && f300 && ft && parse_psi_percent(*f10, a10) && parse_psi_percent(*f60, a60) &&
         parse_psi_percent(*f300, a300) && to_u64(*ft, total);
}

}  // namespace

// strtod on a bounded copy: no allocation, nothing after the number.
bool parse_psi_percent(std::string_view s, double& out) {
  char buf[32];
  if (s.empty() || s.size() >= sizeof buf) return false;
  s.copy(buf, s.size());
  buf[s.size()] = 0;
  char* end = nullptr;
  out = std::strtod(buf, &end);
  return end == buf + s.size();
}

std::optional<PsiReading> parse_psi(std::string_view text) {
  PsiReading r;
  bool some = false;
  while (!text.empty()) {
    std::size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
    if (line.rfind("some ", 0) == 0) {
      if (!parse_line(line.substr(5), r.some_avg10, r.some_avg60, r.some_avg300, r.some_total_us)) return std::nullopt;
      some = true;
    } else if (line.rfind("full ", 0) == 0) {
      if (!parse_line(line.substr(5), r.full_avg10, r.full_avg60, r.full_avg300, r.full_total_us)) return std::nullopt;
      r.has_full = true;
    }
  }
  return some ? std::optional(r) : std::nullopt;
}

double psi_share(std::uint64_t before_us, std::uint64_t after_us, std::int64_t elapsed_us) {
  if (elapsed_us <= 0 || after_us < before_us) return -1;
  return std::min(1.0, static_cast<double>(after_us - before_us) / static_cast<double>(elapsed_us));
}

PsiShare psi_window_share(std::span<const PsiPoint> history, const PsiPoint& now, const PsiWindowRule& rule) {
  const PsiPoint* ref = nullptr;
  const PsiPoint* young = nullptr;
  for (std::size_t i = history.size(); i-- > 0;) {
    const PsiPoint& p = history[i];
    const std::int64_t age = now.t_ms - p.t_ms;
    if (age >= rule.window_ms) {
      if (age <= rule.stale_ms) ref = &p;
      break;
    }
    if (age >= rule.shortest_ms && age > 0) young = &p;
  }
  if (!ref) ref = young;
  PsiShare s;
  if (!ref) return s;
  s.window_ms = now.t_ms - ref->t_ms;
  const std::int64_t elapsed_us = s.window_ms * 1000;
  s.some = psi_share(ref->some_us, now.some_us, elapsed_us);
  if (s.some >= 0) s.some_stall_us = now.some_us - ref->some_us;
  if (now.has_full && ref->has_full) {
    s.full = psi_share(ref->full_us, now.full_us, elapsed_us);
    if (s.full >= 0) s.full_stall_us = now.full_us - ref->full_us;
  }
  return s;
}

}  // namespace oomlab::facts
