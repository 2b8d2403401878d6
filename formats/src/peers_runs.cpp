#include "oomlab/formats/peers_runs.hpp"

#include "json_field.hpp"

namespace oomlab::formats {
namespace {

using namespace detail;

json run_json(const PeersRun& r) {
  json kills = json::array();
  for (const auto& k : r.kills)
    kills.push_back({{"t_ms", k.t_ms}, {"by", k.by}, {"pid", k.pid}, {"comm", k.comm}, {"right", k.right},
                     {"freed_ms", or_null(k.freed_ms)}});
  return {{"scenario", r.scenario},
          {"guard", r.guard},
          {"run", r.run},
          {"outcome", r.outcome},
          {"duration_ms", r.duration_ms},
          {"guard_ready_ms", or_null(r.guard_ready_ms)},
          {"first_stall_ms", or_null(r.first_stall_ms)},
          {"first_kill_ms", or_null(r.first_kill_ms)},
          {"stall_to_kill_ms", or_null(r.stall_to_kill_ms)},
          {"kill_to_freed_ms", or_null(r.kill_to_freed_ms)},
          {"no_progress_ms", r.no_progress_ms},
          {"stalled_at_end", r.stalled_at_end},
          {"right_victim", r.right_victim},
          {"hit", r.hit},
          {"kills", kills},
          {"guard_cpu_ms", r.cost.cpu_ms},
          {"guard_peak_rss_kb", r.cost.peak_rss_kb},
          {"guard_longest_d_ms", r.cost.longest_d_ms},
          {"guard_d_wchan", r.cost.d_wchan},
          {"guard_blocked", r.guard_blocked},
          {"error", r.error},
          {"guard_tail", r.guard_tail}};
}

PeersRun run_of(const json& j) {
  PeersRun r;
  r.scenario = get<std::string>(j, "scenario"), r.guard = get<std::string>(j, "guard");
  r.run = get<int>(j, "run"), r.outcome = get<std::string>(j, "outcome");
  r.duration_ms = get<std::int64_t>(j, "duration_ms");
  r.guard_ready_ms = opt<std::int64_t>(j, "guard_ready_ms");
  r.first_stall_ms = opt<std::int64_t>(j, "first_stall_ms");
  r.first_kill_ms = opt<std::int64_t>(j, "first_kill_ms");
  r.stall_to_kill_ms = opt<std::int64_t>(j, "stall_to_kill_ms");
  r.kill_to_freed_ms = opt<std::int64_t>(j, "kill_to_freed_ms");
  r.no_progress_ms = get<std::int64_t>(j, "no_progress_ms");
  r.stalled_at_end = get<bool>(j, "stalled_at_end"), r.right_victim = get<bool>(j, "right_victim");
  r.hit = get<bool>(j, "hit");
  for (const json& k : array(j, "kills"))
    r.kills.push_back({get<std::int64_t>(k, "t_ms"), get<std::string>(k, "by"), get<int>(k, "pid"),
                       get<std::string>(k, "comm"), get<bool>(k, "right"), opt<std::int64_t>(k, "freed_ms")});
  r.cost.cpu_ms = get<double>(j, "guard_cpu_ms"), r.cost.peak_rss_kb = get<std::uint64_t>(j, "guard_peak_rss_kb");
  r.cost.longest_d_ms = get<std::int64_t>(j, "guard_longest_d_ms"), r.cost.d_wchan = get<std::string>(j, "guard_d_wchan");
  r.guard_blocked = get<bool>(j, "guard_blocked"), r.error = get<std::string>(j, "error");
  for (const json& l : array(j, "guard_tail"))
    if (auto s = as<std::string>(l)) r.guard_tail.push_back(*s);
  return r;
}

json settings_json(const PeersSettings& s) {
  json j = json::object();
  auto put = [&](const char* k, const std::string& v) {
    if (!v.empty()) j[k] = v;
  };
  put("where", s.where), put("limit", s.limit), put("mem", s.mem);
  if (s.duration_s) j["duration_s"] = *s.duration_s;
  if (s.runs) j["runs"] = *s.runs;
  if (s.quick) j["quick"] = *s.quick;
  if (s.period_ms) j["period_ms"] = *s.period_ms;
  put("started_at", s.started_at), put("kernel", s.kernel), put("kernel_series", s.kernel_series);
  if (!s.scenario_args.empty()) j["scenario_args"] = s.scenario_args;
  put("oomlab_from", s.oomlab_from), put("vm_disk", s.vm_disk);
  j["guards"] = json::object();
  for (const auto& [name, words] : s.guards) j["guards"][name] = words;
  return j;
}

PeersSettings settings_of(const json& j) {
  PeersSettings s;
  s.where = get<std::string>(j, "where"), s.limit = get<std::string>(j, "limit"), s.mem = get<std::string>(j, "mem");
  s.duration_s = opt<std::int64_t>(j, "duration_s"), s.runs = opt<std::int64_t>(j, "runs");
  s.quick = opt<bool>(j, "quick"), s.period_ms = opt<std::int64_t>(j, "period_ms");
  s.started_at = get<std::string>(j, "started_at"), s.kernel = get<std::string>(j, "kernel");
  s.kernel_series = get<std::string>(j, "kernel_series");
  for (const json& a : array(j, "scenario_args"))
    if (auto v = as<std::string>(a)) s.scenario_args.push_back(*v);
  s.oomlab_from = get<std::string>(j, "oomlab_from");
  s.vm_disk = get<std::string>(j, "vm_disk");
  for (const auto& [name, words] : object(j, "guards").items())
    if (auto w = as<std::string>(words)) s.guards.emplace_back(name, *w);
  return s;
}

}  // namespace

std::string encode_peers_runs(const PeersRuns& doc) {
  json runs = json::array();
  for (const PeersRun& r : doc.runs) runs.push_back(run_json(r));
  json j = {{"schema", doc.schema}, {"settings", settings_json(doc.settings)}, {"runs", runs}};
  return j.dump(1, ' ', false, json::error_handler_t::replace) + "\n";
}

std::optional<PeersRuns> decode_peers_runs(std::string_view text, std::string* why) {
  auto fail = [&](std::string what) -> std::optional<PeersRuns> {
    if (why) *why = std::move(what);
    return std::nullopt;
  };
  json j = json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return fail("not a JSON object");
  if (auto bad = schema_problem(j, kPeersRunsSchema)) return fail(*bad);
  PeersRuns doc;
  doc.schema = get<std::string>(j, "schema");
  doc.settings = settings_of(object(j, "settings"));
  for (const json& r : array(j, "runs"))
    if (r.is_object()) doc.runs.push_back(run_of(r));
  return doc;
}

}  // namespace oomlab::formats

