// The watchdog's JSON lines (--json-log), as the runner and oomlab-analyze
// read them back with the formats library's codec: any line a reader is given
// must decode or be refused with a reason, and a record that decodes must
// survive encode -> decode (the codec is the only writer of the format).
#include <string>

#include "oomlab/common/text.hpp"
#include "oomlab/formats/watchdog_log.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  oomlab::for_each_line(text, [](std::string_view line) {
    std::string why;
    auto r = oomlab::formats::decode_watchdog_record(line, &why);
    if (!r) {
      if (why.empty()) __builtin_trap();   // a refusal says why
      return;
    }
    (void)oomlab::formats::payload_type(r->payload);
    (void)oomlab::formats::watchdog_line_body(*r);
    const std::string again = oomlab::formats::encode_watchdog_record(*r);
    std::string why2;
    if (!oomlab::formats::decode_watchdog_record(again, &why2)) __builtin_trap();
  });
  return 0;
}
