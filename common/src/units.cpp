#include "oomlab/common/units.hpp"

#include <cmath>
#include <cstdio>
#include <limits>

namespace oomlab {
namespace {

// Splits "1.5G" into 1.5 and "G". Rejects empty numbers, signs, exponents.
bool split_number(std::string_view text, double& value, std::string_view& suffix) {
  std::size_t i = 0;
  bool digits = false, dot = false;
  for (; i < text.size(); ++i) {
    char c = text[i];
    if (c >= '0' && c <= '9') {
      digits = true;
    } else if (c == '.' && !dot) {
      dot = true;
    } else {
      break;
    }
  }
  if (!digits) return false;
  std::string number(text.substr(0, i));
  char* end = nullptr;
  value = std::strtod(number.c_str(), &end);
  if (end != number.c_str() + number.size() || !std::isfinite(value)) return false;
  suffix = text.substr(i);
  return true;
}

}  // namespace

std::optional<std::uint64_t> parse_size(std::string_view text) {
  double value = 0;
  std::string_view suffix;
  if (!split_number(text, value, suffix)) return std::nullopt;
  double mult = 1;
  if (!suffix.empty()) {
    switch (suffix[0]) {
      case 'k': case 'K': mult = 1024.0; break;
      case 'm': case 'M': mult = 1024.0 * 1024; break;
      case 'g': case 'G': mult = 1024.0 * 1024 * 1024; break;
      case 't': case 'T': mult = 1024.0 * 1024 * 1024 * 1024; break;
      case 'b': case 'B': mult = 1; break;
      default: return std::nullopt;
    }
    std::string_view rest = suffix.substr(1);
    if (suffix[0] == 'b' || suffix[0] == 'B') {
      if (!rest.empty()) return std::nullopt;
    } else if (!(rest.empty() || rest == "B" || rest == "b" || rest == "iB" || rest == "ib")) {
      return std::nullopt;
    }
  }
  double bytes = value * mult;
  if (bytes >= static_cast<double>(std::numeric_limits<std::uint64_t>::max())) return std::nullopt;
  return static_cast<std::uint64_t>(bytes);
}

std::optional<std::chrono::milliseconds> parse_duration(std::string_view text) {
  double value = 0;
  std::string_view suffix;
  if (!split_number(text, value, suffix)) return std::nullopt;
  double ms;
  if (suffix.empty() || suffix == "s" || suffix == "sec") ms = value * 1000;
  else if (suffix == "ms") ms = value;
  else if (suffix == "m" || suffix == "min") ms = value * 60'000;
  else if (suffix == "h") ms = value * 3'600'000;
  else return std::nullopt;
  if (ms > 1e15) return std::nullopt;
  return std::chrono::milliseconds(static_cast<std::int64_t>(std::llround(ms)));
}

std::string format_size(std::uint64_t bytes) {
  static const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double v = static_cast<double>(bytes);
  int u = 0;
  while (v >= 1024 && u < 4) { v /= 1024; ++u; }
  char buf[32];
  std::snprintf(buf, sizeof buf, u == 0 ? "%.0f %s" : "%.1f %s", v, units[u]);
  return buf;
}

std::string format_duration(std::chrono::milliseconds d) {
  char buf[32];
  auto ms = d.count();
  if (ms < 1000) std::snprintf(buf, sizeof buf, "%lld ms", static_cast<long long>(ms));
  else std::snprintf(buf, sizeof buf, "%.1f s", static_cast<double>(ms) / 1000.0);
  return buf;
}

}  // namespace oomlab
