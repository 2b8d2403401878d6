// One scenario run on this host under one guard: oomlab-repro creates the
// memory group, the guard is started as soon as the group exists (pointed at
// it), both are watched until the scenario ends, and everything is stopped.
#pragma once
#include <atomic>
#include <chrono>
#include <string>
#include <vector>

#include "guards.hpp"
#include "run_metrics.hpp"

namespace oomlab::peers {

struct HostRunConfig {
  std::string scenario;
  GuardKind guard = GuardKind::none;
  std::string limit = "256M";
  std::chrono::seconds duration{20};
  std::vector<std::string> scenario_options;  // "--opt", "value" pairs for oomlab-repro
  std::string bin_dir;                        // oomlab-repro, oomlab-watchdog
  std::string work_dir;                       // reports and configs (disk-backed)
};

// Set by the signal handler: the run in progress stops its children and returns.
extern std::atomic<bool> g_interrupted;

// Never throws for a failed run: RunResult::error says what went wrong.
RunResult run_on_host(const HostRunConfig& c, std::string& log);

}  // namespace oomlab::peers
