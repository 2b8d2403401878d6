// The peers side by side in the Debian guest (oomlab-bench-peers run --vm
// --rootfs debian): each run is one `oomlab-vm run SCENARIO --rootfs debian
// --guard G --guard-config default|tuned`, so every guard runs as the
// systemd service its package ships - systemd-oomd too, which needs systemd
// as PID 1 and a unit with ManagedOOMMemoryPressure=kill. The figures come
// from the runner's report, the guard's journal (its kill lines, epoch
// timestamps) and its unit's CPUUsageNSec, through the same measure_run as
// the host and busybox-VM runs.
#pragma once
#include <chrono>
#include <string>
#include <vector>

#include "child.hpp"
#include "guards.hpp"
#include "run_metrics.hpp"

namespace oomlab::peers {

// The guards of the Debian guest: the packaged services.
const std::vector<std::string>& debian_guards();  // none, oomlab-watchdog, systemd-oomd, earlyoom, nohang

struct DebianRunConfig {
  std::string scenario;
  std::string guard = "none";   // a debian_guards() name
  bool tuned = false;           // --guard-config tuned (act after 5 s where the guard can)
  std::string mem = "512M";     // guest memory
  std::string limit = "256M";   // the scenario group's memory.max
  std::chrono::seconds duration{30};
  std::string kernel;           // --kernel SERIES for oomlab-vm, "" = its default
  std::string bin_dir;          // oomlab-vm and the build it installs into the guest
  std::string rootfs_cache;     // --rootfs-cache
  std::string work_dir;         // vm reports go to work_dir/vm-reports
  std::string report_dir;       // this run's oomlab-vm --report-dir (run_in_debian_vm makes a fresh one)
  std::string oomlab_deb;       // --oomlab-deb: the package installed in the guest, "" = the build tree
  std::vector<std::string> scenario_args;  // the scenario's own options (--high 50% ...), after the runner's
  bool keep_reports = false;    // keep each run's oomlab-vm report directory (journal, oomctl dump, serial log)
};

// "systemd-oomd (tuned)": the name a run carries in runs.json and the tables.
std::string debian_guard_label(const std::string& guard, bool tuned);

// journalctl -o short-unix lines ("1733500540.123456 host unit[1]: text") ->
// timed lines; other lines (the "-- Boot" header) are skipped.
std::vector<TimedLine> parse_short_unix_journal(const std::string& text);

// systemd-oomd's kills: "Killed /oomlab.slice/repro-1-2-3 due to memory
// pressure for /oomlab.slice being 61.20% > 60.00% for > 30s with reclaim
// activity" - a whole-group kill.
std::vector<GuardKill> parse_oomd_kills(const std::vector<TimedLine>& lines);

// The oomlab-vm command line of one run: the guard and its config, the
// package or build tree, then after `--` the runner's options (act after 5 s)
// and the scenario's own.
std::vector<std::string> debian_vm_argv(const DebianRunConfig& c);

RunResult run_in_debian_vm(const DebianRunConfig& c, std::string& log);

struct DebianBench {
  std::vector<std::string> scenarios, guards;
  std::vector<bool> configs{false, true};  // default, tuned ("none" runs once)
  int runs = 1;
  DebianRunConfig base;                   // scenario and guard filled in per run
};
// The whole matrix, run-major; writes OUT/runs.json after every run, then
// summary.md and chart.svg. Returns the process exit code.
int run_debian_bench(const DebianBench& b, const std::string& out);

}  // namespace oomlab::peers
