// `oomlab-repro run NAME ...`: the parsed command line.
#pragma once
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "oomlab/repro/scenario.hpp"

namespace oomlab::repro {

struct RunConfig {
  std::string scenario;
  std::uint64_t limit_bytes = 256ull << 20;
  std::chrono::milliseconds duration{30'000};
  std::chrono::milliseconds stall_threshold{10'000};
  std::chrono::milliseconds period{100};
  double stall_psi = 0.25;  // PSI "some" share over 1 s that counts as stalled (--stall-psi 25%)
  bool json = false;
  std::string out_dir = "reports";
  // --report-dir: the run's report directory itself (created; it must not
  // exist or be empty), instead of OUT_DIR/<UTC>-<NAME>: a caller that runs
  // a shell (the VM guests, the peers bench) knows where report.json is
  // without reading it out of the summary.
  std::string report_dir;
  bool unsafe_no_cgroup = false;
  // Where the run's group goes, relative to the memory root (--cgroup-parent):
  // a systemd slice in a guest where systemd-oomd watches that slice.
  std::string cgroup_parent = "oomlab";
  bool trace = false;                          // BPF stall tracer series in the timeline
  bool watchdog = false;                       // run oomlab-watchdog scoped to the group
  std::vector<std::string> watchdog_args;      // --watchdog-args, split like a shell (quotes, no expansion)
  bool show_help = false;                      // `run NAME --help`
  std::map<std::string, std::string> options;  // every scenario option, defaults filled in
};

// Parses the arguments after "run". `find` looks a scenario up by name.
// Errors are one line ("unknown option --foo for scenario mmap-sem").
struct ParseResult {
  std::optional<RunConfig> config;
  std::string error;
};
ParseResult parse_run_args(const std::vector<std::string>& args,
                           const std::vector<std::unique_ptr<Scenario>>& catalogue);

// "a 'b c' \"d\"" -> {a, b c, d}; nullopt on an unterminated quote.
std::optional<std::vector<std::string>> split_args(const std::string& text);

const Scenario* find_scenario(const std::vector<std::unique_ptr<Scenario>>& catalogue, const std::string& name);

}  // namespace oomlab::repro
