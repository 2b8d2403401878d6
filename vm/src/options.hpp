// Command line of `oomlab-vm run`: what to boot, how big, how long, and what
// to run inside. Parsing is separate from main() so tests can feed it argv.
#pragma once
#include <chrono>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace oomlab::vm {

enum class Accel { automatic, kvm, tcg };

struct RunOptions {
  // What runs in the guest: a catalogue scenario through oomlab-repro, or a
  // shell command (busybox sh -c) when guest_cmd is set.
  std::string scenario;
  std::vector<std::string> scenario_args;  // everything after "--"
  std::string guest_cmd;
  std::uint64_t guest_limit_bytes = 0;     // memory.max of the --guest-cmd group (0: none)

  // The kernel: a bzImage file, or a Debian package (default: the one
  // linux-image-amd64 depends on).
  std::string kernel_path;
  std::string kernel_package;
  std::string kernel_series;  // --kernel 6.1|6.12|6.1-rt...: the package apt-cache names for it

  // The guest's root: "" is the busybox initramfs; "debian" a Debian 12 disk
  // with systemd as PID 1 and GUARD enabled as its packaged service.
  std::string rootfs;
  std::string guard = "none";        // oomlab-watchdog, systemd-oomd, earlyoom, nohang, none
  bool guard_tuned = false;          // --guard-config tuned: act after the same few seconds
  std::string rootfs_cache;          // default $OOMLAB_ROOTFS_CACHE, else CACHE_DIR/rootfs
  std::string build_dir;             // the CMake tree installed into the Debian root (default: BIN_DIR/..)
  std::string oomlab_deb;            // or this oomlab .deb

  std::uint64_t mem_bytes = 512ull << 20;
  int cpus = 2;
  bool watchdog = false;
  std::vector<std::string> watchdog_args;   // --watchdog-arg, repeated
  bool disk = false;
  std::uint64_t disk_bytes = 2ull << 30;  // sparse: costs host disk only for what the guest writes
  std::uint64_t disk_iops = 0, disk_bps = 0;  // --disk-iops / --disk-bps: qemu block throttling, 0 = none
  Accel accel = Accel::automatic;

  std::chrono::milliseconds timeout{std::chrono::minutes(3)};   // hard limit for the whole VM (Debian: 8 min)
  std::chrono::milliseconds stall_timeout{std::chrono::seconds(30)};  // no console output this long: sysrq, kill
  std::string append;        // extra kernel command line
  std::string reports_dir = "reports";
  std::string report_dir;    // --report-dir: this run's directory itself (absent or empty), not REPORTS/<UTC>-vm-NAME
  std::string bin_dir;       // where the oomlab binaries are (default: next to oomlab-vm)
  std::string cache_dir;     // default: $OOMLAB_CACHE_DIR, else $XDG_CACHE_HOME/oomlab, else ~/.cache/oomlab
  bool show_console = false; // copy the serial console to stderr while it runs
};

// A usage error: main() prints it in one line and exits 2.
struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Parses the arguments that follow "run". Throws UsageError.
RunOptions parse_run_options(const std::vector<std::string>& args);

// The --help text of `run`.
const char* run_usage();

// The cache directory per the rules in RunOptions::cache_dir.
std::string default_cache_dir();

}  // namespace oomlab::vm
