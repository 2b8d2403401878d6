// Splitting the guest's serial console into what the harness needs: the
// guest init's marker lines (vm/guest/init.sh prints them), the report the
// guest printed between its markers, and the rest, which is the kernel log
// the analyzer reads.
#pragma once
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace oomlab::vm {

// Marker lines, shared with vm/guest/init.sh.
inline constexpr std::string_view kBootedMarker = "OOMLAB-VM: booted";      // " kernel=R uptime=S"
inline constexpr std::string_view kReportBegin = "OOMLAB-VM: report begin";
inline constexpr std::string_view kReportEnd = "OOMLAB-VM: report end";
inline constexpr std::string_view kExitMarker = "OOMLAB-VM: exit";          // " code=N"
inline constexpr std::string_view kFileBegin = "OOMLAB-VM: file begin ";    // + NAME
inline constexpr std::string_view kFileEnd = "OOMLAB-VM: file end";

struct GuestOutput {
  bool booted = false;
  std::string kernel_release;   // from the booted line
  double boot_uptime_s = -1;    // guest uptime when its init ran
  bool report_begun = false;
  bool report_complete = false; // the end marker was seen
  std::string report;           // text between the markers
  std::optional<int> exit_code; // of the guest job
  std::map<std::string, std::string> files;  // complete files the guest sent back, by name
  std::string console;          // the log without the report and file lines (for the analyzer)
};

GuestOutput split_serial_log(std::string_view serial);

// "key=value" from a marker line ("" when absent).
std::string marker_field(std::string_view line, std::string_view key);

}  // namespace oomlab::vm
