// `oomlab-vm matrix` (scripts/kernel-matrix): the README's "What stalls which
// kernel" table. Each cell is `oomlab-vm run SCENARIO --kernel SERIES`
// (the busybox guest), every run of it kept in
// docs/kernel-matrix/SERIES/SCENARIO.json (formats::MatrixCell); the table
// is rendered from those files and docs/kernel-matrix/host.json and goes
// between the kernel-matrix markers of README.md.
#pragma once
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "oomlab/formats/kernel_matrix.hpp"

namespace oomlab::vm {

const std::vector<std::string>& matrix_kernels();    // 6.1, 6.1-rt, 6.12
const std::vector<std::string>& matrix_scenarios();  // the catalogue's order in the table
// A scenario's own arguments, after the common ones: what makes it stall in
// this VM (mmap-lock-hold: the arguments reproducers/scenarios/README.md quotes).
std::vector<std::string> matrix_scenario_args(const std::string& scenario);
// COMMON then OWN as one list of option/value pairs; an option in OWN
// replaces the same option of COMMON.
std::vector<std::string> merged_args(const std::vector<std::string>& common, const std::vector<std::string>& own);

// One table cell from one run, and from all runs of a cell (the latest
// run's text, and whether the others agree).
std::string matrix_cell_text(const formats::MatrixRun& run);
std::string matrix_runs_text(const std::vector<formats::MatrixRun>& runs);

// Everything the table is made of.
struct MatrixData {
  std::vector<std::string> kernels, scenarios;
  std::map<std::pair<std::string, std::string>, std::vector<formats::MatrixRun>> runs;  // (kernel, scenario)
  formats::MatrixHost host;
};
// The block between (and with) the markers, as README.md carries it.
std::string render_matrix_table(const MatrixData& data);
inline constexpr const char* kMatrixBegin = "<!-- kernel-matrix: begin (scripts/kernel-matrix) -->";
inline constexpr const char* kMatrixEnd = "<!-- kernel-matrix: end -->";
// README with its marked block replaced by TABLE; nullopt when it has no markers.
std::optional<std::string> replace_matrix_table(const std::string& readme, const std::string& table);

// Reads docs/kernel-matrix/ under ROOT (cells that do not decode are errors:
// *why says which and why).
std::optional<MatrixData> load_matrix(const std::string& root, std::string* why);

// The `oomlab-vm matrix` command line; returns the exit code.
int matrix_main(const std::vector<std::string>& args);

}  // namespace oomlab::vm
