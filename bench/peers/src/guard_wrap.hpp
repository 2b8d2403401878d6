// `oomlab-bench-peers wrap --out FILE -- GUARD ARGS...`: the measuring half of
// the harness, for places where the harness itself cannot watch the guard
// (inside the test VM). Runs the guard, stamps its output lines with the
// wall clock, samples its CPU, RSS and D-state time like on the host, and on
// SIGTERM/SIGINT stops it and writes {"lines":[...],"cost":{...}} to FILE.
#pragma once
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <vector>

#include "child.hpp"
#include "guard_probe.hpp"

namespace oomlab::peers {

int wrap_main(const std::vector<std::string>& args);

// The file wrap writes, read back by the VM runner.
struct WrappedGuard {
  std::int64_t started_realtime_ms = 0;
  std::vector<TimedLine> lines;
  GuardCost cost;
  int exit_status = -1;
};
nlohmann::json wrapped_to_json(const WrappedGuard& w);
WrappedGuard wrapped_from_json(const nlohmann::json& j);

}  // namespace oomlab::peers
