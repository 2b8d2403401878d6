// The host side of a run's results: reports/<UTC>-vm-<name>/ with
// serial.log (written live by the session), report.json and report.html.
#pragma once
#include <map>
#include <optional>
#include <string>

#include "oomlab/formats/report.hpp"
#include "oomlab/formats/run_summary.hpp"
#include "oomlab/formats/vm_report.hpp"
#include "serial_log.hpp"

namespace oomlab::vm {

// Runs BIN_DIR/oomlab-analyze on the console part of the serial log (without
// the report and file sections the guest sent, whose JSON quotes kernel lines
// a second time), fed on stdin under the name NAME. Returns its verdict
// document, or one with only `error` set when the analyzer is not built or fails.
formats::VerdictDoc analyze_console(const std::string& bin_dir, const std::string& console, const std::string& name);

// The one story of a VM run.
// outcome: the guest runner's class (its full report, guest-*.json, decoded
// with the report codec; else its --json summary), else how the session
// ended (completed, boot_failed, stalled, timed_out, ...); reason: the guest
// runner's one line ("" without one).
// verdict: one verdict that agrees with that outcome. The serial console's
// verdict when its class is the one the outcome calls for
// (facts::verdict_class_for), else the guest run's own verdict (its kernel
// log with the watchdog's JSON lines) when that one is, else - the logs show
// nothing of the stall: memory.high throttling and lock waits print nothing
// to the kernel log - the outcome's class in the analyzer's words, from the
// guest runner's samples, with verdict_note saying what the console's
// verdict was. An outcome of no_oom keeps the console's verdict (the log can
// show failures the samples do not measure). Without a guest outcome (a
// guest command, no report): the console's verdict.
struct RunStory {
  std::string outcome, reason;
  std::string verdict, verdict_title;
  std::string verdict_from;  // "serial console", "guest run's kernel log", "guest runner's samples"
  std::string verdict_note;
};
RunStory run_story(const std::string& session, const std::optional<formats::RunSummary>& guest_summary,
                   const std::optional<formats::VerdictDoc>& console, const std::optional<formats::Report>& guest_report);

// The guest runner's full report among the files the guest sent back
// (guest-*.json), decoded; nullopt when none decodes.
std::optional<formats::Report> guest_runner_report(const std::map<std::string, std::string>& files);

// guest.report from what the guest printed between the report markers: the
// runner's summary for a scenario (decoded with its codec), the command's
// result for --guest-cmd; {"unparsed": text} when it is neither; nothing
// when no complete report came back.
formats::VmGuest guest_section(const GuestOutput& g, bool scenario);

// report.html: the summary, the verdict's findings, the guest's report and the
// serial log, in one self-contained page.
std::string render_report_html(const formats::VmReport& report, const std::string& serial);

}  // namespace oomlab::vm
