// Every setting of oomlab-watchdog, from flags or from a JSON config file.
// One table of options serves both (options.cpp): a config key is the long
// flag name without dashes, so the two can never drift apart.
#pragma once
#include <chrono>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "oomlab/watchdog/pressure.hpp"

namespace oomlab::watchdog {

using std::chrono::milliseconds;

// A bad flag, config key or value: main() prints what() on one line, exits 2.
class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// --prefer/--avoid/--protect: a value starting with '/' is a cgroup path
// (matches that group and its children), anything else a POSIX extended regex (CommPattern) that must
// match the whole comm.
struct Matcher {
  std::string text;
  bool is_cgroup = false;
};

struct Options {
  std::string profile = "server";
  milliseconds period{1000};
  // With PSI triggers armed and nothing stalled, a full scan only this often
  // (memory pressure wakes the loop through PSI at once); 0 = every period.
  milliseconds idle_scan{60000};
  milliseconds warn_after{10000};
  milliseconds kill_after{60000};
  milliseconds escalate_after{20000};
  // A watched cgroup (--watch-cgroup) whose memory PSI stays at or above this
  // for kill_after loses its biggest task (reason "pressure").
  PressureThreshold pressure_above{-1, 60};
  int max_victims = 2;              // single kills per incident before the whole-cgroup kill
  bool dry_run = false;
  bool sysrq = false;
  std::vector<Matcher> prefer, avoid, protect;
  std::string scope = "/";          // act only on stalls in this cgroup subtree
  std::vector<std::string> watch_cgroups;  // cgroup dirs whose memory.pressure gets a trigger
  std::string psi_path = facts::kSystemMemoryPsi;
  std::string proc_root = "/proc";
  std::string cgroup_root;          // "" = detect (/sys/fs/cgroup/memory on v1)
  std::string kmsg_path = "/dev/kmsg";
  bool kmsg_write = false;          // also log to /dev/kmsg
  std::string json_log;             // JSON lines file, "" = none
  // "" = no control socket. The service's RuntimeDirectory (the daemon makes
  // the directory when run by hand), so `status` finds the service.
  std::string socket_path = "/run/oomlab-watchdog/control.sock";
  std::string metrics_textfile;     // node_exporter textfile, rewritten every 10 s; "" = none
  bool bpf = false;                 // use the BPF stall tracer when it loads (tracer/)
  bool stack = true;                // read /proc/PID/stack of D tasks (root only)
  // Where a full scan gets its task list: "auto" the BPF task iterator when
  // it loads (root or CAP_BPF, kernel BTF, a build with BPF), else /proc;
  // "bpf" the iterator or refuse to start; "proc" always /proc.
  std::string scan = "auto";
  // Delay accounting through taskstats: "auto" uses it when the kernel
  // counts (kernel.task_delayacct=1), "enable" sets that sysctl for the
  // daemon's lifetime (restored at exit), "off" never queries.
  std::string delayacct = "auto";
  int delay_share_pct = 50;         // share of an interval lost to memory delays that makes it a stall
  bool self_protect = true;         // mlockall + oom_score_adj -1000
  std::size_t max_tasks = 65536;    // preallocated sample slots; more tasks are counted, not sampled
  std::string config_path;          // where the settings came from, for status
};

// SIGHUP: copies into `running` every option a running daemon can change
// (thresholds, period, idle scan, victim rules, scope, dry run, sysrq,
// pressure threshold, delay share) and returns the names of the options
// that differ in `fresh` but only take effect at a restart (sinks, paths,
// the socket, sampling resources), so the reload note can say which.
std::vector<std::string> apply_reload(Options& running, const Options& fresh);

// Built-in threshold sets (README "Defaults"): "desktop" acts fast, a user is
// waiting at a frozen screen; "server" waits longer, a stall of a minute is
// cheaper than killing the wrong job.
void apply_profile(Options& o, const std::string& name);  // throws UsageError

enum class Command { Run, CheckConfig, Status, Metrics, Help, Version };

struct ParsedArgs {
  Command command = Command::Run;
  Options options;
};

// Flags first, then (if --config FILE was given) the file, with flags given
// on the command line winning over file values. Throws UsageError.
ParsedArgs parse_args(int argc, const char* const argv[]);

// Applies a JSON config document (object of option -> value) to o. Throws
// UsageError naming the key for unknown keys or bad values.
void apply_config_json(Options& o, const std::string& json_text);

// Cross-field checks (kill_after >= warn_after, period > 0 ...).
void validate(const Options& o);

std::string usage_text();

}  // namespace oomlab::watchdog
