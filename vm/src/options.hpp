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

  std::uint64_t mem_bytes = 512ull << 20;
  int cpus = 2;
  bool watchdog = false;
  std::vector<std::string> watchdog_args;   // --watchdog-arg, repeated
  bool disk = false;
  std::uint64_t disk_bytes = 2ull << 30;  // sparse: costs host disk only for what the guest writes
  Accel accel = Accel::automatic;

  std::chrono::milliseconds timeout{std::chrono::minutes(3)};   // hard limit for the whole VM
  std::chrono::milliseconds stall_timeout{std::chrono::seconds(30)};  // no console output this long: sysrq, kill
  std::string append;        // extra kernel command line
  std::string reports_dir = "reports";
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
