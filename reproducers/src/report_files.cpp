#include "report_files.hpp"

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <linux/magic.h>
#include <nlohmann/json.hpp>
#include <sys/vfs.h>
#include <unistd.h>

#include "oomlab/common/clock.hpp"
#include "oomlab/common/subprocess.hpp"
#include "oomlab/formats/run_summary.hpp"

namespace oomlab::repro {
namespace {

namespace fs = std::filesystem;

bool write_file(const std::string& path, const std::string& data, std::string& error) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f << data;
  f.close();
  if (!f) {
    error = "cannot write " + path;
    return false;
  }
  return true;
}

std::string first_line(const std::string& s) { return s.substr(0, s.find('\n')); }

std::string at_seconds(std::int64_t ms) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "+%.1fs", static_cast<double>(ms) / 1000);
  return buf;
}

// Runs oomlab-analyze (a sibling binary) on the kernel log slice, with the
// watchdog's JSON log merged in when there is one (the reports the kernel's
// ratelimit kept out of the log), and --cgroup the run's group: the
// watchdog reports every group, so another group stalling at the same time
// would otherwise be folded into this run's verdict. Returns its verdict
// document, or nullopt with the reason in why.
std::optional<formats::VerdictDoc> analyze(const std::string& kernel_log, const std::string& watchdog_log,
                                           const std::string& cgroup, std::string& why) {
  const std::string exe = self_exe_dir() + "/oomlab-analyze";
  if (access(exe.c_str(), X_OK) != 0) {
    why = "oomlab-analyze not found next to oomlab-repro (" + exe + ")";
    return std::nullopt;
  }
  std::vector<std::string> argv{exe, kernel_log};
  std::error_code ec;
  if (!watchdog_log.empty() && fs::file_size(watchdog_log, ec) > 0 && !ec)
    argv.insert(argv.begin() + 1, {"--watchdog-log", watchdog_log});
  if (!cgroup.empty()) argv.insert(argv.begin() + 1, {"--cgroup", cgroup});
  ProcessSpec spec(argv);
  spec.timeout = std::chrono::seconds(30);
  try {
    ProcessResult r = run_process(spec);
    if (r.timed_out) {
      why = "oomlab-analyze timed out after 30 s";
      return std::nullopt;
    }
    if (r.exit_code != 0 && r.exit_code != 1) {
      why = "oomlab-analyze failed (" + (r.signal ? "signal " + std::to_string(r.signal) : "exit " + std::to_string(r.exit_code)) +
            "): " + first_line(r.err);
      return std::nullopt;
    }
    auto doc = formats::decode_verdict(r.out);
    if (!doc) why = "oomlab-analyze printed something that is not JSON";
    return doc;
  } catch (const std::exception& e) {
    why = std::string("cannot run oomlab-analyze: ") + e.what();
    return std::nullopt;
  }
}

// The run's one verdict from the analyzer's (facts::run_verdict: the same
// rule as the VM harness): the analyzer's when it agrees with the outcome,
// else the outcome's class from the runner's samples with a note.
facts::RunVerdict one_verdict(const RunRecord& r, const std::optional<formats::VerdictDoc>& v, const std::string& why) {
  facts::LogVerdict log{"kernel log", "", "", ""};
  if (v) log.cls = v->verdict, log.title = v->title;
  if (log.cls.empty()) log.error = v ? "oomlab-analyze gave no verdict class" : why;
  const bool victim_stuck = r.outcome.stall && r.outcome.stall->cause == facts::StallCause::victim_not_exiting;
  return facts::run_verdict(r.outcome.cls, victim_stuck, r.outcome.reason, {log}, "runner's samples");
}

// "allocation_stall - allocation stall: ... ended by an oomlab-watchdog kill
// (from the kernel log); the kernel log lost 111 line(s) of oomlab-watchdog to
// the printk ratelimit (merged back from its JSON log)". The title is left out
// when it is the outcome's reason (printed on the line above).
std::string verdict_line(const RunRecord& r, const std::optional<formats::VerdictDoc>& v) {
  const facts::RunVerdict& one = r.verdict;
  std::string line = one.cls.empty() ? "?" : one.cls;
  if (!one.title.empty() && one.title != one.cls && one.title != r.outcome.reason) line += " - " + one.title;
  line += " (from the " + one.from + ")";
  if (v)
    for (const formats::VerdictSuppressed& s : v->suppressed)
      line += "; the kernel log lost " + std::to_string(s.lines) + " line(s) of " + (s.who.empty() ? "?" : s.who) +
              " to the printk ratelimit" +
              (s.who == "oomlab-watchdog" && v->watchdog_log_merged ? " (merged back from its JSON log)" : "");
  return line;
}

}  // namespace

