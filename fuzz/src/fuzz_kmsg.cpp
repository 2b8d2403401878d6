// Kernel log records and timestamps: raw /dev/kmsg records
// ("pri,seq,usec,flags;message\n KEY=v"), their dmesg rendering, the
// analyzer's normaliser (every stamp form: dmesg, dmesg -T, journal, ISO,
// kmsg, caller ids, priorities, quoting) and the OOM / reaper / ratelimit
// line parsers of the facts library every component uses.
// Checks one round trip: a record the parser accepts, printed as dmesg,
// reads back with the same timestamp.
#include <cmath>
#include <string>

#include "fuzz_input.hpp"
#include "oomlab/analyzer/normalizer.hpp"
#include "oomlab/common/kmsg.hpp"
#include "oomlab/common/text.hpp"
#include "oomlab/facts/kernel_lines.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);

  if (auto rec = oomlab::parse_kmsg_record(text)) {
    if (rec->message.find('\n') != std::string::npos) __builtin_trap();
    const std::string line = oomlab::format_dmesg_line(*rec);
    const auto norm = oomlab::analyzer::normalize(line, 1);
    // A record's stamp (below ~31 years of uptime) must come back from its
    // dmesg line: the runner writes these lines and the analyzer reads them.
    if (rec->usec < 1'000'000'000'000'000ull) {
      if (norm.stamp != oomlab::analyzer::Stamp::dmesg || !norm.ts) __builtin_trap();
      const double want = static_cast<double>(rec->usec) / 1e6;
      if (std::fabs(*norm.ts - want) > 1e-6 * std::max(1.0, want)) __builtin_trap();
    }
  }

  std::uint64_t no = 0;
  oomlab::for_each_line(text, [&](std::string_view raw) {
    ++no;
    const auto line = oomlab::analyzer::normalize(raw, no, no & 1);
    // Views into the input only: the message lies inside the raw line.
    if (!line.msg.empty() && (line.msg.data() < raw.data() || line.msg.data() + line.msg.size() > raw.data() + raw.size()))
      __builtin_trap();
    (void)oomlab::analyzer::to_string(line.stamp);
    namespace facts = oomlab::facts;
    if (auto k = facts::parse_killed_process(line.msg)) {
      if (k->comm.size() > line.msg.size()) __builtin_trap();
    }
    (void)facts::parse_oom_kill_summary(line.msg);
    (void)facts::parse_oom_kill_in_group(line.msg, "oomlab/repro-1");
    (void)facts::parse_oom_kill_in_group(raw, "");
    (void)facts::parse_oom_reaped(line.msg);
    (void)facts::parse_ratelimit_suppressed(line.msg);
  });
  return 0;
}
