#include "oomlab/formats/run_summary.hpp"

#include "json_field.hpp"

namespace oomlab::formats {

using namespace detail;

namespace detail {
// Shared with vm_report.cpp and kernel_matrix.cpp, which embed the summary.
json run_summary_to_json(const RunSummary& s) {
  json j = {{"scenario", s.scenario},
            {"outcome", or_null(s.outcome)},
            {"reason", s.reason},
            {"verdict", or_null(s.verdict)},
            {"verdict_from", or_null(s.verdict_from)},
            {"exit_code", s.exit_code},
            {"interrupted", s.interrupted},
            {"oom_kills", s.oom_kills},
            {"kill_to_freed_ms", or_null(s.kill_to_freed_ms)},
            {"teardown", or_null(s.teardown)},
            {"report_json", or_null(s.report_json)},
            {"report_html", or_null(s.report_html)}};
  if (!s.schema.empty()) j["schema"] = s.schema;  // empty: decoded from a summary older than the schema
  if (s.watchdog_kills) j["watchdog_kills"] = *s.watchdog_kills;
  if (!s.error.empty()) j["error"] = s.error;
  return j;
}

// No schema check: an embedded summary (the kernel matrix keeps ones older
// than the schema) is decoded for its fields.
RunSummary run_summary_from_json(const json& j) {
  RunSummary s;
  s.schema = get<std::string>(j, "schema");
  s.scenario = get<std::string>(j, "scenario");
  s.outcome = get<std::string>(j, "outcome"), s.reason = get<std::string>(j, "reason");
  s.verdict = get<std::string>(j, "verdict"), s.verdict_from = get<std::string>(j, "verdict_from");
  s.exit_code = get<int>(j, "exit_code"), s.interrupted = get<bool>(j, "interrupted");
  s.oom_kills = get<int>(j, "oom_kills");
  s.kill_to_freed_ms = opt<std::int64_t>(j, "kill_to_freed_ms");
  s.teardown = get<std::string>(j, "teardown");
  s.report_json = get<std::string>(j, "report_json"), s.report_html = get<std::string>(j, "report_html");
  s.watchdog_kills = opt<int>(j, "watchdog_kills");
  s.error = get<std::string>(j, "error");
  return s;
}
}  // namespace detail

std::string encode_run_summary(const RunSummary& s) {
  return run_summary_to_json(s).dump(-1, ' ', false, json::error_handler_t::replace);
}

std::optional<RunSummary> decode_run_summary(std::string_view text, std::string* why) {
  json j = json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    if (why) *why = "the run summary is not a JSON object";
    return std::nullopt;
  }
  // A summary without "schema" was printed by a runner from before the
  // schema (the kernel matrix's cells and the VM's console captures keep
  // such); any other schema is refused.
  if (auto bad = j.contains("schema") ? schema_problem(j, kRunSummarySchema) : std::nullopt) {
    if (why) *why = "run summary: " + *bad;
    return std::nullopt;
  }
  return run_summary_from_json(j);
}

}  // namespace oomlab::formats
