// The runner: one scenario in a fresh memory cgroup with a hard deadline,
// sampled at a fixed period, torn down completely, reported.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "oomlab/repro/run_config.hpp"
#include "oomlab/repro/scenario.hpp"

namespace oomlab::repro {

// The whole CLI (`list`, `run`, `--help`) over a catalogue: oomlab-repro
// passes all_scenarios(), tests pass their own. Returns the exit code.
int repro_main(int argc, char** argv, const std::vector<std::unique_ptr<Scenario>>& catalogue);

// Runs one configured scenario and writes the report; returns the exit code.
// Prints the summary (or JSON with config.json) to stdout.
int run_scenario(Scenario& scenario, const RunConfig& config);

}  // namespace oomlab::repro
