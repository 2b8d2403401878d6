// The scenario catalogue as `oomlab-repro list --json` prints it (docs/
// FORMATS.md "Scenario list"): one typed codec. oomlab-repro encodes it; the
// VM harness decodes it to check a scenario's name on the host and whether
// it needs a disk. A JSON array (no schema field: the list has had this
// shape since it existed); wrong types decode as defaults.
#pragma once
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace oomlab::formats {

struct ScenarioOptionInfo {
  std::string name, default_value, help;  // "default"
};
struct ScenarioInfo {
  std::string name, summary;
  bool needs_cgroup_v2 = false, needs_disk = false;
  std::vector<ScenarioOptionInfo> options;
};

// Pretty (two spaces), no trailing newline.
std::string encode_scenario_list(const std::vector<ScenarioInfo>& list);
// nullopt with a one-line *why for text that is not a JSON array.
std::optional<std::vector<ScenarioInfo>> decode_scenario_list(std::string_view text, std::string* why = nullptr);

}  // namespace oomlab::formats
