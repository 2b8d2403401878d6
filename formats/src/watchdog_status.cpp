#include "oomlab/formats/watchdog_status.hpp"

#include "json_field.hpp"

namespace oomlab::formats {

using namespace detail;

namespace {

json to_json(const WatchdogStatus& s) {
  const WsConfig& c = s.config;
  const WsSources& src = s.sources;
  json j = {{"schema", s.schema}, {"pid", s.pid}, {"uptime_ms", s.uptime_ms}};
  j["config"] = {{"profile", c.profile},
                 {"period_ms", c.period_ms},
                 {"warn_after_ms", c.warn_after_ms},
                 {"kill_after_ms", c.kill_after_ms},
                 {"escalate_after_ms", c.escalate_after_ms},
                 {"max_victims", c.max_victims},
                 {"pressure_above", c.pressure_above},
                 {"dry_run", c.dry_run},
                 {"sysrq", c.sysrq},
                 {"delayacct", c.delayacct},
                 {"delay_share_pct", c.delay_share_pct},
                 {"config_file", c.config_file}};
  j["sources"] = {{"psi_system", src.psi_system}, {"psi_triggers", src.psi_triggers},
                  {"kmsg_read", src.kmsg_read},   {"bpf_tracer", src.bpf_tracer},
                  {"taskstats", src.taskstats},   {"delayacct", src.delayacct},
                  {"kmsg_write", src.kmsg_write}, {"cgroup_root", src.cgroup_root},
                  {"self_protection", src.self_protection}};
  j["scan"] = {{"scans", s.scan.scans},
               {"tasks", s.scan.tasks},
               {"dropped", s.scan.dropped},
               {"last_duration_ms", s.scan.last_duration_ms},
               {"overruns", s.scan.overruns},
               {"last_done_ms_ago", s.scan.last_done_ms_ago}};
  j["counts"] = {{"stalling", s.counts.stalling}, {"dying", s.counts.dying},
                 {"exiting", s.counts.exiting},   {"victim", s.counts.victim},
                 {"oom_count", s.counts.oom_count}, {"longest_ms", s.counts.longest_ms}};
  json stalls = json::array();
  for (const WsStall& t : s.stalls)
    stalls.push_back({{"tid", t.tid}, {"tgid", t.tgid}, {"comm", t.comm}, {"state", t.state}, {"kind", t.kind},
                      {"evidence", t.evidence}, {"delay_ms", t.delay_ms}, {"wchan", t.wchan}, {"cgroup", t.cgroup}});
  j["stalls"] = std::move(stalls);
  json incidents = json::array();
  for (const WsIncident& i : s.incidents)
    incidents.push_back({{"cgroup", i.cgroup}, {"kills", i.kills}, {"age_ms", i.age_ms},
                         {"cgroup_killed", i.cgroup_killed}, {"gave_up", i.gave_up}});
  j["incidents"] = std::move(incidents);
  json pressure = json::array();
  for (const WsPressure& p : s.pressure)
    pressure.push_back({{"dir", p.dir}, {"cgroup", p.cgroup}, {"some_avg10", p.some_avg10},
                        {"full_avg10", p.full_avg10}, {"recent_some", p.recent_some},
                        {"recent_full", p.recent_full}, {"above_ms", p.above_ms}});
  j["pressure"] = std::move(pressure);
  json kills = json::array();
  for (const WsKill& k : s.kills)
    kills.push_back({{"pid", k.pid}, {"comm", k.comm}, {"cgroup", k.cgroup}, {"reason", k.reason},
                     {"rss_kb", k.rss_kb}, {"dry_run", k.dry_run}, {"ago_ms", k.ago_ms},
                     {"kill_to_exit_ms", k.kill_to_exit_ms}, {"kill_to_freed_ms", k.kill_to_freed_ms},
                     {"freed_kb", k.freed_kb}});
  j["kills"] = std::move(kills);
  return j;
}

WatchdogStatus from_json(const json& j) {
  WatchdogStatus s;
  s.schema = get<std::string>(j, "schema");
  s.pid = get<pid_t>(j, "pid");
  s.uptime_ms = get<std::int64_t>(j, "uptime_ms");
  const json& c = object(j, "config");
  s.config.profile = get<std::string>(c, "profile");
  s.config.period_ms = get<std::int64_t>(c, "period_ms");
  s.config.warn_after_ms = get<std::int64_t>(c, "warn_after_ms");
  s.config.kill_after_ms = get<std::int64_t>(c, "kill_after_ms");
  s.config.escalate_after_ms = get<std::int64_t>(c, "escalate_after_ms");
  s.config.max_victims = get<int>(c, "max_victims");
  s.config.pressure_above = get<std::string>(c, "pressure_above");
  s.config.dry_run = get<bool>(c, "dry_run"), s.config.sysrq = get<bool>(c, "sysrq");
  s.config.delayacct = get<std::string>(c, "delayacct");
  s.config.delay_share_pct = get<int>(c, "delay_share_pct");
  s.config.config_file = get<std::string>(c, "config_file");
  const json& src = object(j, "sources");
  s.sources.psi_system = get<bool>(src, "psi_system");
  s.sources.psi_triggers = get<std::uint64_t>(src, "psi_triggers");
  s.sources.kmsg_read = get<bool>(src, "kmsg_read"), s.sources.bpf_tracer = get<bool>(src, "bpf_tracer");
  s.sources.taskstats = get<bool>(src, "taskstats"), s.sources.delayacct = get<bool>(src, "delayacct");
  s.sources.kmsg_write = get<bool>(src, "kmsg_write");
  s.sources.cgroup_root = get<std::string>(src, "cgroup_root");
  s.sources.self_protection = get<std::string>(src, "self_protection");
  const json& scan = object(j, "scan");
  s.scan.scans = get<std::uint64_t>(scan, "scans"), s.scan.tasks = get<std::uint64_t>(scan, "tasks");
  s.scan.dropped = get<std::uint64_t>(scan, "dropped");
  s.scan.last_duration_ms = get<double>(scan, "last_duration_ms");
  s.scan.overruns = get<std::uint64_t>(scan, "overruns");
  s.scan.last_done_ms_ago = get<std::int64_t>(scan, "last_done_ms_ago", -1);
  const json& n = object(j, "counts");
  s.counts.stalling = get<int>(n, "stalling"), s.counts.dying = get<int>(n, "dying");
  s.counts.exiting = get<int>(n, "exiting"), s.counts.victim = get<int>(n, "victim");
  s.counts.oom_count = get<std::uint64_t>(n, "oom_count");
  s.counts.longest_ms = get<std::int64_t>(n, "longest_ms");
  for (const json& t : array(j, "stalls"))
    s.stalls.push_back({get<pid_t>(t, "tid"), get<pid_t>(t, "tgid"), get<std::string>(t, "comm"),
                        get<std::string>(t, "state"), get<std::string>(t, "kind"), get<std::string>(t, "evidence"),
                        get<std::int64_t>(t, "delay_ms"), get<std::string>(t, "wchan"), get<std::string>(t, "cgroup")});
  for (const json& i : array(j, "incidents"))
    s.incidents.push_back({get<std::string>(i, "cgroup"), get<int>(i, "kills"), get<std::int64_t>(i, "age_ms"),
                           get<bool>(i, "cgroup_killed"), get<bool>(i, "gave_up")});
  for (const json& p : array(j, "pressure"))
    s.pressure.push_back({get<std::string>(p, "dir"), get<std::string>(p, "cgroup"), get<double>(p, "some_avg10"),
                          get<double>(p, "full_avg10"), get<double>(p, "recent_some", -1),
                          get<double>(p, "recent_full", -1), get<std::int64_t>(p, "above_ms")});
  for (const json& k : array(j, "kills"))
    s.kills.push_back({get<pid_t>(k, "pid"), get<std::string>(k, "comm"), get<std::string>(k, "cgroup"),
                       get<std::string>(k, "reason"), get<std::uint64_t>(k, "rss_kb"), get<bool>(k, "dry_run"),
                       get<std::int64_t>(k, "ago_ms"), get<std::int64_t>(k, "kill_to_exit_ms", -1),
                       get<std::int64_t>(k, "kill_to_freed_ms", -1), get<std::int64_t>(k, "freed_kb", -1)});
  return s;
}

}  // namespace

std::string encode_watchdog_status(const WatchdogStatus& s, int indent) {
  return to_json(s).dump(indent, ' ', false, json::error_handler_t::replace);
}

std::optional<WatchdogStatus> decode_watchdog_status(std::string_view text, std::string* why) {
  json j = json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    if (why) *why = "the watchdog status is not a JSON object";
    return std::nullopt;
  }
  if (auto bad = schema_problem(j, kWatchdogStatusSchema)) {
    if (why) *why = "watchdog status: " + *bad;
    return std::nullopt;
  }
  return from_json(j);
}

}  // namespace oomlab::formats
