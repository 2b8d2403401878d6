// One scenario run inside the test VM under one guard: for the guards that
// watch the whole machine (earlyoom reads MemAvailable from /proc/meminfo),
// the scenario must be the whole machine. oomlab-vm boots a guest whose
// memory is the scenario's limit; the guard runs under `oomlab-bench-peers
// wrap` (same measurements as on the host); the guest prints oomlab-repro's
// report and the wrapped guard's record on the serial console between
// PEERS-* marker lines, read back here from serial.log.
#pragma once
#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "guards.hpp"
#include "oomlab/common/subprocess.hpp"
#include "oomlab/formats/vm_report.hpp"
#include "run_metrics.hpp"

namespace oomlab::peers {

struct VmRunConfig {
  std::string scenario;
  GuardKind guard = GuardKind::none;
  std::string mem = "384M";   // guest memory, also the scenario group's limit
  std::chrono::seconds duration{20};
  std::string bin_dir;        // oomlab-vm, oomlab-repro, oomlab-watchdog, oomlab-bench-peers
  std::string work_dir;       // vm reports go to work_dir/vm-reports
  std::vector<std::string> scenario_args;  // the scenario's own options (--ballast 70% ...), after the runner's
  std::string disk_iops;  // oomlab-vm --disk-iops for the scenarios with a disk ("": not throttled)
};

// The scenario's own options in the busybox guest: the ones given
// (--scenario-args), else the guest's geometry for page-cache-thrash
// (kVmThrashArgs), else none.
std::vector<std::string> vm_scenario_args(const std::string& scenario, const std::vector<std::string>& given);
// page-cache-thrash in the 384M busybox guest: half of what the guest can
// give as anonymous ballast, and a file set ~1.2x the page cache left, so
// that the refaults are the kernel's "workingset" ones (see vm_run.cpp).
inline constexpr const char* kVmThrashArgs[] = {"--ballast", "37%", "--working-set", "44%"};

// The busybox script the guest runs (exposed for the tests).
std::string guest_script(const VmRunConfig& c);
// The text between "BEGIN" and "END" marker lines of a serial log (CR
// stripped, the guest heartbeat lines dropped); empty when absent.
std::string between_markers(const std::string& serial, const std::string& begin, const std::string& end);

RunResult run_in_vm(const VmRunConfig& c, std::string& log);

// A fresh, empty directory under WORK_DIR/vm-reports for one oomlab-vm run
// (its --report-dir); throws std::runtime_error when it cannot be made.
std::filesystem::path fresh_report_dir(const std::string& work_dir);
// Runs oomlab-vm (busybox or Debian guest), whose argv names DIR with
// --report-dir, and decodes DIR/report.json (formats::VmReport); log gets
// the tail of its stderr. Without a report: nullopt, and error says why
// with the exit code.
std::optional<formats::VmReport> run_oomlab_vm(const ProcessSpec& spec, const std::filesystem::path& dir,
                                               std::string& log, std::string& error);
// A whole file as text (empty when it cannot be read).
std::string read_text(const std::filesystem::path& p);

}  // namespace oomlab::peers
