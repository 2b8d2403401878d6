#include "oomlab/formats/kernel_matrix.hpp"

#include "json_field.hpp"

namespace oomlab::formats {

using namespace detail;
using ojson = nlohmann::ordered_json;

namespace detail {
json run_summary_to_json(const RunSummary& s);
RunSummary run_summary_from_json(const json& j);
}  // namespace detail

namespace {

template <typename T>
ojson onull(const T& v) {
  return v ? ojson(*v) : ojson(nullptr);
}
ojson onull(const std::string& s) { return s.empty() ? ojson(nullptr) : ojson(s); }

std::vector<std::string> strings(const json& a) {
  std::vector<std::string> out;
  if (a.is_array())
    for (const json& v : a)
      if (auto s = as<std::string>(v)) out.push_back(*s);
  return out;
}

// The order the cells were first written in (scripts/kernel-matrix, Python).
ojson run_json(const MatrixRun& r) {
  ojson j;
  j["schema"] = r.schema;
  j["series"] = r.series;
  j["scenario"] = r.scenario;
  j["scenario_args"] = r.scenario_args;
  if (r.own_args) j["own_args"] = *r.own_args;
  j["measured_at"] = onull(r.measured_at);
  j["kernel"] = {{"image", r.kernel.image}, {"package", onull(r.kernel.package)}, {"release", r.kernel.release}};
  j["accel"] = onull(r.accel);
  j["mem_bytes"] = r.mem_bytes;
  j["vm_outcome"] = onull(r.vm_outcome);
  j["elapsed_ms"] = r.elapsed_ms;
  ojson guest = nullptr;
  if (!r.guest_raw.empty()) guest = ojson::parse(r.guest_raw, nullptr, false);
  else if (r.guest) guest = ojson::parse(run_summary_to_json(*r.guest).dump(), nullptr, false);
  j["guest"] = guest.is_discarded() ? ojson(nullptr) : guest;
  j["verdict"] = {{"verdict", onull(r.verdict)}, {"title", onull(r.verdict_title)}, {"oom_events", r.oom_events}};
  return j;
}

MatrixRun run_of(const json& j, const ojson& ordered) {
  MatrixRun r;
  r.schema = get<std::string>(j, "schema");
  r.series = get<std::string>(j, "series"), r.scenario = get<std::string>(j, "scenario");
  r.scenario_args = strings(array(j, "scenario_args"));
  if (auto it = j.find("own_args"); it != j.end() && it->is_array()) r.own_args = strings(*it);
  r.measured_at = get<std::string>(j, "measured_at");
  const json& k = object(j, "kernel");
  r.kernel = {get<std::string>(k, "release"), get<std::string>(k, "package"), get<std::string>(k, "image")};
  r.accel = get<std::string>(j, "accel"), r.mem_bytes = get<std::uint64_t>(j, "mem_bytes");
  r.vm_outcome = get<std::string>(j, "vm_outcome"), r.elapsed_ms = get<std::int64_t>(j, "elapsed_ms");
  if (auto g = j.find("guest"); g != j.end() && g->is_object()) {
    r.guest = run_summary_from_json(*g);
    // As written, in its own key order (an ordered copy of the same value).
    auto og = ordered.find("guest");
    r.guest_raw = (og != ordered.end() ? *og : ojson::parse(g->dump())).dump(-1, ' ', false, ojson::error_handler_t::replace);
  }
  const json& v = object(j, "verdict");
  r.verdict = get<std::string>(v, "verdict"), r.verdict_title = get<std::string>(v, "title");
  r.oom_events = get<std::size_t>(v, "oom_events");
  return r;
}

}  // namespace

std::string encode_matrix_cell(const MatrixCell& c) {
  ojson runs = ojson::array();
  for (const MatrixRun& r : c.runs) runs.push_back(run_json(r));
  ojson j;
  j["schema"] = c.schema;
  j["series"] = c.series;
  j["scenario"] = c.scenario;
  j["runs"] = runs;
  return j.dump(1, ' ', true, ojson::error_handler_t::replace) + "\n";
}

std::optional<MatrixCell> decode_matrix_cell(std::string_view text, std::string* why) {
  auto fail = [&](std::string what) -> std::optional<MatrixCell> {
    if (why) *why = std::move(what);
    return std::nullopt;
  };
  const json j = json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return fail("not a JSON object");
  const ojson o = ojson::parse(text, nullptr, false);
  MatrixCell c;
  if (!schema_problem(j, kMatrixRunSchema)) {  // /1: the file is one run
    c.series = get<std::string>(j, "series"), c.scenario = get<std::string>(j, "scenario");
    c.runs.push_back(run_of(j, o));
    return c;
  }
  if (auto bad = schema_problem(j, kMatrixCellSchema)) return fail(*bad);
  c.series = get<std::string>(j, "series"), c.scenario = get<std::string>(j, "scenario");
  const json& runs = array(j, "runs");
  const ojson& oruns = o.is_object() && o.contains("runs") ? o["runs"] : ojson::array();
  for (std::size_t i = 0; i < runs.size(); ++i)
    if (runs[i].is_object()) c.runs.push_back(run_of(runs[i], i < oruns.size() ? oruns[i] : ojson()));
  return c;
}

std::optional<MatrixHost> decode_matrix_host(std::string_view text, std::string* why) {
  const ojson o = ojson::parse(text, nullptr, false);
  if (o.is_discarded() || !o.is_object()) {
    if (why) *why = "not a JSON object";
    return std::nullopt;
  }
  MatrixHost h;
  if (o.contains("kernel") && o["kernel"].is_string()) h.kernel = o["kernel"].get<std::string>();
  if (o.contains("note") && o["note"].is_string()) h.note = o["note"].get<std::string>();
  if (o.contains("cells") && o["cells"].is_object())
    for (const auto& [k, v] : o["cells"].items())
      if (v.is_string()) h.cells.emplace_back(k, v.get<std::string>());
  return h;
}

MatrixRun matrix_run_of(const VmReport& vm, const std::string& series, const std::vector<std::string>& own_args) {
  MatrixRun r;
  r.series = series, r.scenario = vm.scenario, r.scenario_args = vm.scenario_args, r.own_args = own_args;
  r.measured_at = vm.started_at, r.kernel = vm.kernel, r.accel = vm.machine.accel, r.mem_bytes = vm.machine.mem_bytes;
  r.vm_outcome = vm.session, r.elapsed_ms = vm.timing.elapsed_ms, r.guest = vm.guest.summary;
  r.verdict = vm.console_verdict.verdict, r.verdict_title = vm.console_verdict.title;
  r.oom_events = vm.console_verdict.oom_events;
  return r;
}

}  // namespace oomlab::formats
