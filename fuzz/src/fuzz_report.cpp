// The JSON documents the tools hand each other, as their readers decode them
// with the formats library's codecs: report.json (the peers bench, the VM
// harness), the analyzer's verdict inside it, runs.json (summarize), the
// runner's --json summary (the bench, the VM from its guest's console), the
// VM's report.json (the bench, the kernel matrix), the matrix's cells and the
// watchdog's control-socket status (its CLI, the tests) and the peers bench's
// guard record (its VM runner). Any
// input must decode or be refused with a one-line reason, never crash; a
// document that decodes must survive encode -> decode -> encode unchanged
// (the codec is the only writer of the format).
#include <string>

#include "oomlab/formats/kernel_matrix.hpp"
#include "oomlab/formats/peers_runs.hpp"
#include "oomlab/formats/report.hpp"
#include "oomlab/formats/run_summary.hpp"
#include "oomlab/formats/verdict_summary.hpp"
#include "oomlab/formats/vm_report.hpp"
#include "oomlab/formats/watchdog_status.hpp"

namespace {

void refused_with_a_line(const std::string& why) {
  if (why.empty() || why.find('\n') != std::string::npos) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace oomlab::formats;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  std::string why;
  if (auto r = decode_report(text, &why)) {
    const std::string once = encode_report(*r);
    auto again = decode_report(once, &why);
    if (!again || encode_report(*again) != once) __builtin_trap();
  } else {
    refused_with_a_line(why);
  }
  why.clear();
  if (auto p = decode_peers_runs(text, &why)) {
    const std::string once = encode_peers_runs(*p);
    auto again = decode_peers_runs(once, &why);
    if (!again || encode_peers_runs(*again) != once) __builtin_trap();
  } else {
    refused_with_a_line(why);
  }
  // The codecs whose encode is the only writer: decode -> encode -> decode -> encode is stable.
  auto stable = [&](auto decode, auto encode) {
    std::string w;
    if (auto d = decode(text, &w)) {
      const std::string once = encode(*d);
      auto again = decode(once, &w);
      if (!again || encode(*again) != once) __builtin_trap();
    } else {
      refused_with_a_line(w);
    }
  };
  stable([](std::string_view t, std::string* w) { return decode_run_summary(t, w); },
         [](const RunSummary& s) { return encode_run_summary(s); });
  stable([](std::string_view t, std::string* w) { return decode_vm_report(t, w); },
         [](const VmReport& r) { return encode_vm_report(r); });
  stable([](std::string_view t, std::string* w) { return decode_matrix_cell(t, w); },
         [](const MatrixCell& c) { return encode_matrix_cell(c); });
  stable([](std::string_view t, std::string* w) { return decode_watchdog_status(t, w); },
         [](const WatchdogStatus& s) { return encode_watchdog_status(s); });
  stable([](std::string_view t, std::string* w) { return decode_wrapped_guard(t, w); },
         [](const PeersWrappedGuard& g) { return encode_wrapped_guard(g); });
  if (auto c = decode_vm_guest_cmd(text)) (void)c;
  if (auto s = decode_vm_systemd_state(text)) (void)s;
  if (auto h = decode_matrix_host(text, &why)) (void)h;
  why.clear();
  if (auto v = decode_verdict(text, &why)) {
    auto again = decode_verdict(encode_verdict(*v));
    if (!again || again->verdict != v->verdict || again->suppressed.size() != v->suppressed.size()) __builtin_trap();
  } else {
    refused_with_a_line(why);
  }
  return 0;
}
