// The host side of a run's results: reports/<UTC>-vm-<name>/ with
// serial.log (written live by the session), report.json and report.html.
#pragma once
#include <nlohmann/json_fwd.hpp>
#include <string>

namespace oomlab::vm {

// Runs BIN_DIR/oomlab-analyze on the console part of the serial log (without
// the report and file sections the guest sent, whose JSON quotes kernel lines
// a second time), fed on stdin under the name NAME. Returns its verdict
// document, or a {"error": "..."} object when the analyzer is not built or fails.
nlohmann::json analyze_console(const std::string& bin_dir, const std::string& console, const std::string& name);

// report.html: the summary, the verdict's findings, the guest's report and the
// serial log, in one self-contained page.
std::string render_report_html(const nlohmann::json& report, const std::string& serial);

}  // namespace oomlab::vm
