// Input normalisation: strips the transport around a kernel message so that
// recognisers only ever see the message itself. Handles dmesg "[ 12.345678]",
// caller ids "[  T123]"/"[  C1]", dmesg -T "[Mon Nov 23 10:00:01 2026]" in any
// locale, dmesg -H "[Jan12 10:11]"/"[  +0.000052]", dmesg --time-format iso,
// journalctl/syslog "Nov 23 10:00:01[.123] host kernel: ", rsyslog/journal
// ISO stamps, RFC 5424, netconsole relayed by syslog ("host [ 12.3] msg"),
// raw /dev/kmsg records "6,1234,5678901,-;", syslog priorities "<4>",
// vmware.log "... Guest: <4>[ 12.3] msg", mail/markdown quoting "> ", ">> ",
// grep prefixes "FILE:", "FILE-", "FILE:N:", serial-console noise in front
// of the kernel's stamp, and recognises "(...snipped...)" gaps. Stamp
// parsers live in stamps.cpp; wrapped lines are rejoined by joiner.cpp.
#pragma once
#include <cstdint>
#include <optional>
#include <string_view>

namespace oomlab::analyzer {

enum class Stamp : std::uint8_t { none, dmesg, dmesg_wall, journal, journal_iso, kmsg };
const char* to_string(Stamp s);

struct Line {
  std::uint64_t no = 0;
  std::optional<double> ts;
  std::string_view caller;   // "T123" / "C1" when the kernel printed caller ids
  std::string_view msg;      // message with leading blanks removed
  bool indented = false;     // the message started with blanks (frames, continuation)
  bool gap = false;          // "(...snipped...)", "[...]": the log is not contiguous here
  bool host_tag = false;     // "host kernel: " / "host tag[pid]: " followed the stamp
  Stamp stamp = Stamp::none;
};

// Normalises one raw line (without its newline). probe_host_tag: look for
// journalctl's "[ 12.3] host kernel: " after a dmesg stamp; the Analyzer
// stops probing once a log has shown it does not use that form.
Line normalize(std::string_view raw, std::uint64_t line_no, bool probe_host_tag = true);

}  // namespace oomlab::analyzer