void watchdog_stall(WatchdogSection& w, const Outcome& outcome, const formats::VerdictDoc& v) {
  w.stall.reset();
  w.stall_ended_by.reset();
  const auto run_ms = [&](double ts) { return static_cast<std::int64_t>(std::llround(ts * 1000)) - w.t0_mono_ms; };
  const formats::VerdictStall* best = nullptr;
  std::int64_t best_overlap = -1;
  for (const formats::VerdictFinding& f : v.findings) {
    if (!f.stall || f.stall->source != "oomlab-watchdog") continue;
    const formats::VerdictStall& s = *f.stall;
    const std::int64_t start = run_ms(s.start_ts), end = run_ms(s.end_ts);
    // The one the outcome is about (most overlap), else the longest.
    std::int64_t overlap = static_cast<std::int64_t>(s.duration_s * 1000);
    if (outcome.stall)
      overlap = std::max<std::int64_t>(0, std::min(end, outcome.stall->end_ms) - std::max(start, outcome.stall->start_ms)) +
                (1LL << 40);
    if (overlap > best_overlap) best = &s, best_overlap = overlap;
  }
  if (!best) return;
  formats::ReportStall d;
  d.start_ms = run_ms(best->start_ts);
  d.end_ms = run_ms(best->end_ts);
  d.length_ms = static_cast<std::int64_t>(std::llround(best->duration_s * 1000));
  d.ongoing = best->ended_by == "end_of_log" || best->ended_by == "unknown";
  d.cause = best->cause, d.wait = best->wait, d.max_blocked = best->max_blocked, d.description = best->description;
  w.stall = d;
  if ((best->ended_by == "watchdog_kill" || best->ended_by == "oom_kill") && best->ended_by_ts)
    w.stall_ended_by = formats::ReportEndedBy{run_ms(*best->ended_by_ts), best->ended_by_pid, best->ended_by_comm,
                                              best->ended_by == "watchdog_kill" ? "watchdog" : "kernel",
                                              best->ended_by_reason};
}

bool make_report_dir(const RunConfig& config, const std::string& scenario, ReportPaths& paths, std::string& error) {
  std::error_code ec;
  std::string dir = config.report_dir;
  if (dir.empty()) {
    fs::create_directories(config.out_dir, ec);
    const std::string base = config.out_dir + "/" + utc_stamp() + "-" + scenario;
    dir = base;
    for (int n = 2; fs::exists(dir, ec); ++n) dir = base + "-" + std::to_string(n);
  } else if (fs::exists(dir, ec) && !fs::is_empty(dir, ec)) {
    error = "--report-dir " + dir + " exists and is not empty (a report directory holds one run)";
    return false;
  }
  if (!fs::create_directories(dir + "/work", ec)) {
    error = "cannot create the report directory " + dir + ": " + ec.message();
    return false;
  }
  paths.dir = dir;
  paths.json = dir + "/report.json";
  paths.html = dir + "/report.html";
  paths.kernel_log = dir + "/kernel.log";
  paths.workload_log = dir + "/workload.log";
  paths.work_dir = dir + "/work";
  return true;
}

bool is_memory_backed(const std::string& dir) {
  struct statfs st{};
  if (statfs(dir.c_str(), &st) != 0) return false;
  return st.f_type == TMPFS_MAGIC || st.f_type == RAMFS_MAGIC;
}

void remove_work_dir(const ReportPaths& paths) {
  std::error_code ec;
  fs::remove_all(paths.work_dir, ec);
}