namespace oomlab::formats {

std::string encode_wrapped_guard(const PeersWrappedGuard& w) {
  json lines = json::array();
  for (const PeersGuardLine& l : w.lines) lines.push_back({{"t", l.realtime_ms}, {"text", l.text}});
  json j = {{"started_realtime_ms", w.started_realtime_ms},
            {"exit_status", w.exit_status},
            {"cost",
             {{"cpu_ms", w.cost.cpu_ms},
              {"peak_rss_kb", w.cost.peak_rss_kb},
              {"longest_d_ms", w.cost.longest_d_ms},
              {"d_wchan", w.cost.d_wchan}}},
            {"lines", std::move(lines)}};
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::optional<PeersWrappedGuard> decode_wrapped_guard(std::string_view text, std::string* why) {
  json j = json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    if (why) *why = "the guard record is not a JSON object";
    return std::nullopt;
  }
  PeersWrappedGuard w;
  w.started_realtime_ms = get<std::int64_t>(j, "started_realtime_ms");
  w.exit_status = get<int>(j, "exit_status", -1);
  const json& c = object(j, "cost");
  w.cost.cpu_ms = get<double>(c, "cpu_ms");
  w.cost.peak_rss_kb = get<std::uint64_t>(c, "peak_rss_kb");
  w.cost.longest_d_ms = get<std::int64_t>(c, "longest_d_ms");
  w.cost.d_wchan = get<std::string>(c, "d_wchan");
  for (const json& l : array(j, "lines"))
    if (l.is_object()) w.lines.push_back({get<std::int64_t>(l, "t"), get<std::string>(l, "text")});
  return w;
}

}  // namespace oomlab::formats
