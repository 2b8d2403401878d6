#include "stamps.hpp"

#include <cstdint>
#include <cstring>

#include "text.hpp"

namespace oomlab::analyzer::stamps {

namespace {

using text::is_digit;

// Days since 1970-01-01 of a civil date (H. Hinnant's algorithm).
long days_from_civil(long y, unsigned m, unsigned d) {
  y -= m <= 2;
  const long era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<long>(doe) - 719468;
}

// "hh:mm:ss" at s; seconds of day or -1.
long parse_hms(std::string_view s) {
  if (s.size() < 8 || s[2] != ':' || s[5] != ':') return -1;
  for (int i : {0, 1, 3, 4, 6, 7})
    if (!is_digit(s[i])) return -1;
  auto two = [&](int i) { return (s[i] - '0') * 10 + (s[i + 1] - '0'); };
  const long h = two(0), m = two(3), sec = two(6);
  if (h > 23 || m > 59 || sec > 60) return -1;
  return h * 3600L + m * 60L + sec;
}

// "." or "," then digits at s[i]: the fraction, advancing i.
double take_fraction(std::string_view s, std::size_t& i) {
  if (i >= s.size() || (s[i] != '.' && s[i] != ',') || i + 1 >= s.size() || !is_digit(s[i + 1])) return 0;
  double frac = 0, scale = 1;
  for (++i; i < s.size() && is_digit(s[i]); ++i) {
    scale /= 10;
    frac += (s[i] - '0') * scale;
  }
  return frac;
}

char lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

bool starts_with_nocase(std::string_view s, std::string_view p) {
  if (s.size() < p.size()) return false;
  for (std::size_t i = 0; i < p.size(); ++i)
    if (lower(s[i]) != p[i]) return false;
  return true;
}

// A blank-free token of 1..max bytes at s[i], advancing i past it and the blanks after it.
std::string_view word(std::string_view s, std::size_t& i, std::size_t max, char stop = ']') {
  const std::size_t b = i;
  while (i < s.size() && s[i] != ' ' && s[i] != stop && i - b <= max) ++i;
  std::string_view w = s.substr(b, i - b);
  if (w.size() > max) return {};
  while (i < s.size() && s[i] == ' ') ++i;
  return w;
}

}  // namespace

int month_index(std::string_view s) {
  // glibc's abbreviated month names (%b) of the locales people paste logs
  // from; dmesg -T prints "%a %b %e %H:%M:%S %Y" in the user's locale.
  struct Name {
    std::string_view p;
    int month;
  };
  static constexpr Name names[] = {
      {"jan", 1},  {"feb", 2},  {"mar", 3},  {"apr", 4},  {"may", 5},  {"jun", 6},  {"jul", 7},
      {"aug", 8},  {"sep", 9},  {"oct", 10}, {"nov", 11}, {"dec", 12},                       // en
      {"m\xc3\xa4r", 3}, {"mai", 5}, {"okt", 10}, {"dez", 12},                              // de (sv/nl: okt)
      {"f\xc3\xa9v", 2}, {"fev", 2}, {"avr", 4}, {"juin", 6}, {"juil", 7}, {"ao\xc3\xbb", 8},
      {"aou", 8},  {"d\xc3\xa9" "c", 12},                                                       // fr (pt: fev)
      {"ene", 1},  {"abr", 4},  {"ago", 8},  {"dic", 12},                                    // es (pt/it)
      {"gen", 1},  {"mag", 5},  {"giu", 6},  {"lug", 7},  {"set", 9},  {"ott", 10},          // it (pt: set)
      {"out", 10}, {"mrt", 3},  {"mei", 5},  {"maj", 5},                                     // pt, nl, sv
      {"sty", 1},  {"lut", 2},  {"kwi", 4},  {"cze", 6},  {"lip", 7},  {"sie", 8},
      {"wrz", 9},  {"pa\xc5\xba", 10}, {"lis", 11}, {"gru", 12},                            // pl
  };
  for (const Name& n : names)
    if (starts_with_nocase(s, n.p)) return n.month;
  return 0;
}

bool take_dmesg(std::string_view& s, double& ts) {
  // One pass that scans and accumulates (every dmesg line starts here):
  // hand-rolled because strtod is the single most expensive call per line otherwise.
  static constexpr std::uint64_t kPow10[] = {1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000, 1000000000};
  const char* p = s.data() + 1;
  const char* const e = s.data() + s.size();
  while (p < e && *p == ' ') ++p;
  const char* const ib = p;
  std::uint64_t whole = 0, frac = 0;
  while (p < e && static_cast<unsigned>(*p - '0') < 10) whole = whole * 10 + static_cast<unsigned>(*p++ - '0');
  const std::size_t nint = static_cast<std::size_t>(p - ib);
  if (nint == 0 || p >= e || *p != '.') return false;
  const char* const fb = ++p;
  if (e - p >= 8) {   // "123456]": six digits then ']' in one 8-byte word (SWAR)
    std::uint64_t w;
    std::memcpy(&w, p, 8);
    const std::uint64_t d = w - 0x3030303030303030ULL;
    // The low six bytes are digits: each is <= 9 after subtracting '0' and
    // did not borrow (no byte above 0x39 or below 0x30).
    const std::uint64_t six = 0x0000ffffffffffffULL;
    if ((((d + 0x7676767676767676ULL) | d) & 0x8080808080808080ULL & six) == 0 && p[6] == ']') {
      std::uint64_t v = d & six;   // little endian: byte 0 is the first digit
      v = (v * 10 + (v >> 8)) & 0x00ff00ff00ff00ffULL;   // two-digit pairs in 16-bit lanes
      frac = (v & 0xffff) * 10000 + ((v >> 16) & 0xffff) * 100 + ((v >> 32) & 0xffff);
      p += 6;
    }
  }
  while (p < e && static_cast<unsigned>(*p - '0') < 10) frac = frac * 10 + static_cast<unsigned>(*p++ - '0');
  const std::size_t nfrac = static_cast<std::size_t>(p - fb);
  if (nfrac == 0 || p >= e || *p != ']' || nint > 15 || nfrac > 9) return false;
  ts = static_cast<double>(whole) + static_cast<double>(frac) / static_cast<double>(kPow10[nfrac]);
  s.remove_prefix(static_cast<std::size_t>(p - s.data()) + 1);
  return true;
}


bool take_caller(std::string_view& s, std::string_view& caller) {
  std::size_t i = 1;
  while (i < s.size() && s[i] == ' ') ++i;
  if (i >= s.size() || (s[i] != 'T' && s[i] != 'C')) return false;
  std::size_t b = i++;
  while (i < s.size() && is_digit(s[i])) ++i;
  if (i == b + 1 || i >= s.size() || s[i] != ']') return false;
  caller = s.substr(b, i - b);
  s.remove_prefix(i + 1);
  return true;
}

bool take_wall(std::string_view& s, std::optional<double>& ts) {
  if (s.size() < 20 || s[0] != '[') return false;
  std::size_t i = 1;
  // Weekday and month: any locale's abbreviation ("Mon", "Mo", "lun.", "janv.", "M\xc3\xa4r").
  std::string_view wd = word(s, i, 12), mon = word(s, i, 12);
  if (wd.empty() || mon.empty() || is_digit(wd[0]) || is_digit(mon[0])) return false;
  std::size_t d0 = i;
  while (i < s.size() && is_digit(s[i])) ++i;
  auto day = text::parse_uint(s.substr(d0, i - d0));
  if (!day || *day < 1 || *day > 31 || i >= s.size() || s[i] != ' ') return false;
  long hms = parse_hms(s.substr(i + 1));
  if (hms < 0) return false;
  i += 9;
  if (i >= s.size() || s[i] != ' ') return false;
  std::size_t y0 = ++i;
  while (i < s.size() && is_digit(s[i])) ++i;
  auto year = text::parse_uint(s.substr(y0, i - y0));
  if (!year || *year < 1970 || *year > 9999 || i >= s.size() || s[i] != ']') return false;
  const int m = month_index(mon);
  ts.reset();
  if (m) ts = static_cast<double>(days_from_civil(static_cast<long>(*year), static_cast<unsigned>(m),
                                                   static_cast<unsigned>(*day)) * 86400L + hms);
  s.remove_prefix(i + 1);
  return true;
}

bool take_reltime(std::string_view& s, std::optional<double>& ts) {
  if (s.size() < 4 || s[0] != '[') return false;
  std::size_t i = 1;
  while (i < s.size() && s[i] == ' ') ++i;
  if (i < s.size() && s[i] == '+') {   // "[  +0.000123]": seconds since the previous line
    std::size_t b = ++i;
    while (i < s.size() && (is_digit(s[i]) || s[i] == '.')) ++i;
    if (i == b || i >= s.size() || s[i] != ']') return false;
    ts.reset();
    s.remove_prefix(i + 1);
    return true;
  }
  // "[Jan12 10:11]"
  std::size_t b = i;
  while (i < s.size() && !is_digit(s[i]) && s[i] != ' ' && s[i] != ']' && i - b < 8) ++i;
  const int m = month_index(s.substr(b, i - b));
  std::size_t d0 = i;
  while (i < s.size() && is_digit(s[i])) ++i;
  auto day = text::parse_uint(s.substr(d0, i - d0));
  if (!m || i == b || !day || *day < 1 || *day > 31 || i + 7 > s.size() || s[i] != ' ') return false;
  std::string_view hm = s.substr(i + 1, 5);
  if (hm[2] != ':' || !is_digit(hm[0]) || !is_digit(hm[1]) || !is_digit(hm[3]) || !is_digit(hm[4]) || s[i + 6] != ']')
    return false;
  const long mins = ((hm[0] - '0') * 10 + (hm[1] - '0')) * 60L + (hm[3] - '0') * 10 + (hm[4] - '0');
  ts = static_cast<double>(days_from_civil(1970, static_cast<unsigned>(m), static_cast<unsigned>(*day)) * 86400L +
                           mins * 60L);
  s.remove_prefix(i + 7);
  return true;
}

bool take_kmsg(std::string_view& s, double& ts, std::string_view& caller) {
  std::size_t semi = s.find(';');
  if (semi == std::string_view::npos || semi > 64) return false;
  std::string_view head = s.substr(0, semi);
  std::uint64_t f[3];
  for (auto& v : f) {
    std::size_t comma = head.find(',');
    if (comma == std::string_view::npos) return false;
    auto n = text::parse_uint(head.substr(0, comma));
    if (!n) return false;
    v = *n;
    head.remove_prefix(comma + 1);
  }
  if (head.empty() || (head[0] != '-' && head[0] != 'c' && head[0] != '+')) return false;
  if (std::size_t c = head.find("caller="); c != std::string_view::npos) caller = head.substr(c + 7);
  ts = static_cast<double>(f[2]) / 1e6;
  s.remove_prefix(semi + 1);
  return true;
}

bool take_syslog(std::string_view& s, double& ts) {
  if (s.size() < 16 || s[3] != ' ') return false;
  int mon = month_index(s);
  if (mon == 0) return false;
  std::size_t i = 4;
  if (s[i] == ' ') ++i;
  auto day = text::parse_uint(text::token_at(s, i));
  std::size_t t = s.find(' ', i);
  if (!day || *day < 1 || *day > 31 || t == std::string_view::npos || t > 7) return false;
  long hms = parse_hms(s.substr(t + 1));
  if (hms < 0) return false;
  std::size_t end = t + 9;
  const double frac = take_fraction(s, end);   // journalctl -o short-precise
  ts = static_cast<double>(days_from_civil(1970, static_cast<unsigned>(mon), static_cast<unsigned>(*day)) * 86400L + hms) + frac;
  s.remove_prefix(end);
  return true;
}

bool take_iso(std::string_view& s, double& ts, bool& comma) {
  if (s.size() < 20 || s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != ' ')) return false;
  auto y = text::parse_uint(s.substr(0, 4)), m = text::parse_uint(s.substr(5, 2)), d = text::parse_uint(s.substr(8, 2));
  long hms = parse_hms(s.substr(11));
  if (!y || !m || !d || hms < 0 || *m < 1 || *m > 12 || *d < 1 || *d > 31) return false;
  std::size_t i = 19;
  comma = i < s.size() && s[i] == ',';
  const double frac = take_fraction(s, i);
  while (i < s.size() && s[i] != ' ' && s[i] != '|' && s[i] != ']') ++i;   // timezone
  if (i < s.size() && s[i] == ']') ++i;   // "[2026-01-12 10:11:12.123]" capture-tool stamps
  ts = static_cast<double>(days_from_civil(static_cast<long>(*y), static_cast<unsigned>(*m), static_cast<unsigned>(*d)) * 86400L + hms) + frac;
  s.remove_prefix(i);
  return true;
}

}  // namespace oomlab::analyzer::stamps
