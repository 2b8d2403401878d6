// The test VM's serial console as the host receives it: kernel log, the
// guest init's marker lines, a report between markers, files sent back, all
// interleaved and possibly cut anywhere (a guest killed mid-line). The
// console part then goes to the analyzer, as oomlab-vm does.
#include <string>

#include "oomlab/analyzer/analyzer.hpp"
#include "serial_log.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view serial(reinterpret_cast<const char*>(data), size);
  const oomlab::vm::GuestOutput out = oomlab::vm::split_serial_log(serial);
  if (out.report_complete && !out.report_begun) __builtin_trap();
  // Nothing is invented: every part comes from the stream.
  if (out.console.size() > serial.size() || out.report.size() > serial.size()) __builtin_trap();
  for (const auto& [name, body] : out.files)
    if (name.size() + body.size() > serial.size()) __builtin_trap();
  (void)oomlab::vm::marker_field(serial, "code");
  (void)oomlab::vm::marker_field(serial, "");
  (void)oomlab::analyzer::analyze_text(out.console, "serial.log");
  return 0;
}
