#include "oomlab/analyzer/normalizer.hpp"

#include <algorithm>
#include <cstring>

#include "stamps.hpp"
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
using text::starts_with;

// After a syslog-style stamp: "host kernel: " is dropped, another tag is kept
// ("oomlab-watchdog[12]: MemAlloc-Info: ..." stays as the watchdog wrote it).
// Also: netconsole relayed by a syslog daemon ("host [ 12.3] msg": the
// kernel's stamp right after the host), RFC 5424 "host kernel - - - msg",
// and VMware's vmware.log ("In(05) vcpu-5 - Guest: <6>[ 12.3] msg",
// "| vcpu-0| I005: Guest: msg").
bool take_host_and_kernel_tag(std::string_view& s) {
  s = text::ltrim(s);
  if (std::size_t g = s.substr(0, 64).find("Guest: "); g != std::string_view::npos) {
    s.remove_prefix(g + 7);
    return true;
  }
  std::size_t sp = s.find(' ');
  if (sp == std::string_view::npos) return false;
  std::string_view rest = s.substr(sp + 1);
  if (starts_with(rest, "kernel: ")) {
    s = rest.substr(8);
    return true;
  }
  if (starts_with(rest, "kernel - - - ")) {
    s = rest.substr(13);
    return true;
  }
  if (starts_with(rest, "[") && rest.size() > 2 && (rest[1] == ' ' || is_digit(rest[1]))) {
    s = rest;
    return true;
  }
  if (std::size_t colon = rest.find(": "); colon != std::string_view::npos && colon < 64 &&
                                            rest.substr(0, colon).find(' ') == std::string_view::npos) {
    s = rest;  // "host tag[pid]: msg" -> "tag[pid]: msg"
    return true;
  }
  // A host tag garbled by hand ("10:11:12.439 is bellow995+00:00 host kernel:"):
  // the " kernel:" a syslog line carries near its start is still the end of the prefix.
  if (std::size_t k = s.substr(0, 96).find(" kernel:"); k != std::string_view::npos &&
                                                       (k + 8 == s.size() || s[k + 8] == ' ')) {
    s.remove_prefix(std::min(s.size(), k + 9));
    return true;
  }
  return false;
}

// Mail and markdown quoting ("> ", "> > ", ">>"), indentation, and the
// ANSI colour/cursor sequences a serial console capture keeps ("\e[0m").
void strip_quoting(std::string_view& s) {
  std::size_t i = 0;
  for (;;) {
    while (i < s.size() && (s[i] == '>' || s[i] == ' ' || s[i] == '\t' || s[i] == '\r')) ++i;
    if (i + 1 < s.size() && s[i] == '\x1b' && s[i + 1] == '[') {
      std::size_t e = i + 2;
      while (e < s.size() && !(s[e] >= 0x40 && s[e] <= 0x7e)) ++e;
      i = std::min(s.size(), e + 1);
      continue;
    }
    break;
  }
  s.remove_prefix(i);
}

bool is_gap_marker(std::string_view s) {
  s = text::rtrim(s);
  return s == "(...snipped...)" || s == "[...]" || s == "..." || s == "[snip]" || s == "<snip>" ||
         s == "(snip)" || starts_with(s, "(...snipped");
}

// Could a kernel line's prefix start here? (a stamp of one of the forms
// take_stamps() knows, a syslog priority).
bool stamp_start(std::string_view s) {
  if (s.size() < 4) return false;
  if (s[0] == '[') return s[1] == ' ' || is_digit(s[1]) || (s[1] >= 'A' && s[1] <= 'Z');
  if (s[0] == '<') return is_digit(s[1]);
  if (is_digit(s[0])) return s.size() > 10 && s[4] == '-' && s[7] == '-';
  return s[0] >= 'A' && s[0] <= 'Z' && s[3] == ' ' && stamps::month_index(s) != 0;
}

// grep's "FILE:" / "FILE-" (-A/-B context) / "FILE:N:" (-n) in front of a
// log line: a path-like run, then the separator, then a stamp.
bool strip_grep_prefix(std::string_view& s) {
  const std::size_t limit = std::min<std::size_t>(s.size(), 256);
  for (std::size_t i = 1; i < limit; ++i) {
    const char c = s[i];
    if (c == ':' || c == '-') {
      std::size_t j = i + 1;
      std::size_t d = j;
      while (d < s.size() && is_digit(s[d])) ++d;   // grep -n
      if (d > j && d < s.size() && (s[d] == ':' || s[d] == '-') && stamp_start(s.substr(d + 1))) j = d + 1;
      if (stamp_start(s.substr(j))) {
        s.remove_prefix(j);
        return true;
      }
      continue;
    }
    const bool path = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit(c) || c == '.' || c == '/' ||
                      c == '_' || c == '~' || c == '+';
    if (!path) return false;
  }
  return false;
}

