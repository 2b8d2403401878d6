// The contract between the runner (oomlab-repro) and the scenario catalogue.
//
// A scenario is an honest, parameterised workload. The runner creates a fresh
// memory cgroup, forks a child, moves it into the group, and calls
// Scenario::run_workload() in that child; everything the workload starts
// (threads, CLONE_VM tasks, processes) inherits the group. The runner owns the
// deadline: at the end it kills the whole group, so a workload may run forever.
#pragma once
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace oomlab::repro {

struct OptionSpec {
  std::string name;           // "--threads" is given as "threads"
  std::string default_value;  // as text: "9", "256M", "stat"
  std::string help;           // one line
};

struct ScenarioParams {
  std::uint64_t limit_bytes = 0;              // memory limit of the group (0: none)
  std::chrono::milliseconds duration{0};      // how long the runner lets it run
  int cgroup_version = 0;                     // 1 or 2: the hierarchy the group is on
  std::string cgroup_path;                    // group directory (for memory.high etc.)
  std::string work_dir;                       // scratch directory owned by the run
  std::map<std::string, std::string> options; // every OptionSpec, defaults filled in
};

// What the workload needs from its environment; the runner checks it before
// starting and skips with the reason when the machine cannot provide it.
struct Requirements {
  bool cgroup_v2 = false;      // e.g. memory.high
  bool needs_disk = false;     // reclaimable page cache (not tmpfs/ramfs)
};

class Scenario {
 public:
  virtual ~Scenario() = default;
  virtual std::string_view name() const = 0;     // "mmap-sem"
  virtual std::string_view summary() const = 0;  // one line for `list`
  virtual std::string_view details() const = 0;  // a paragraph for `run NAME --help`
  virtual std::vector<OptionSpec> options() const = 0;
  virtual Requirements requirements() const { return {}; }
  // Runs in the child inside the cgroup. Returns an exit code when it finishes
  // on its own; may also never return (the runner kills the group).
  virtual int run_workload(const ScenarioParams& params) = 0;
};

// The catalogue, in `list` order (reproducers/scenarios/catalogue.cpp).
std::vector<std::unique_ptr<Scenario>> all_scenarios();

}  // namespace oomlab::repro
