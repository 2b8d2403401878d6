// The VM harness's report, reports/<UTC>-vm-<name>/report.json (schema
// "oomlab.vm-report/3"; docs/FORMATS.md "VM report", vm/README.md): one
// typed codec. oomlab-vm encodes it; the peers bench (its Debian guest),
// the kernel matrix and the VM tests decode it - nobody picks fields out by
// string keys. The guest runner's summary (guest.report) is a RunSummary,
// the serial console's analysis (console_verdict) a VerdictDoc kept whole.
//
// /3 (was /2): guest.report is the runner's typed summary (with its own
// schema) or the guest command's result, systemd.guard_cpu_ms is new (the
// guard service's CPU, which the bench read out of systemd's properties by
// hand), systemd.state is the guest's systemd.json in typed fields.
//
// Same decoding rule as the other codecs: missing or wrongly typed fields
// decode as defaults; only the document's "schema" is checked.
#pragma once
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "oomlab/formats/report.hpp"
#include "oomlab/formats/run_summary.hpp"
#include "oomlab/formats/verdict_summary.hpp"

namespace oomlab::formats {

inline constexpr std::string_view kVmReportSchema = "oomlab.vm-report/3";

struct VmKernel {
  std::string release;  // the guest's uname -r (else the package's)
  std::string package;  // "" (null): --kernel FILE
  std::string image;    // the vmlinuz booted
};

struct VmMachine {
  std::string accel, accel_reason;  // "kvm" or "tcg", and why
  std::uint64_t mem_bytes = 0;
  int cpus = 0;
  bool disk = false, watchdog = false;
  std::vector<std::string> qemu_argv;
};

struct VmTiming {
  std::int64_t boot_ms = -1;               // spawn to the guest's init; -1: never
  double guest_uptime_at_init_s = -1;      // -1: unknown
  std::int64_t elapsed_ms = 0, timeout_ms = 0, stall_timeout_ms = 0;
};

struct VmEnd {
  std::string how;  // "exited", "timed_out", "stalled", "interrupted"
  int qemu_exit_code = -1;
  std::vector<std::string> sysrq_sent;  // letters, in order
  std::string qemu_stderr;
};

// A guest command's result (--guest-cmd): its exit status; in the busybox
// guest its group's memory.events and memory.peak; in the Debian guest the
// JSON value the command left in $OOMLAB_OUT/cmd-result.json, kept whole.
struct VmGuestCmd {
  std::optional<int> exit_code;  // "guest_cmd_exit_code"
  std::vector<std::pair<std::string, std::int64_t>> memory_events;  // by name; empty when not measured
  std::optional<std::uint64_t> memory_peak_bytes;  // written with memory_events
  std::string result;  // compact JSON; "" left out
};

struct VmGuest {
  std::optional<int> exit_code;  // the guest job's (oomlab-repro's or the command's); null: never reported
  // guest.report: a scenario's runner summary, or a command's result, or
  // text between the report markers that was not JSON ({"unparsed": text});
  // null (all empty) when no complete report came back.
  std::optional<RunSummary> summary;
  std::optional<VmGuestCmd> cmd;
  std::optional<std::string> unparsed;
  std::vector<std::string> files;  // the files the guest sent back, in the report directory
};

struct VmInitramfs {
  std::string image;
  bool from_cache = false;
  std::uint64_t bytes = 0;
  std::string binaries;  // "oomlab-repro, oomlab-analyze, ..."
  std::vector<std::string> libraries;
};

// --rootfs debian: the root disk.
struct VmRootfs {
  std::string kind = "debian";
  std::string image;
  bool from_cache = false;
  std::uint64_t bytes = 0;
  std::string tree;
  bool tree_from_cache = false;
  std::vector<std::string> packages;
  std::string oomlab_from, watchdog_unit, watchdog_config;
  bool watchdog_config_from_example = false;
};

// The guest's systemd.json (vm/guest/debian-job.sh): the system's state and
// the guard unit's properties (systemctl show) before and after the scenario.
struct VmSystemdState {
  std::string system_state, multi_user_target, systemd_version, failed_units;
  std::string guard_unit;
  std::optional<int> enable_exit_code;
  std::optional<std::int64_t> enable_ms;
  std::map<std::string, std::string> before, after;  // systemd property -> value, as systemctl prints it
  std::optional<int> job_exit_code;
};

// --rootfs debian: the guard as a systemd service.
struct VmSystemd {
  std::string guard, guard_unit, guard_config, guard_settings;  // guard_unit "" (null): none
  // systemd.json: nullopt (null) when none came back; unparsed when it was not JSON.
  std::optional<VmSystemdState> state;
  std::optional<std::string> state_unparsed;
  // From the guard's properties, when they came back (guard_seen):
  bool guard_seen = false;
  bool guard_ready = false;  // enabled with exit 0 and active before the scenario (READY=1 for notify)
  std::string guard_type, watchdog_sec, guard_status_text, guard_active_after;
  std::optional<bool> watchdog_pings_seen;  // null: the unit has no WatchdogSec
  std::int64_t guard_restarts = -1;
  std::optional<double> guard_cpu_ms;       // CPUUsageNSec after the scenario, since the service started
  std::optional<std::string> guard_status, guard_journal_tail;  // systemctl status, the journal's last 60 lines
};

struct VmReport {
  std::string schema = std::string(kVmReportSchema);
  std::string name;                 // the scenario, or "cmd"
  std::string scenario;             // "" (null) with --guest-cmd
  std::vector<std::string> scenario_args;
  std::string guest_cmd;            // "" (null) for a scenario
  std::string started_at;
  std::string outcome, outcome_reason;  // the run's one outcome (the guest runner's class, else the session)
  std::string session;              // how the VM session ended
  VmKernel kernel;
  VmMachine machine;
  VmTiming timing;
  VmEnd end;
  VmGuest guest;
  VmInitramfs initramfs;
  ReportVerdict verdict;            // the one verdict, agreeing with the outcome
  VerdictDoc console_verdict;       // oomlab-analyze on serial.log, whole (or {"error": ...})
  std::optional<VmRootfs> rootfs;   // --rootfs debian
  std::optional<VmSystemd> systemd; // --rootfs debian
};

// Pretty (two spaces) with a trailing newline, as report.json is written.
std::string encode_vm_report(const VmReport& r);
// nullopt with a one-line *why for text that is not a JSON object or whose
// "schema" is not kVmReportSchema.
std::optional<VmReport> decode_vm_report(std::string_view text, std::string* why = nullptr);

// The guest's systemd.json as the guest script wrote it; nullopt when it is
// not a JSON object. The VM harness reads it only through this.
std::optional<VmSystemdState> decode_vm_systemd_state(std::string_view text);

// The guest command's result as the guest scripts print it (vm/guest/init.sh,
// debian-job.sh); nullopt when it is not a JSON object.
std::optional<VmGuestCmd> decode_vm_guest_cmd(std::string_view text);

// guest.report as the JSON it is in the document (for a page or a log), "null" when none.
std::string encode_vm_guest_report(const VmGuest& g, int indent = 2);

}  // namespace oomlab::formats
