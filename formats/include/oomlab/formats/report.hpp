// The run report, report.json (schema "oomlab.report/2"; docs/FORMATS.md
// "Run report"): one typed codec. oomlab-repro encodes it; the peers bench,
// the VM harness (the guest runner's report that comes back as a file) and
// the tests decode it. Nobody reads report.json through string keys.
//
// Decoding follows the watchdog JSON lines' rule (formats/watchdog_log.hpp): a
// missing field, or one of the wrong type (a string where a number belongs,
// a float for an integer, a number out of the field's range), decodes as the
// field's default - never undefined behaviour, never an exception. Only the
// document itself is checked: a JSON object whose "schema" is
// "oomlab.report/2" (/1 had the analyzer's document in `verdict`; /2 has the
// run's one verdict there and the analyzer's in `log_verdict`).
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "oomlab/formats/verdict_summary.hpp"

namespace oomlab::formats {

inline constexpr std::string_view kReportSchema = "oomlab.report/2";

struct ReportParams {
  std::optional<std::uint64_t> limit_bytes;  // null: --unsafe-no-cgroup
  std::int64_t duration_ms = 0, stall_threshold_ms = 0, period_ms = 0;
  double stall_psi_share = 0;
  bool unsafe_no_cgroup = false;
  std::vector<std::pair<std::string, std::string>> options;  // the scenario's --opt K=V, sorted by key
};

struct ReportKernel {
  std::string release, version, machine;  // uname -r, -v, -m
};

struct ReportCgroup {
  int version = 0;             // 1, 2; 0: --unsafe-no-cgroup
  std::string layout;          // "v1", "v2", "hybrid", "none"
  std::string path, psi_source;
};

// A stall episode of the shared model (facts::StallEpisode, as text).
struct ReportStall {
  std::int64_t start_ms = 0, end_ms = 0, length_ms = 0;
  bool ongoing = false;
  std::string cause;        // facts::stall_cause_name: memory_pressure, blocked_wait, victim_not_exiting, limit_pressed
  std::string wait;         // facts::wait_kind_name when cause is blocked_wait, else "" (null)
  int max_blocked = 0;
  std::string description;  // "up to 3 task(s) blocked on mmap_lock"
};

// The kill that ended the outcome's stall.
struct ReportEndedBy {
  std::int64_t t_ms = 0;
  std::int64_t pid = 0;
  std::string comm;
  std::string by;      // "watchdog" or "kernel"
  std::string reason;  // the watchdog's kill reason; "" (null) for the kernel
};

struct ReportOutcome {
  std::string cls;     // facts::outcome_name ("class")
  std::string reason;  // one line for humans
  int exit_code = 0;
  bool interrupted = false;
  std::optional<std::int64_t> kill_to_freed_ms;
  std::optional<ReportStall> stall;
  std::optional<ReportEndedBy> ended_by;
  std::vector<ReportStall> stalls;
};

struct ReportWorkload {
  std::string exit;      // "exit 0", "signal 9", "running at the deadline"
  std::string teardown;  // "complete" or what was left
  std::string log_tail;  // the last 8 KiB of workload.log
};

struct ReportOomKill {
  std::int64_t t_ms = 0;
  std::int64_t pid = 0;
  std::string comm;
  std::uint64_t anon_rss_kb = 0;
  std::optional<std::int64_t> freed_ms, freed_at_ms;
  std::optional<std::uint64_t> low_usage_bytes;
  std::uint64_t relief_bytes = 0;
  bool relieved = false;
  std::string source;  // "kmsg" or "memory.events"
};

struct ReportWatchdogKill {
  std::int64_t t_ms = 0;
  std::int64_t pid = 0;
  std::string comm, cgroup, reason;
  std::int64_t rss_kb = 0;
  bool dry_run = false;
  std::optional<std::int64_t> kill_to_exit_ms, kill_to_freed_ms, freed_kb;
  std::string freed_by;  // "process_mrelease", "exit", "" (null)
};
struct ReportWatchdogEvent {
  std::int64_t t_ms = 0;
  std::string type, line;
};
// --watchdog: what oomlab-watchdog did (null without --watchdog).
struct ReportWatchdog {
  std::vector<std::string> argv;
  std::string status, log;
  std::vector<ReportWatchdogKill> kills;
  int stall_reports = 0;
  std::vector<ReportWatchdogEvent> events;
  std::uint64_t events_dropped = 0;
  std::uint64_t other_group_events = 0;  // records about other groups, left out (0 in reports before the field)
  int bad_lines = 0;
  std::uint64_t kmsg_withheld = 0;
  // The stall its own reports show (its MemAlloc lines through facts' one
  // model, as oomlab-analyze reads them; the run's clock) and the kill that
  // ended it: the same story as outcome.stall / outcome.ended_by.
  std::optional<ReportStall> stall;
  std::optional<ReportEndedBy> stall_ended_by;
};

struct ReportTracer {
  std::string status, missing;
};

struct ReportEvents {
  std::uint64_t low = 0, high = 0, max = 0, oom = 0, oom_kill = 0;
  bool under_oom = false;
};
struct ReportPsi {
  double some_avg10 = 0, full_avg10 = 0;
  std::uint64_t some_total_us = 0, full_total_us = 0;
  std::optional<double> some_ratio, full_ratio;  // null: unknown
};
struct ReportTasks {
  int running = 0, sleeping = 0, disk = 0, other = 0;     // "R", "S", "D", "other"
  std::vector<std::pair<std::string, int>> top_wait;      // [wchan, count]
  std::vector<std::pair<std::string, int>> blocked;       // wait kind name -> count
};
struct ReportTrace {
  int in_reclaim = 0;
  std::int64_t reclaim_longest_ms = 0;
  std::string reclaim_task, reclaim_kind, reclaim_gfp;
  int reclaim_order = 0;
  int lock_waiters = 0;
  std::int64_t lockwait_longest_ms = 0;
  std::string lockwait_waiter;
  bool lockwait_write = false;
  std::string lockwait_holders;
};
struct ReportSample {
  std::int64_t t_ms = 0;
  std::uint64_t usage_bytes = 0;
  std::optional<std::uint64_t> limit_bytes;
  ReportEvents events;
  std::optional<ReportPsi> psi;
  int processes = 0;
  ReportTasks tasks;
  int oom_kills = 0;
  bool victim_alive = false;
  std::optional<std::int64_t> victim_killed_ms;
  std::optional<ReportTrace> trace;
};

struct ReportKernelLog {
  std::string status;
  std::uint64_t dropped = 0, other_groups_lines = 0;
  std::vector<std::string> lines;
};

struct ReportFiles {
  std::string kernel_log, workload_log, html, watchdog_log;  // relative to the report directory; "" absent
};

// The run's one verdict (facts::RunVerdict as text): an oomlab-analyze class
// that agrees with the outcome, where it comes from ("kernel log", "runner's
// samples") and, when the log's verdict said otherwise, a note saying what.
struct ReportVerdict {
  std::string cls, title, from, note;  // "class"; "" (null) when unset
};

struct Report {
  std::string schema = std::string(kReportSchema);
  std::string scenario;
  ReportParams params;
  std::string started_at, ended_at;  // ISO 8601 UTC
  ReportKernel kernel;
  ReportCgroup cgroup;
  ReportOutcome outcome;
  ReportWorkload workload;
  std::vector<ReportOomKill> oom_kills;
  std::optional<ReportWatchdog> watchdog;
  std::optional<ReportTracer> tracer;
  std::vector<ReportSample> timeline;
  ReportKernelLog kernel_log;
  // The run's one verdict, agreeing with the outcome (facts::run_verdict).
  ReportVerdict verdict;
  // The analyzer's document (oomlab.verdict/1) on kernel.log with the
  // watchdog's JSON lines, kept whole, and the part the tools read; nullopt
  // when there is none (log_verdict_error says why).
  std::optional<VerdictDoc> log_verdict;
  std::string log_verdict_error;
  ReportFiles files;
};

// Pretty (one space indent) with a trailing newline, as report.json is written.
std::string encode_report(const Report& r);
// nullopt with a one-line *why for text that is not a JSON object, or whose
// "schema" is not kReportSchema ("schema is \"oomlab.report/1\", expected
// \"oomlab.report/2\""). Everything else decodes (see above).
std::optional<Report> decode_report(std::string_view text, std::string* why = nullptr);

}  // namespace oomlab::formats
