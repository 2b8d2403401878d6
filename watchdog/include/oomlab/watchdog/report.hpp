// The lines of docs/FORMATS.md ("Watchdog stall report", "Watchdog
// actions") and where they go: stderr with a syslog <N> prefix (journald),
// optionally /dev/kmsg, and a JSON lines file. Formatting is pure (tested
// against the analyzer's expectations); Reporter only routes.
#pragma once
#include <cstdint>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <string_view>

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

class Reporter {
 public:
  // Opens the optional sinks; a sink that cannot be opened is reported once
  // on stderr and skipped (the watchdog still runs).
  Reporter(bool kmsg_write, const std::string& kmsg_path, const std::string& json_path);
  ~Reporter();
  Reporter(const Reporter&) = delete;
  Reporter& operator=(const Reporter&) = delete;

  // One line ("MemAlloc-Info: ..."): the "oomlab-watchdog[PID]: " prefix is
  // added here. fields (may be null) go into the JSON record with "type".
  void emit(int priority, std::string_view type, std::string_view text, const nlohmann::json* fields = nullptr);
  // Diagnostics about the watchdog itself (stderr + JSON only, never kmsg).
  void note(int priority, std::string_view text);

  bool kmsg_ok() const { return kmsg_fd_ >= 0; }
  std::uint64_t lines() const { return lines_; }

 private:
  std::string prefix_;
  int kmsg_fd_ = -1;
  int json_fd_ = -1;
  std::uint64_t lines_ = 0;
};

}  // namespace oomlab::watchdog
