// Internal: the report directory of a run and what goes into it.
#pragma once
#include <string>

#include "oomlab/repro/report.hpp"

namespace oomlab::repro {

struct ReportPaths {
  std::string dir;           // reports/<UTC>-<scenario>
  std::string json, html;    // report.json, report.html
  std::string kernel_log;    // kernel.log: the slice given to oomlab-analyze
  std::string workload_log;  // stdout+stderr of the workload
  std::string work_dir;      // scratch for the workload, removed after the run
};

bool make_report_dir(const RunConfig& config, const std::string& scenario, ReportPaths& paths, std::string& error);
bool is_memory_backed(const std::string& dir);  // tmpfs/ramfs
void remove_work_dir(const ReportPaths& paths);
// kernel.log, the analyzer's verdict, report.json, report.html.
// Also fills record.verdict_line (the analyzer's verdict in one line, for
// the summary).
bool write_reports(RunRecord& record, const ReportPaths& paths, std::string& error);
// One summary on stdout: human lines, or a JSON object with --json.
void print_summary(const RunRecord& record, const ReportPaths& paths, const std::string& write_error);
// --json when the run was refused or skipped: {"scenario", "outcome": null, "reason", "exit_code"}.
void print_not_run(const std::string& scenario, const std::string& reason, int exit_code);

}  // namespace oomlab::repro
