#include "oomlab/analyzer/normalizer.hpp"

#include <algorithm>
#include <cstring>

#include "text.hpp"

namespace oomlab::analyzer {

const char* to_string(Stamp s) {
  switch (s) {
    case Stamp::none: return "plain";
    case Stamp::dmesg: return "dmesg";
    case Stamp::dmesg_wall: return "dmesg-T";
    case Stamp::journal: return "journal";
    case Stamp::journal_iso: return "journal-iso";
    case Stamp::kmsg: return "kmsg";
  }
  return "plain";
}

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

int month_index(std::string_view s) {  // "Nov" -> 11, 0 when not a month
  static constexpr std::string_view months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  if (s.size() < 3) return 0;
  for (int i = 0; i < 12; ++i)
    if (s.substr(0, 3) == months[i]) return i + 1;
  return 0;
}

// "hh:mm:ss" at s; seconds of day or -1.
long parse_hms(std::string_view s) {
  if (s.size() < 8 || s[2] != ':' || s[5] != ':') return -1;
  for (int i : {0, 1, 3, 4, 6, 7})
    if (!is_digit(s[i])) return -1;
  auto two = [&](int i) { return (s[i] - '0') * 10 + (s[i + 1] - '0'); };
  return two(0) * 3600L + two(3) * 60L + two(6);
}

// "[  123.456789]" -> seconds; consumes it.
bool take_dmesg_stamp(std::string_view& s, double& ts) {
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

// "[  T123]" / "[C1]": printk caller id.
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

// "[Mon Nov 23 10:00:01 2026]" (dmesg -T).
bool take_wall_stamp(std::string_view& s, double& ts) {
  if (s.size() < 26 || s[4] != ' ' || s[8] != ' ') return false;
  int mon = month_index(s.substr(5));
  if (mon == 0) return false;
  std::size_t i = 9;
  while (i < s.size() && s[i] == ' ') ++i;
  auto day = text::parse_uint(text::token_at(s, i));
  std::size_t t = s.find(' ', i);
  if (!day || t == std::string_view::npos) return false;
  long hms = parse_hms(s.substr(t + 1));
  if (hms < 0 || t + 10 >= s.size()) return false;
  std::size_t close = s.find(']', t + 10);
  if (close == std::string_view::npos || close > t + 16) return false;
  auto year = text::parse_uint(s.substr(t + 10, close - t - 10));
  if (!year) return false;
  ts = static_cast<double>(days_from_civil(static_cast<long>(*year), static_cast<unsigned>(mon),
                                           static_cast<unsigned>(*day)) * 86400L + hms);
  s.remove_prefix(close + 1);
  return true;
}

// "pri,seq,usec,flags[,more];" (raw /dev/kmsg).
bool take_kmsg_prefix(std::string_view& s, double& ts, std::string_view& caller) {
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

// "Nov 23 10:00:01 " (syslog / journalctl short).
bool take_syslog_stamp(std::string_view& s, double& ts) {
  int mon = month_index(s);
  if (mon == 0 || s.size() < 16 || s[3] != ' ') return false;
  std::size_t i = 4;
  if (s[i] == ' ') ++i;
  auto day = text::parse_uint(text::token_at(s, i));
  std::size_t t = s.find(' ', i);
  if (!day || t == std::string_view::npos || t > 7) return false;
  long hms = parse_hms(s.substr(t + 1));
  if (hms < 0) return false;
  ts = static_cast<double>(days_from_civil(1970, static_cast<unsigned>(mon), static_cast<unsigned>(*day)) * 86400L + hms);
  s.remove_prefix(t + 9);
  return true;
}

// "2026-11-23T10:00:01[.123456][+0000|Z] " (journalctl -o short-iso[-precise]).
bool take_iso_stamp(std::string_view& s, double& ts) {
  if (s.size() < 20 || s[4] != '-' || s[7] != '-' || s[10] != 'T') return false;
  auto y = text::parse_uint(s.substr(0, 4)), m = text::parse_uint(s.substr(5, 2)), d = text::parse_uint(s.substr(8, 2));
  long hms = parse_hms(s.substr(11));
  if (!y || !m || !d || hms < 0 || *m < 1 || *m > 12) return false;
  double frac = 0;
  std::size_t i = 19;
  if (i < s.size() && s[i] == '.') {
    std::size_t b = i;
    ++i;
    while (i < s.size() && is_digit(s[i])) ++i;
    frac = text::parse_double(s.substr(b, i - b)).value_or(0);
  }
  while (i < s.size() && s[i] != ' ') ++i;  // timezone
  ts = static_cast<double>(days_from_civil(static_cast<long>(*y), static_cast<unsigned>(*m), static_cast<unsigned>(*d)) * 86400L + hms) + frac;
  s.remove_prefix(i);
  return true;
}

// After a syslog-style stamp: "host kernel: " is dropped, another tag is kept
// ("oomlab-watchdog[12]: MemAlloc-Info: ..." stays as the watchdog wrote it).
bool take_host_and_kernel_tag(std::string_view& s) {
  s = text::ltrim(s);
  std::size_t sp = s.find(' ');
  if (sp == std::string_view::npos) return false;
  std::string_view rest = s.substr(sp + 1);
  if (text::starts_with(rest, "kernel: ")) {
    s = rest.substr(8);
    return true;
  } else if (std::size_t colon = rest.find(": "); colon != std::string_view::npos && colon < 64 &&
                                                  rest.substr(0, colon).find(' ') == std::string_view::npos) {
    s = rest;  // "host tag[pid]: msg" -> "tag[pid]: msg"
    return true;
  }
  return false;
}

void strip_quoting(std::string_view& s) {
  std::size_t i = 0;
  while (i < s.size() && (s[i] == '>' || s[i] == ' ' || s[i] == '\t')) ++i;
  s.remove_prefix(i);
}

bool is_gap_marker(std::string_view s) {
  s = text::rtrim(s);
  return s == "(...snipped...)" || s == "[...]" || s == "..." || s == "[snip]" || s == "<snip>" ||
         s == "(snip)" || text::starts_with(s, "(...snipped");
}

}  // namespace

Line normalize(std::string_view raw, std::uint64_t line_no, bool probe_host_tag) {
  Line l;
  l.no = line_no;
  // Fast path for the common "[  123.456789] msg" line once the journal
  // probe is over: the general loop below gives the same Line, at a few
  // times the cost (no quoting or gap marker starts with a stamp).
  if (!probe_host_tag && raw.size() > 3 && raw[0] == '[') {
    std::string_view s = raw;
    double ts = 0;
    if (take_dmesg_stamp(s, ts)) {
      l.ts = ts;
      l.stamp = Stamp::dmesg;
      if (!s.empty() && s[0] == '[') {   // as below: a caller id, or the message's own '[' (task table rows)
        take_caller(s, l.caller);
      } else if (s.size() > 2 && s[0] == ' ' && s[1] == '[') {
        std::string_view t = s.substr(1);
        if (take_caller(t, l.caller)) s = t;
      }
      std::size_t blanks = 0;
      while (blanks < s.size() && (s[blanks] == ' ' || s[blanks] == '\t')) ++blanks;
      l.indented = blanks >= 2;
      l.msg = s.substr(blanks);
      return l;
    }
  }
  std::string_view s = raw;
  strip_quoting(s);
  if (!s.empty() && s.size() < 32 && (s[0] == '(' || s[0] == '[' || s[0] == '.' || s[0] == '<') && is_gap_marker(s)) {
    l.gap = true;
    return l;
  }
  if (s.size() > 2 && s[0] == '<' && is_digit(s[1])) {  // syslog priority "<4>"
    std::size_t close = s.find('>');
    if (close != std::string_view::npos && close <= 4) s.remove_prefix(close + 1);
  }
  double ts = 0;
  for (int round = 0; round < 3 && !s.empty(); ++round) {
    char c = s[0];
    if (c == '[') {
      if (take_dmesg_stamp(s, ts)) {
        l.ts = ts;
        l.stamp = Stamp::dmesg;
        if (!s.empty() && s[0] == '[') {
          take_caller(s, l.caller);
        } else if (s.size() > 2 && s[0] == ' ' && s[1] == '[') {   // "[ 1.0] [  C1] msg"
          std::string_view t = s.substr(1);
          if (take_caller(t, l.caller)) s = t;
        }
        // journalctl -o short-monotonic: "[  12.345678] host kernel: msg"
        std::size_t b = 0;
        while (probe_host_tag && b < s.size() && s[b] == ' ') ++b;
        const void* sp = probe_host_tag && b < s.size()
                             ? std::memchr(s.data() + b, ' ', std::min<std::size_t>(s.size() - b, 64))
                             : nullptr;
        if (sp && s.substr(static_cast<std::size_t>(static_cast<const char*>(sp) - s.data()), 9) == " kernel: ")
          l.host_tag = take_host_and_kernel_tag(s);
        break;
      }
      if (take_caller(s, l.caller)) {
        s = text::ltrim(s);
        continue;
      }
      if (take_wall_stamp(s, ts)) {
        l.ts = ts;
        l.stamp = Stamp::dmesg_wall;
        break;
      }
      break;
    }
    if (is_digit(c)) {
      if (take_kmsg_prefix(s, ts, l.caller)) {
        l.ts = ts;
        l.stamp = Stamp::kmsg;
        break;
      }
      if (take_iso_stamp(s, ts)) {
        l.ts = ts;
        l.stamp = Stamp::journal_iso;
        take_host_and_kernel_tag(s);
        s = text::ltrim(s);
        continue;  // old syslog may carry the kernel's own "[ 12.3]" after the tag
      }
      break;
    }
    if (c >= 'A' && c <= 'Z' && take_syslog_stamp(s, ts)) {
      l.ts = ts;
      l.stamp = Stamp::journal;
      take_host_and_kernel_tag(s);
      s = text::ltrim(s);
      continue;
    }
    break;
  }
  std::size_t blanks = 0;
  while (blanks < s.size() && (s[blanks] == ' ' || s[blanks] == '\t')) ++blanks;
  // dmesg puts one space after "]"; anything more is the message's own indent.
  const bool one_sep = l.stamp == Stamp::dmesg || l.stamp == Stamp::dmesg_wall;
  l.indented = blanks >= (one_sep ? 2u : 1u);
  l.msg = s.substr(blanks);
  return l;
}

}  // namespace oomlab::analyzer