// The kernel's own "[  123.456789]" somewhere near the start of a line whose
// beginning no parser knows (serial-console noise, a capture tool's prefix,
// an unknown wrapper): what precedes it is transport.
bool skip_to_embedded_stamp(std::string_view& s) {
  const std::size_t limit = std::min<std::size_t>(s.size(), 160);
  for (std::size_t i = 1; i < limit; ++i) {
    if (s[i] != '[') continue;
    const char before = s[i - 1];
    if (!(before == ' ' || before == '>' || before == ']' || before == ':' || before == '|' || before == '\t' ||
          before == '\r' || before == 'm'))   // 'm': the end of an ANSI colour sequence
      continue;
    std::string_view t = s.substr(i);
    double ts = 0;
    if (stamps::take_dmesg(t, ts)) {
      s.remove_prefix(i);
      return true;
    }
  }
  return false;
}

// One pass over the stamps in front of the message; true when one was taken.
bool take_stamps(std::string_view& s, Line& l, bool probe_host_tag) {
  double ts = 0;
  bool comma = false;
  for (int round = 0; round < 4 && !s.empty(); ++round) {
    if (s.size() > 2 && s[0] == '<' && is_digit(s[1])) {  // syslog priority "<4>", also after a wrapper
      std::size_t close = s.find('>');
      if (close != std::string_view::npos && close <= 4) s.remove_prefix(close + 1);
      if (s.size() > 2 && s[0] == '1' && s[1] == ' ') s.remove_prefix(2);   // RFC 5424 version
      if (s.empty()) break;
    }
    char c = s[0];
    if (c == '[') {
      if (stamps::take_dmesg(s, ts)) {
        l.ts = ts;
        l.stamp = Stamp::dmesg;
        if (!s.empty() && s[0] == '[') {
          stamps::take_caller(s, l.caller);
        } else if (s.size() > 2 && s[0] == ' ' && s[1] == '[') {   // "[ 1.0] [  C1] msg"
          std::string_view t = s.substr(1);
          if (stamps::take_caller(t, l.caller)) s = t;
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
      if (stamps::take_caller(s, l.caller)) {
        s = text::ltrim(s);
        continue;
      }
      std::optional<double> wall;
      if (stamps::take_wall(s, wall) || stamps::take_reltime(s, wall)) {
        l.ts = wall;
        l.stamp = Stamp::dmesg_wall;
        break;
      }
      std::string_view t = s.substr(1);   // "[2026-01-12 10:11:12.123] " (serial capture tools)
      if (t.size() > 20 && is_digit(t[0]) && stamps::take_iso(t, ts, comma)) {
        l.ts = ts;
        l.stamp = Stamp::journal_iso;
        s = text::ltrim(t);
        continue;
      }
      break;
    }
    if (is_digit(c)) {
      if (stamps::take_kmsg(s, ts, l.caller)) {
        l.ts = ts;
        l.stamp = Stamp::kmsg;
        break;
      }
      if (stamps::take_iso(s, ts, comma)) {
        l.ts = ts;
        l.stamp = Stamp::journal_iso;
        if (!comma) take_host_and_kernel_tag(s);   // dmesg --time-format iso has no host
        s = text::ltrim(s);
        continue;  // old syslog may carry the kernel's own "[ 12.3]" after the tag
      }
      break;
    }
    if (c >= 'A' && c <= 'Z' && stamps::take_syslog(s, ts)) {
      l.ts = ts;
      l.stamp = Stamp::journal;
      take_host_and_kernel_tag(s);
      s = text::ltrim(s);
      continue;
    }
    break;
  }
  return l.stamp != Stamp::none || !l.caller.empty();
}

}  // namespace

Line normalize(std::string_view raw, std::uint64_t line_no, bool probe_host_tag) {
  Line l;
  l.no = line_no;
  // Fast path for the common "[  123.456789] msg" line once the journal
  // probe is over: the general path below gives the same Line, at a few
  // times the cost (no quoting or gap marker starts with a stamp).
  if (!probe_host_tag && raw.size() > 3 && raw[0] == '[') {
    std::string_view s = raw;
    double ts = 0;
    if (stamps::take_dmesg(s, ts)) {
      l.ts = ts;
      l.stamp = Stamp::dmesg;
      if (!s.empty() && s[0] == '[') {   // as below: a caller id, or the message's own '[' (task table rows)
        stamps::take_caller(s, l.caller);
      } else if (s.size() > 2 && s[0] == ' ' && s[1] == '[') {
        std::string_view t = s.substr(1);
        if (stamps::take_caller(t, l.caller)) s = t;
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
  if (!take_stamps(s, l, probe_host_tag) && !s.empty()) {
    // Nothing known at the start: a grep file prefix, or noise in front of
    // the kernel's own stamp.
    std::string_view t = s;
    if ((strip_grep_prefix(t) || skip_to_embedded_stamp(t)) && take_stamps(t, l, probe_host_tag)) s = t;
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