bool write_reports(RunRecord& r, const ReportPaths& paths, std::string& error) {
  std::string log;
  for (const KernelLine& l : r.kernel_log) log += l.text + "\n";
  if (!write_file(paths.kernel_log, log, error)) return false;
  std::string why;
  const auto analyzed =
      analyze(paths.kernel_log, r.watchdog.enabled ? paths.dir + "/" + r.watchdog.log_file : "", r.cgroup_name, why);
  r.verdict = one_verdict(r, analyzed, why);
  r.verdict_line = verdict_line(r, analyzed);
  if (r.watchdog.enabled && analyzed) watchdog_stall(r.watchdog, r.outcome, *analyzed);
  formats::Report doc = report_document(r);
  doc.log_verdict = analyzed;
  if (!analyzed) doc.log_verdict_error = why;
  if (std::ifstream f(paths.workload_log); f) {
    doc.workload.log_tail.assign(std::istreambuf_iterator<char>(f), {});
    if (doc.workload.log_tail.size() > 8192)
      doc.workload.log_tail = "..." + doc.workload.log_tail.substr(doc.workload.log_tail.size() - 8192);
  }
  doc.files = {"kernel.log", "workload.log", "report.html", r.watchdog.enabled ? r.watchdog.log_file : ""};
  if (!write_file(paths.json, formats::encode_report(doc), error)) return false;
  return write_file(paths.html, render_report_html(r, doc.log_verdict), error);
}

void print_summary(const RunRecord& r, const ReportPaths& paths, const std::string& write_error) {
  const std::string cls(outcome_name(r.outcome.cls));
  if (r.config.json) {
    formats::RunSummary s;
    s.scenario = r.config.scenario, s.outcome = cls, s.reason = r.outcome.reason;
    s.verdict = r.verdict.cls, s.verdict_from = r.verdict.from;
    s.exit_code = r.exit_code, s.interrupted = r.interrupted, s.oom_kills = static_cast<int>(r.kills.size());
    s.kill_to_freed_ms = r.outcome.kill_to_freed_ms, s.teardown = r.teardown;
    s.report_json = paths.json, s.report_html = paths.html;
    if (r.watchdog.enabled) s.watchdog_kills = static_cast<int>(r.watchdog.kills.size());
    s.error = write_error;
    std::printf("%s\n", formats::encode_run_summary(s).c_str());
  } else {
    std::printf("%s: %s%s - %s\n", r.config.scenario.c_str(), cls.c_str(), r.interrupted ? " (interrupted)" : "",
                r.outcome.reason.c_str());
    if (!r.verdict_line.empty()) std::printf("verdict: %s\n", r.verdict_line.c_str());
    if (!r.verdict.note.empty()) std::printf("         %s\n", r.verdict.note.c_str());
    std::printf("teardown: %s\n", r.teardown.c_str());
    if (r.watchdog.enabled) {
      std::printf("watchdog: %zu kill%s, %d stall report%s (%s)\n", r.watchdog.kills.size(),
                  r.watchdog.kills.size() == 1 ? "" : "s", r.watchdog.stall_reports,
                  r.watchdog.stall_reports == 1 ? "" : "s", r.watchdog.status.c_str());
    if (const auto& st = r.watchdog.stall) {
      // Its own reports' story, beside the outcome's (same model, its evidence).
      std::string ended = st->ongoing ? "until its reports ended" : "then progressed";
      if (const auto& k = r.watchdog.stall_ended_by)
        ended = "ended by " + std::string(k->by == "watchdog" ? "its kill of " : "the kernel's OOM kill of ") + k->comm + "(" +
                std::to_string(k->pid) + ") at " + at_seconds(k->t_ms);
      std::printf("  its reports: no progress from %s for %.1f s (%s), %s\n", at_seconds(st->start_ms).c_str(),
                  static_cast<double>(st->length_ms) / 1000, st->description.c_str(), ended.c_str());
    }
      for (const WatchdogKill& k : r.watchdog.kills)
        std::printf("  +%.1fs %s(%d) reason=%s%s, freed %s\n", static_cast<double>(k.t_ms) / 1000, k.comm.c_str(), k.pid,
                    k.reason.c_str(), k.dry_run ? " dry-run" : "",
                    k.kill_to_freed_ms < 0 ? "-" : (std::to_string(k.kill_to_freed_ms) + " ms later" +
                                                    (k.freed_by.empty() ? "" : " (" + k.freed_by + ")")).c_str());
    }
    if (write_error.empty()) std::printf("report: %s\n        %s\n", paths.json.c_str(), paths.html.c_str());
    else std::printf("report: not written: %s\n", write_error.c_str());
  }
  std::fflush(stdout);
}

void print_not_run(const std::string& scenario, const std::string& reason, int exit_code) {
  formats::RunSummary s;
  s.scenario = scenario, s.reason = reason, s.exit_code = exit_code;
  std::printf("%s\n", formats::encode_run_summary(s).c_str());
  std::fflush(stdout);
}

}  // namespace oomlab::repro
