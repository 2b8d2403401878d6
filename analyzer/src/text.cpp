#include "text.hpp"

#include <cstdlib>

namespace oomlab::analyzer::text {

std::optional<double> parse_double(std::string_view s) {
  if (s.empty() || s.size() > 40) return std::nullopt;
  char buf[48];
  s.copy(buf, s.size());
  buf[s.size()] = '\0';
  char* end = nullptr;
  double v = std::strtod(buf, &end);
  if (end != buf + s.size()) return std::nullopt;
  return v;
}

std::optional<std::uint64_t> parse_hex(std::string_view s) {
  if (starts_with(s, "0x") || starts_with(s, "0X")) s.remove_prefix(2);
  std::uint64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v, 16);
  if (ec != std::errc() || p != s.data() + s.size() || s.empty()) return std::nullopt;
  return v;
}

std::optional<std::uint64_t> leading_uint(std::string_view s) {
  std::size_t n = 0;
  while (n < s.size() && is_digit(s[n])) ++n;
  return parse_uint(s.substr(0, n));
}

std::string_view value_after(std::string_view s, std::string_view key) {
  std::size_t from = 0;
  for (;;) {
    std::size_t k = s.find(key, from);
    if (k == std::string_view::npos) return {};
    if (k == 0 || s[k - 1] == ' ' || s[k - 1] == ',' || s[k - 1] == '(' || s[k - 1] == ':') {
      std::size_t b = k + key.size();
      std::size_t e = b;
      int depth = 0;
      while (e < s.size()) {
        char c = s[e];
        if (c == '(') ++depth;
        else if (c == ')' && depth > 0) --depth;
        else if (depth == 0 && (c == ',' || c == ' ')) break;
        ++e;
      }
      return s.substr(b, e - b);
    }
    from = k + 1;
  }
}

bool split_comm_pid(std::string_view s, std::string& comm, int& pid) {
  std::size_t close = s.rfind(')');
  while (close != std::string_view::npos && close > 0) {
    std::size_t open = s.rfind('(', close);
    if (open == std::string_view::npos) return false;
    auto v = parse_uint(s.substr(open + 1, close - open - 1));
    if (v && *v <= 0x7fffffff) {
      comm.assign(s.substr(0, open));
      pid = static_cast<int>(*v);
      return true;
    }
    if (open == 0) return false;
    close = s.rfind(')', open - 1);
  }
  return false;
}

void split_gfp(std::string_view v, std::string& hex, std::string& flags) {
  std::size_t p = v.find('(');
  hex.assign(v.substr(0, p));
  if (p != std::string_view::npos) {
    std::size_t e = v.rfind(')');
    if (e != std::string_view::npos && e > p) flags.assign(v.substr(p + 1, e - p - 1));
  }
}

}  // namespace oomlab::analyzer::text
