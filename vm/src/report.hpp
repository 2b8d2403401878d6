// The host side of a run's results: reports/<UTC>-vm-<name>/ with
// serial.log (written live by the session), report.json and report.html.
#pragma once
#include <nlohmann/json_fwd.hpp>
#include <string>

namespace oomlab::vm {

// Runs BIN_DIR/oomlab-analyze on the serial log. Returns its verdict document,
// or a {"error": "..."} object when the analyzer is not built or fails.
nlohmann::json analyze_serial_log(const std::string& bin_dir, const std::string& serial_log);

// report.html: the summary, the verdict's findings, the guest's report and the
// serial log, in one self-contained page.
std::string render_report_html(const nlohmann::json& report, const std::string& serial);

}  // namespace oomlab::vm
