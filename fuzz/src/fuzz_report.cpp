// The JSON documents the tools hand each other, as their readers decode them
// with the formats library's codecs: report.json (the peers bench, the VM
// harness), the analyzer's verdict inside it, runs.json (summarize). Any
// input must decode or be refused with a one-line reason, never crash; a
// document that decodes must survive encode -> decode -> encode unchanged
// (the codec is the only writer of the format).
#include <string>

#include "oomlab/formats/peers_runs.hpp"
#include "oomlab/formats/report.hpp"
#include "oomlab/formats/verdict_summary.hpp"

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
  why.clear();
  if (auto v = decode_verdict(text, &why)) {
    auto again = decode_verdict(encode_verdict(*v));
    if (!again || again->verdict != v->verdict || again->suppressed.size() != v->suppressed.size()) __builtin_trap();
  } else {
    refused_with_a_line(why);
  }
  return 0;
}
