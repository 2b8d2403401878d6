// The report of one run: report.json (schema "oomlab.report/2") and a
// self-contained report.html with an inline SVG timeline.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "oomlab/facts/run_verdict.hpp"
#include "oomlab/formats/report.hpp"
#include "oomlab/repro/outcome.hpp"
#include "oomlab/repro/run_config.hpp"
#include "oomlab/repro/timeline.hpp"

namespace oomlab::repro {

// What oomlab-watchdog did during a `--watchdog` run (from its JSON log).
struct WatchdogEvent {
  std::int64_t t_ms = 0;  // since the workload started
  std::string type;       // memalloc_info, memalloc, warn, kill, killed, escalate, note...
  std::string line;       // the text line, "oomlab-watchdog[PID]: ..."
};
struct WatchdogKill {
  std::int64_t t_ms = 0;  // the `kill:` line
  pid_t pid = 0;
  std::string comm, cgroup, reason;
  std::int64_t rss_kb = 0;
  bool dry_run = false;
  // From the matching `killed:` line; -1: the watchdog did not observe it.
  std::int64_t kill_to_exit_ms = -1, kill_to_freed_ms = -1, freed_kb = -1;
  std::string freed_by;  // "process_mrelease", "exit" or "" (formats::WdKilled)
};
struct WatchdogSection {
  bool enabled = false;
  std::vector<std::string> argv;
  std::string log_file;             // relative to the report directory
  std::string status;               // how it ended, or why it did not start
  std::vector<WatchdogEvent> events;  // every line, capped (events_dropped counts the rest)
  std::size_t events_dropped = 0;
  // Records about another memory cgroup (the watchdog reports every group's
  // stalls; a concurrent run's are not this run's story), left out of
  // events and kills; its log file has them all.
  std::size_t other_group_events = 0;
  std::vector<WatchdogKill> kills;
  int stall_reports = 0;            // MemAlloc-Info lines
  int bad_lines = 0;                // lines that were not JSON objects
  std::uint64_t kmsg_withheld = 0;  // lines it kept out of /dev/kmsg (ratelimit), from its summaries
  std::int64_t t0_mono_ms = 0;      // CLOCK_MONOTONIC of the workload start: its log's clock to the run's
  // The stall its reports show and the kill that ended it (set with the
  // reports: watchdog_stall(), from oomlab-analyze's finding on its lines).
  std::optional<formats::ReportStall> stall;
  std::optional<formats::ReportEndedBy> stall_ended_by;
};

struct RunRecord {
  RunConfig config;
  std::string started_at, ended_at;   // ISO 8601 UTC
  std::string kernel_release, kernel_version, machine;
  int cgroup_version = 0;             // 0: --unsafe-no-cgroup
  std::string cgroup_layout;          // "v1", "v2", "hybrid", "none"
  std::string cgroup_path;
  // The group as oomlab-watchdog names tasks' cgroups ("/oomlab/repro-1-2-3";
  // "" without one): its --scope, and oomlab-analyze's --cgroup.
  std::string cgroup_name;
  std::string psi_source;             // group memory.pressure path or /proc/pressure/memory
  std::string kmsg_status;            // "ok" or why the kernel log was not read
  std::vector<Sample> samples;
  std::vector<OomKill> kills;
  std::vector<KernelLine> kernel_log;
  std::uint64_t kernel_log_dropped = 0;
  std::uint64_t kernel_log_other_groups = 0;  // lines of other groups' OOM reports, left out
  Outcome outcome;
  int exit_code = 0;
  bool interrupted = false;           // SIGINT/SIGTERM ended the run early
  std::string workload_exit;          // "exit 0", "signal 9", "running at the deadline"
  std::string teardown;               // "complete" or what was left
  WatchdogSection watchdog;           // --watchdog
  std::string trace_status;           // --trace: "ok" or why not ("" without --trace)
  std::string trace_missing;          // tracepoints the kernel lacks
  // Set when the reports are written: the run's one verdict (agreeing with
  // the outcome: facts::run_verdict of the analyzer's verdict on kernel.log)
  // and the summary's line for it, "silent_hang (from the runner's samples)".
  facts::RunVerdict verdict;
  std::string verdict_line;
};

// The stall the watchdog's own reports show: oomlab-analyze's finding on
// its lines (details.source "oomlab-watchdog") - the one overlapping the
// outcome's stall, else the longest - on the run's clock, with the kill that
// ended it. Unset when the analyzer found none.
void watchdog_stall(WatchdogSection& w, const Outcome& outcome, const formats::VerdictDoc& v);
// The report.json document of the run (formats/report.hpp), with
// r.verdict; without the analyzer's document and the files, which
// write_reports adds.
formats::Report report_document(const RunRecord& r);
// The page: the run's one verdict (r.verdict) under the outcome; `verdict`
// is the analyzer's document on kernel.log, when there is one, shown whole.
std::string render_report_html(const RunRecord& r, const std::optional<formats::VerdictDoc>& verdict);

}  // namespace oomlab::repro
