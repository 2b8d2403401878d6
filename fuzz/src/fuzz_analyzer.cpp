// The analyzer over whole logs in every transport it accepts. The first
// input byte picks the wrapper put around each line (dmesg, dmesg -T,
// journalctl, ISO syslog, raw /dev/kmsg, syslog priority, mail quoting, CRLF
// serial console, caller ids) so one corpus reaches each normaliser branch;
// the second picks tight or default limits (the caps are where bounded
// memory can go wrong) and, with its bit 2, whether the log goes through the
// streaming LineReader (a memfd, like the CLI reading a file) or through
// analyze_text; the report is rendered as JSON (which must parse back) and text.
#include <sys/mman.h>
#include <unistd.h>

#include <cstdio>
#include <string>

#include <nlohmann/json.hpp>

#include "fuzz_input.hpp"
#include "oomlab/analyzer/analyzer.hpp"
#include "oomlab/analyzer/output.hpp"
#include "oomlab/common/text.hpp"

namespace {

using oomlab::analyzer::Options;

std::string wrap(std::string_view log, unsigned mode) {
  static const char* const kPrefixes[] = {
      "",                                           // as is
      "[  123.456789] ",                            // dmesg
      "[Mon Nov 23 10:00:01 2026] ",                // dmesg -T
      "Nov 23 10:00:01 host kernel: ",              // journalctl -k / syslog
      "2026-11-23T10:00:01.123456+00:00 host kernel: ",  // ISO syslog
      "4,1234,5678901,-;",                          // raw /dev/kmsg
      "<4>[  12.000001] ",                          // syslog priority
      "> ",                                         // mail quoting
      ">> [    1.000000] ",                         // quoted twice, dmesg
      "[   12.345678] [  T123] ",                   // caller id
  };
  const unsigned n = sizeof kPrefixes / sizeof kPrefixes[0];
  const char* prefix = kPrefixes[mode % n];
  const bool crlf = (mode / n) & 1;   // serial consoles end lines with \r\n
  if (!*prefix && !crlf) return std::string(log);
  std::string out;
  out.reserve(log.size() * 2);
  oomlab::for_each_line(log, [&](std::string_view line) {
    out += prefix;
    out += line;
    out += crlf ? "\r\n" : "\n";
  });
  return out;
}

Options options(unsigned mode) {
  Options o;
  if (mode & 1) {   // tight caps: every limit is hit by a few lines
    o.limits.max_line = 64 + (mode >> 1) % 64;
    o.limits.tasks = 2;
    o.limits.frames_per_task = 2;
    o.limits.oom_events = 2;
    o.limits.table_rows = 2;
    o.limits.table_rows_total = 3;
    o.limits.series = 3;
    o.limits.memalloc_tasks = 2;
    o.limits.findings = 2;
    o.limits.evidence = 2;
    o.limits.misc = 2;
  }
  if (mode & 2) {   // thresholds at their edges
    o.stall_threshold_s = 0;
    o.victim_threshold_s = 0;
  }
  return o;
}

void render(const oomlab::analyzer::Report& r) {
  std::string json = oomlab::analyzer::dump_json(oomlab::analyzer::to_json(r), true);
  (void)nlohmann::json::parse(json);   // what we write must parse back
  std::string text = oomlab::analyzer::to_text(r);
  (void)oomlab::analyzer::exit_code(r);
  if (json.empty() || text.empty()) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  oomlab::fuzz::Input in(data, size);
  const unsigned wrapper = in.byte();
  const unsigned mode = in.byte();
  const Options opt = options(mode);
  const std::string log = wrap(in.rest(), wrapper);

  // One path per input (both are fuzzed: the mode byte picks): the whole
  // text in memory, or the streaming LineReader over a file descriptor.
  if (!(mode & 4)) {
    render(oomlab::analyzer::analyze_text(log, "fuzz", opt));
    return 0;
  }
  int fd = ::memfd_create("fuzz_analyzer", MFD_CLOEXEC);
  if (fd < 0) return 0;
  if (::write(fd, log.data(), log.size()) == static_cast<ssize_t>(log.size()) && ::lseek(fd, 0, SEEK_SET) == 0) {
    oomlab::analyzer::Report r = oomlab::analyzer::analyze_fd(fd, "fuzz.log", opt);
    render(r);
    static std::FILE* sink = std::fopen("/dev/null", "w");
    if (sink) oomlab::analyzer::write_json(r, sink, false);
  }
  ::close(fd);
  return 0;
}
