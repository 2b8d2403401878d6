// The lines of docs/FORMATS.md ("Watchdog stall report", "Watchdog
// actions") and where they go: stderr with a syslog <N> prefix (journald),
// the JSON lines file (every record, through the formats/watchdog_log.hpp
// codec) and optionally /dev/kmsg - there within the kernel's ratelimit for
// /dev/kmsg writers (10 records per 5 s per open file: past that the kernel
// drops them and says "printk: oomlab-watchdog: N output lines suppressed"
// at close). Formatting is pure (tested against the analyzer's
// expectations); Reporter only routes.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>

#include "oomlab/formats/watchdog_log.hpp"
#include "oomlab/watchdog/stall_model.hpp"

namespace oomlab::watchdog {

// syslog priorities used
constexpr int kErr = 3, kWarning = 4, kNotice = 5, kInfo = 6;

struct KillRecord;  // policy.hpp

std::string format_info(const StallCounts& c);
std::string format_task(const TaskStall& s, std::int64_t now_ms);
std::string format_warn(const TaskStall& s, std::int64_t now_ms);
std::string format_kill(pid_t pid, std::string_view comm, std::string_view cgroup, std::uint64_t rss_kb,
                        int oom_score_adj, std::string_view reason, bool dry_run);
std::string format_killed(pid_t pid, std::string_view comm, std::int64_t kill_to_exit_ms,
                          std::int64_t kill_to_freed_ms, std::int64_t freed_kb);
std::string format_escalate(std::string_view cgroup, std::string_view reason);

// Which lines go to /dev/kmsg: the kernel lets a writer through 10 records
// per 5 s (DEFAULT_RATELIMIT_BURST/INTERVAL on a /dev/kmsg open file). Lines
// about actions (kill, killed, escalate) are urgent and keep a reserve;
// stall reports share the rest, and what is withheld is counted so that the
// next window starts with one summary line. Pure: the tests drive the clock.
class KmsgBudget {
 public:
  static constexpr std::int64_t kWindowMs = 5000;
  static constexpr int kBurst = 10;
  static constexpr int kUrgentReserve = 4;
  // May a line go out at now_ms? Counts it (or the withholding).
  bool take(std::int64_t now_ms, bool urgent);
  // Lines withheld since the last summary; a summary is due when a new
  // window opened and lines were withheld. take_summary() resets the count
  // and uses one record of the window.
  bool summary_due(std::int64_t now_ms) const;
  std::uint64_t take_summary(std::int64_t now_ms);
  std::uint64_t withheld_total() const { return withheld_total_; }

 private:
  void roll(std::int64_t now_ms);
  std::int64_t window_start_ = -1;
  int used_ = 0;
  std::uint64_t withheld_ = 0, withheld_total_ = 0;
};

class Reporter {
 public:
  // Opens the optional sinks; a sink that cannot be opened is reported once
  // on stderr and skipped (the watchdog still runs).
  Reporter(bool kmsg_write, const std::string& kmsg_path, const std::string& json_path);
  ~Reporter();
  Reporter(const Reporter&) = delete;
  Reporter& operator=(const Reporter&) = delete;

  // One line ("MemAlloc-Info: ..."): the "oomlab-watchdog[PID]: " prefix is
  // added here; the payload's type names the JSON record. kmsg: whether the
  // line is meant for the kernel log at all (a report sends its MemAlloc-Info
  // and its longest stall there, the other tasks only to stderr and JSON);
  // the budget may still hold it back.
  void emit(int priority, std::string_view text, formats::WdPayload payload, bool kmsg = true);
  // Diagnostics about the watchdog itself (stderr + JSON only, never kmsg).
  void note(int priority, std::string_view text);

  bool kmsg_ok() const { return kmsg_fd_ >= 0; }
  std::uint64_t lines() const { return lines_; }
  std::uint64_t kmsg_withheld() const { return budget_.withheld_total(); }

 private:
  void write_json(int priority, std::string_view text, formats::WdPayload payload);
  KmsgBudget budget_;
  std::string prefix_;
  int kmsg_fd_ = -1;
  int json_fd_ = -1;
  std::uint64_t lines_ = 0;
};

}  // namespace oomlab::watchdog
