// Rendering a Report: the JSON document "oomlab.verdict/1" (schema in
// analyzer/schema/verdict.schema.json) and a short human summary.
#pragma once
#include <nlohmann/json_fwd.hpp>
#include <cstdio>
#include <string>
#include <vector>

#include "oomlab/analyzer/model.hpp"

namespace oomlab::analyzer {

inline constexpr const char* kVerdictSchema = "oomlab.verdict/1";

nlohmann::ordered_json to_json(const Report& r);
// The same document written straight to `out` section by section (no whole
// DOM in memory: what the CLI uses). False when writing failed.
bool write_json(const Report& r, std::FILE* out, bool pretty);
// Several reports as one pretty JSON array.
bool write_json_array(const std::vector<Report>& reports, std::FILE* out);
// Serialises with invalid UTF-8 replaced (kernel logs carry arbitrary bytes).
std::string dump_json(const nlohmann::ordered_json& j, bool pretty);
std::string to_text(const Report& r);

// Exit status for a report: 0 clean, 1 a finding.
int exit_code(const Report& r);

}  // namespace oomlab::analyzer
