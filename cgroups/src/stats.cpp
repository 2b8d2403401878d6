#include "oomlab/cgroups/stats.hpp"

#include <charconv>
#include <cstdlib>
#include <string>

namespace oomlab::cgroups {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\n' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\n' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::optional<std::uint64_t> to_u64(std::string_view s) {
  s = trim(s);
  std::uint64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || s.empty()) return std::nullopt;
  return v;
}

// Calls f(key, value) for each "key value" line; false if a line is malformed.
template <class F>
bool for_each_key_value(std::string_view text, F f) {
  while (!text.empty()) {
    std::size_t nl = text.find('\n');
    std::string_view line = trim(text.substr(0, nl));
    text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
    if (line.empty()) continue;
    std::size_t sp = line.find(' ');
    if (sp == std::string_view::npos) return false;
    auto v = to_u64(line.substr(sp + 1));
    if (!v) return false;
    f(line.substr(0, sp), *v);
  }
  return true;
}

}  // namespace

std::optional<MemoryEvents> parse_memory_events_v2(std::string_view text) {
  MemoryEvents e;
  bool saw_max = false;
  bool ok = for_each_key_value(text, [&](std::string_view k, std::uint64_t v) {
    if (k == "low") e.low = v;
    else if (k == "high") e.high = v;
    else if (k == "max") e.max = v, saw_max = true;
    else if (k == "oom") e.oom = v;
    else if (k == "oom_kill") e.oom_kill = v;
  });
  if (!ok || !saw_max) return std::nullopt;
  return e;
}

std::optional<MemoryEvents> parse_memory_events_v1(std::string_view oom_control, std::string_view failcnt) {
  MemoryEvents e;
  bool saw_under_oom = false;
  bool ok = for_each_key_value(oom_control, [&](std::string_view k, std::uint64_t v) {
    if (k == "under_oom") e.under_oom = v != 0, saw_under_oom = true;
    else if (k == "oom_kill") e.oom_kill = v;
  });
  auto fc = to_u64(failcnt);
  if (!ok || !saw_under_oom || !fc) return std::nullopt;
  e.max = *fc;
  return e;
}

std::optional<std::uint64_t> parse_limit(std::string_view text) {
  text = trim(text);
  if (text == "max") return std::nullopt;
  auto v = to_u64(text);
  // v1 "unlimited" is PAGE_COUNTER_MAX * PAGE_SIZE (9223372036854771712 on x86-64).
  if (!v || *v >= (std::uint64_t{1} << 62)) return std::nullopt;
  return v;
}

}  // namespace oomlab::cgroups
