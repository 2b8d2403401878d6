// The runner's one-line summary, what `oomlab-repro run ... --json` prints
// on stdout (schema "oomlab.run-summary/1"; docs/FORMATS.md "Run summary"):
// one typed codec. oomlab-repro encodes it (also for a run it refused);
// the peers bench (host runs), the VM harness (the guest runner's summary,
// kept in its report.json as guest.report) and the kernel matrix decode it.
// Where the run's files went is `report_json` - or, simpler for a shell,
// the directory the caller chose with `--report-dir`.
//
// Same decoding rule as the other codecs: missing or wrongly typed fields
// decode as defaults; only the document's "schema" is checked.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace oomlab::formats {

inline constexpr std::string_view kRunSummarySchema = "oomlab.run-summary/1";

struct RunSummary {
  std::string schema = std::string(kRunSummarySchema);
  std::string scenario;
  std::string outcome;  // facts::outcome_name; "" (null): the run did not happen (refused, bad usage)
  std::string reason;   // the outcome's one line, or why the run did not happen
  std::string verdict, verdict_from;  // the run's one verdict class and where it comes from; "" (null)
  int exit_code = 0;    // oomlab-repro's exit status
  bool interrupted = false;
  int oom_kills = 0;
  std::optional<std::int64_t> kill_to_freed_ms;
  std::string teardown;                  // "complete" or what was left; "" (null) when not run
  std::string report_json, report_html;  // paths as given to the runner; "" (null) when not run
  std::optional<int> watchdog_kills;     // with --watchdog
  std::string error;                     // the reports could not be written: why ("" left out)
};

// One line of compact JSON, no newline (as the runner prints it).
std::string encode_run_summary(const RunSummary& s);
// nullopt with a one-line *why for text that is not a JSON object or whose
// "schema" is not kRunSummarySchema. A summary with no "schema" at all
// decodes (schema ""): runners before oomlab.run-summary/1 printed the same
// fields without it, and the kernel matrix and the VM fixtures keep such.
// Leading/trailing whitespace is fine.
std::optional<RunSummary> decode_run_summary(std::string_view text, std::string* why = nullptr);

}  // namespace oomlab::formats
