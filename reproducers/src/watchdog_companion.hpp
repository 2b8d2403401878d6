// `oomlab-repro run ... --watchdog`: oomlab-watchdog (the sibling binary)
// runs next to the scenario, scoped to its group, and its JSON log is folded
// into the report. The runner owns the process: it is stopped at the end of
// every run, killed by the hard-deadline handler, and gets SIGTERM from the
// kernel (PR_SET_PDEATHSIG) if the runner itself dies.
#pragma once
#include <chrono>
#include <string>
#include <sys/types.h>
#include <vector>

#include "oomlab/repro/report.hpp"

namespace oomlab::repro {

class WatchdogCompanion {
 public:
  // argv of the watchdog for a group: --scope /NAME, --watch-cgroup DIR of
  // its memory.pressure (when there is one), --json-log, --socket '', then
  // `extra` (the user's --watchdog-args, which win over the defaults).
  static std::vector<std::string> command(const std::string& exe, const std::string& group_name,
                                          const std::string& pressure_path, const std::string& json_log,
                                          const std::vector<std::string>& extra);

  // Forks and execs; stdout/stderr to `log_path`. false with *why on failure.
  bool start(const std::vector<std::string>& argv, const std::string& log_path, std::string* why);
  // SIGTERM, up to `grace` for it to exit, then SIGKILL; always reaps.
  // Returns how it ended ("exit 0", "signal 9 (Killed) after SIGTERM timeout").
  std::string stop(std::chrono::milliseconds grace);
  // The runner's reaping loop found it dead (status from waitpid).
  void exited(int status);

  pid_t pid() const { return pid_; }
  bool running() const { return pid_ > 0; }
  ~WatchdogCompanion();

 private:
  pid_t pid_ = -1;
  std::string early_exit_;  // set when it died before stop()
};

// The watchdog's pid for async-signal-safe emergency paths (0: none).
pid_t watchdog_emergency_pid();

// Decodes the watchdog's JSON lines (formats/watchdog_log.hpp, docs/FORMATS.md
// "Watchdog JSON lines") into the report's section; mono_ms becomes t_ms
// relative to t0_us (CLOCK_MONOTONIC of the workload start). Unparseable
// lines are counted, not fatal. With `group` (the run's group as the watchdog
// names cgroups, RunRecord::cgroup_name), records about another group, and
// the killed: lines of its kills, are counted in other_group_events instead.
void fold_watchdog_log(const std::string& json_log, std::int64_t t0_us, const std::string& group,
                       WatchdogSection& out);

}  // namespace oomlab::repro
