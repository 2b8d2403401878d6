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

// The one story of a VM run. outcome: the guest runner's class (decoded
// with facts::outcome_from_name) when its summary has one, else how the
// session ended (completed, boot_failed, stalled, timed_out, ...); reason:
// the guest runner's one line ("" without one). The serial console's
// verdict can only see what the kernel printed: when it calls a run clean
// that the runner found stalled (memory.high throttling and mmap-lock waits
// print nothing), verdict_note says so instead of leaving two stories.
struct RunStory {
  std::string outcome, reason, verdict_note;
};
RunStory run_story(const std::string& session, const nlohmann::json& guest_summary, const nlohmann::json& verdict);

// report.html: the summary, the verdict's findings, the guest's report and the
// serial log, in one self-contained page.
std::string render_report_html(const nlohmann::json& report, const std::string& serial);

}  // namespace oomlab::vm
