// The kernel matrix's raw results, docs/kernel-matrix/SERIES/SCENARIO.json
// (schema "oomlab.kernel-matrix-cell/2": every run of one cell) and
// docs/kernel-matrix/host.json (the host column, written by hand); docs/
// FORMATS.md "Kernel matrix cells". One typed codec: `oomlab-vm matrix`
// (scripts/kernel-matrix) writes the cells and reads them back to render
// the README's table. A /1 file (one run, the shape of one entry of /2's
// runs) decodes as a cell of one run.
//
// Encoding keeps the key order and layout the files have always had (one
// space indent, ASCII with \u escapes), so a committed cell decodes and
// re-encodes byte for byte; a run's guest summary is kept as it was
// written (older ones lack fields the summary has now).
#pragma once
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "oomlab/formats/run_summary.hpp"
#include "oomlab/formats/vm_report.hpp"

namespace oomlab::formats {

inline constexpr std::string_view kMatrixCellSchema = "oomlab.kernel-matrix-cell/2";
inline constexpr std::string_view kMatrixRunSchema = "oomlab.kernel-matrix-cell/1";

// One `oomlab-vm run SCENARIO --kernel SERIES`, from its VM report.
struct MatrixRun {
  std::string schema = std::string(kMatrixRunSchema);
  std::string series, scenario;
  std::vector<std::string> scenario_args;            // what the runner got (after `--`)
  std::optional<std::vector<std::string>> own_args;  // the scenario's own part; absent in runs from before it existed
  std::string measured_at;                           // the VM report's started_at
  VmKernel kernel;
  std::string accel;
  std::uint64_t mem_bytes = 0;
  std::string vm_outcome;  // the VM report's `session`
  std::int64_t elapsed_ms = 0;
  std::optional<RunSummary> guest;  // the guest runner's summary; nullopt (null): none came back
  std::string guest_raw;            // as it was written (compact JSON), re-emitted as is; "" for a new run
  std::string verdict, verdict_title;  // the serial console's verdict class and title; "" (null)
  std::size_t oom_events = 0;          // the console's OOM events
};

struct MatrixCell {
  std::string schema = std::string(kMatrixCellSchema);
  std::string series, scenario;
  std::vector<MatrixRun> runs;  // oldest first
};

// The host column (host.json, by hand): the kernel it ran, a note, one text per scenario.
struct MatrixHost {
  std::string kernel, note;
  std::vector<std::pair<std::string, std::string>> cells;  // scenario -> text, as in the file
};

std::string encode_matrix_cell(const MatrixCell& c);
// nullopt with a one-line *why for text that is not a JSON object or whose
// "schema" is neither kMatrixCellSchema nor kMatrixRunSchema.
std::optional<MatrixCell> decode_matrix_cell(std::string_view text, std::string* why = nullptr);
// nullopt with *why for text that is not a JSON object.
std::optional<MatrixHost> decode_matrix_host(std::string_view text, std::string* why = nullptr);

// A run of the matrix from the VM report of its `oomlab-vm run`.
MatrixRun matrix_run_of(const VmReport& vm, const std::string& series, const std::vector<std::string>& own_args);

}  // namespace oomlab::formats
