#include "oomlab/formats/verdict_summary.hpp"

#include "json_field.hpp"

namespace oomlab::formats {

using detail::json;

namespace detail {
// Shared with report.cpp: the verdict as an embedded JSON value.
VerdictDoc verdict_from_json(const json& j) {
  VerdictDoc v;
  v.verdict = get<std::string>(j, "verdict");
  v.title = get<std::string>(j, "title");
  v.error = get<std::string>(j, "error");
  for (const json& f : array(j, "findings")) {
    if (!f.is_object()) continue;
    VerdictFinding finding{get<std::string>(f, "class"), get<std::string>(f, "title"), std::nullopt};
    const json& d = object(f, "details");
    const auto start = opt<double>(d, "start_ts");
    const auto duration = opt<double>(d, "duration_s");
    if (start && duration) {
      VerdictStall st;
      st.source = get<std::string>(d, "source");
      st.start_ts = *start, st.end_ts = get<double>(d, "end_ts"), st.duration_s = *duration;
      st.cause = get<std::string>(d, "cause"), st.wait = get<std::string>(d, "wait");
      st.description = get<std::string>(d, "description"), st.max_blocked = get<int>(d, "max_blocked");
      st.ended_by = get<std::string>(d, "ended_by");
      st.ended_by_pid = get<std::int64_t>(d, "ended_by_pid"), st.ended_by_comm = get<std::string>(d, "ended_by_comm");
      st.ended_by_reason = get<std::string>(d, "ended_by_reason"), st.ended_by_ts = opt<double>(d, "ended_by_ts");
      finding.stall = std::move(st);
    }
    v.findings.push_back(std::move(finding));
  }
  const json& in = object(j, "input");
  for (const json& s : array(in, "suppressed"))
    if (s.is_object()) v.suppressed.push_back({get<std::string>(s, "who"), get<std::uint64_t>(s, "lines")});
  v.watchdog_log_merged = in.contains("watchdog_log") && !in["watchdog_log"].is_null();
  const json& cg = object(in, "cgroup");
  v.cgroup = get<std::string>(cg, "path"), v.other_cgroup_lines = get<std::uint64_t>(cg, "other_lines");
  v.oom_events = array(j, "oom_events").size();
  v.raw = j.dump(-1, ' ', false, json::error_handler_t::replace);
  return v;
}

json verdict_to_json(const VerdictDoc& v) {
  if (!v.raw.empty()) {
    json j = json::parse(v.raw, nullptr, false);
    if (j.is_object()) return j;
  }
  if (!v.error.empty() && v.verdict.empty()) return {{"error", v.error}};
  json findings = json::array();
  for (const auto& f : v.findings) findings.push_back({{"class", f.cls}, {"title", f.title}});
  json input = json::object();
  for (const auto& s : v.suppressed) input["suppressed"].push_back({{"who", s.who}, {"lines", s.lines}});
  if (v.watchdog_log_merged) input["watchdog_log"] = json::object();
  if (!v.cgroup.empty()) input["cgroup"] = {{"path", v.cgroup}, {"other_lines", v.other_cgroup_lines}};
  return {{"schema", "oomlab.verdict/1"}, {"verdict", v.verdict}, {"title", v.title}, {"input", input}, {"findings", findings}};
}
}  // namespace detail

std::optional<VerdictDoc> decode_verdict(std::string_view text, std::string* why) {
  json j = json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    if (why) *why = "the verdict is not a JSON object";
    return std::nullopt;
  }
  return detail::verdict_from_json(j);
}

std::string encode_verdict(const VerdictDoc& v) {
  return detail::verdict_to_json(v).dump(-1, ' ', false, json::error_handler_t::replace);
}

}  // namespace oomlab::formats
