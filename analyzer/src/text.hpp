// Small string helpers shared by the recognisers: no allocation, no locale,
// no exceptions; every parser returns nullopt on anything unexpected.
#pragma once
#include <charconv>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace oomlab::analyzer::text {

inline bool is_digit(char c) { return c >= '0' && c <= '9'; }
inline bool is_xdigit(char c) { return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }
inline bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
inline bool is_space(char c) { return c == ' ' || c == '\t'; }

inline bool starts_with(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }
inline bool ends_with(std::string_view s, std::string_view p) {
  return s.size() >= p.size() && s.substr(s.size() - p.size()) == p;
}
inline bool contains(std::string_view s, std::string_view p) { return s.find(p) != std::string_view::npos; }

inline std::string_view ltrim(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size() && is_space(s[i])) ++i;
  return s.substr(i);
}
inline std::string_view rtrim(std::string_view s) {
  std::size_t n = s.size();
  while (n > 0 && (is_space(s[n - 1]) || s[n - 1] == '\r')) --n;
  return s.substr(0, n);
}
inline std::string_view trim(std::string_view s) { return rtrim(ltrim(s)); }

// The run of non-blank characters starting at i.
inline std::string_view token_at(std::string_view s, std::size_t i) {
  if (i >= s.size()) return {};
  std::size_t e = i;
  while (e < s.size() && !is_space(s[e])) ++e;
  return s.substr(i, e - i);
}

inline std::optional<std::uint64_t> parse_uint(std::string_view s) {
  std::uint64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || s.empty()) return std::nullopt;
  return v;
}
inline std::optional<std::int64_t> parse_int(std::string_view s) {
  std::int64_t v = 0;
  if (!s.empty() && s[0] == '+') s.remove_prefix(1);
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || s.empty()) return std::nullopt;
  return v;
}
std::optional<double> parse_double(std::string_view s);
// "0x1f" or "1f" as hex.
std::optional<std::uint64_t> parse_hex(std::string_view s);
// Leading decimal number of s ("4324kB" -> 4324), advancing nothing.
std::optional<std::uint64_t> leading_uint(std::string_view s);
inline std::optional<int> to_int(std::optional<std::int64_t> v) {
  if (!v || *v < -2147483647 || *v > 2147483647) return std::nullopt;
  return static_cast<int>(*v);
}

// Value of "key=" or "key:" inside s up to the next separator (',', ' ' or
// end); empty view when absent. Keys must start at a word boundary.
std::string_view value_after(std::string_view s, std::string_view key_with_sep);

// "comm(pid)" ending at or before `end`: finds the last "(digits)" and
// takes everything before it as the comm (comms may contain spaces and
// parentheses). Returns false when there is none.
bool split_comm_pid(std::string_view s, std::string& comm, int& pid);

// "0x24201ca(GFP_HIGHUSER_MOVABLE|__GFP_COLD)" -> hex, flags
void split_gfp(std::string_view v, std::string& hex, std::string& flags);

}  // namespace oomlab::analyzer::text
