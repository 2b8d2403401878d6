#include "oomlab/formats/report.hpp"

#include "json_field.hpp"

namespace oomlab::formats {

namespace detail {
VerdictDoc verdict_from_json(const json& j);
json verdict_to_json(const VerdictDoc& v);
}  // namespace detail

namespace {

using namespace detail;

// ---- encode ---------------------------------------------------------------

json stall_json(const ReportStall& s) {
  return {{"start_ms", s.start_ms}, {"end_ms", s.end_ms},       {"length_ms", s.length_ms},
          {"ongoing", s.ongoing},   {"cause", s.cause},         {"wait", or_null(s.wait)},
          {"max_blocked", s.max_blocked}, {"description", s.description}};
}

json sample_json(const ReportSample& s) {
  json waits = json::array();
  for (const auto& [sym, n] : s.tasks.top_wait) waits.push_back({sym, n});
  json blocked = json::object();
  for (const auto& [kind, n] : s.tasks.blocked) blocked[kind] = n;
  json psi = nullptr;
  if (s.psi)
    psi = {{"some_avg10", s.psi->some_avg10},       {"full_avg10", s.psi->full_avg10},
           {"some_total_us", s.psi->some_total_us}, {"full_total_us", s.psi->full_total_us},
           {"some_ratio", or_null(s.psi->some_ratio)}, {"full_ratio", or_null(s.psi->full_ratio)}};
  json trace = nullptr;
  if (const auto& t = s.trace)
    trace = {{"in_reclaim", t->in_reclaim},           {"reclaim_longest_ms", t->reclaim_longest_ms},
             {"reclaim_task", t->reclaim_task},       {"reclaim_kind", t->reclaim_kind},
             {"reclaim_gfp", t->reclaim_gfp},         {"reclaim_order", t->reclaim_order},
             {"lock_waiters", t->lock_waiters},       {"lockwait_longest_ms", t->lockwait_longest_ms},
             {"lockwait_waiter", t->lockwait_waiter}, {"lockwait_write", t->lockwait_write},
             {"lockwait_holders", t->lockwait_holders}};
  const ReportEvents& e = s.events;
  return {{"t_ms", s.t_ms},
          {"usage_bytes", s.usage_bytes},
          {"limit_bytes", or_null(s.limit_bytes)},
          {"events", {{"low", e.low}, {"high", e.high}, {"max", e.max}, {"oom", e.oom}, {"oom_kill", e.oom_kill},
                      {"under_oom", e.under_oom}}},
          {"psi", psi},
          {"processes", s.processes},
          {"tasks", {{"R", s.tasks.running}, {"S", s.tasks.sleeping}, {"D", s.tasks.disk}, {"other", s.tasks.other},
                     {"top_wait", waits}, {"blocked", blocked}}},
          {"oom_kills", s.oom_kills},
          {"victim_alive", s.victim_alive},
          {"victim_killed_ms", or_null(s.victim_killed_ms)},
          {"trace", trace}};
}

json ended_by_json(const std::optional<ReportEndedBy>& k) {
  if (!k) return nullptr;
  return {{"t_ms", k->t_ms}, {"pid", k->pid}, {"comm", k->comm}, {"by", k->by}, {"reason", or_null(k->reason)}};
}

json watchdog_json(const ReportWatchdog& w) {
  json kills = json::array();
  for (const ReportWatchdogKill& k : w.kills)
    kills.push_back({{"t_ms", k.t_ms},       {"pid", k.pid},         {"comm", k.comm},
                     {"cgroup", k.cgroup},   {"reason", k.reason},   {"rss_kb", k.rss_kb},
                     {"dry_run", k.dry_run}, {"kill_to_exit_ms", or_null(k.kill_to_exit_ms)},
                     {"kill_to_freed_ms", or_null(k.kill_to_freed_ms)}, {"freed_kb", or_null(k.freed_kb)},
                     {"freed_by", or_null(k.freed_by)}});
  json events = json::array();
  for (const ReportWatchdogEvent& e : w.events) events.push_back({{"t_ms", e.t_ms}, {"type", e.type}, {"line", e.line}});
  return {{"argv", w.argv},     {"status", w.status},        {"log", w.log},
          {"kills", kills},     {"stall_reports", w.stall_reports}, {"events", events},
          {"events_dropped", w.events_dropped}, {"other_group_events", w.other_group_events}, {"bad_lines", w.bad_lines}, {"kmsg_withheld", w.kmsg_withheld},
          {"stall", w.stall ? stall_json(*w.stall) : json(nullptr)}, {"stall_ended_by", ended_by_json(w.stall_ended_by)}};
}

json report_json(const Report& r) {
  json options = json::object();
  for (const auto& [k, v] : r.params.options) options[k] = v;
  const ReportOutcome& o = r.outcome;
  json stalls = json::array();
  for (const ReportStall& s : o.stalls) stalls.push_back(stall_json(s));
  json ended_by = ended_by_json(o.ended_by);
  json kills = json::array();
  for (const ReportOomKill& k : r.oom_kills)
    kills.push_back({{"t_ms", k.t_ms},
                     {"pid", k.pid},
                     {"comm", k.comm},
                     {"anon_rss_kb", k.anon_rss_kb},
                     {"freed_ms", or_null(k.freed_ms)},
                     {"freed_at_ms", or_null(k.freed_at_ms)},
                     {"low_usage_bytes", or_null(k.low_usage_bytes)},
                     {"relief_bytes", k.relief_bytes},
                     {"relieved", k.relieved},
                     {"source", k.source}});
  json timeline = json::array();
  for (const ReportSample& s : r.timeline) timeline.push_back(sample_json(s));
  json files = {{"kernel_log", r.files.kernel_log}, {"workload_log", r.files.workload_log}, {"html", r.files.html}};
  if (!r.files.watchdog_log.empty()) files["watchdog_log"] = r.files.watchdog_log;
  json j = {
      {"schema", r.schema},
      {"scenario", r.scenario},
      {"params", {{"limit_bytes", or_null(r.params.limit_bytes)},
                  {"duration_ms", r.params.duration_ms},
                  {"stall_threshold_ms", r.params.stall_threshold_ms},
                  {"period_ms", r.params.period_ms},
                  {"stall_psi_share", r.params.stall_psi_share},
                  {"unsafe_no_cgroup", r.params.unsafe_no_cgroup},
                  {"options", options}}},
      {"started_at", r.started_at},
      {"ended_at", r.ended_at},
      {"kernel", {{"release", r.kernel.release}, {"version", r.kernel.version}, {"machine", r.kernel.machine}}},
      {"cgroup", {{"version", r.cgroup.version}, {"layout", r.cgroup.layout}, {"path", r.cgroup.path},
                  {"psi_source", r.cgroup.psi_source}}},
      {"outcome", {{"class", o.cls},
                   {"reason", o.reason},
                   {"exit_code", o.exit_code},
                   {"interrupted", o.interrupted},
                   {"kill_to_freed_ms", or_null(o.kill_to_freed_ms)},
                   {"stall", o.stall ? stall_json(*o.stall) : json(nullptr)},
                   {"ended_by", ended_by},
                   {"stalls", stalls}}},
      {"workload", {{"exit", r.workload.exit}, {"teardown", r.workload.teardown}, {"log_tail", r.workload.log_tail}}},
      {"oom_kills", kills},
      {"watchdog", r.watchdog ? watchdog_json(*r.watchdog) : json(nullptr)},
      {"tracer", r.tracer ? json{{"status", r.tracer->status}, {"missing", r.tracer->missing}} : json(nullptr)},
      {"timeline", timeline},
      {"kernel_log", {{"status", r.kernel_log.status}, {"dropped", r.kernel_log.dropped},
                      {"other_groups_lines", r.kernel_log.other_groups_lines}, {"lines", r.kernel_log.lines}}},
      {"verdict", {{"class", or_null(r.verdict.cls)},
                   {"title", or_null(r.verdict.title)},
                   {"from", or_null(r.verdict.from)},
                   {"note", or_null(r.verdict.note)}}},
      {"log_verdict", r.log_verdict ? verdict_to_json(*r.log_verdict) : json(nullptr)},
      {"files", files}};
  if (!r.log_verdict_error.empty()) j["log_verdict_error"] = r.log_verdict_error;
  return j;
}

// ---- decode ---------------------------------------------------------------

ReportStall stall_of(const json& j) {
  ReportStall s;
  s.start_ms = get<std::int64_t>(j, "start_ms"), s.end_ms = get<std::int64_t>(j, "end_ms");
  s.length_ms = get<std::int64_t>(j, "length_ms"), s.ongoing = get<bool>(j, "ongoing");
  s.cause = get<std::string>(j, "cause"), s.wait = get<std::string>(j, "wait");
  s.max_blocked = get<int>(j, "max_blocked"), s.description = get<std::string>(j, "description");
  return s;
}

std::vector<std::string> strings(const json& arr) {
  std::vector<std::string> out;
  for (const json& v : arr)
    if (auto s = as<std::string>(v)) out.push_back(*s);
  return out;
}

ReportSample sample_of(const json& j) {
  ReportSample s;
  s.t_ms = get<std::int64_t>(j, "t_ms"), s.usage_bytes = get<std::uint64_t>(j, "usage_bytes");
  s.limit_bytes = opt<std::uint64_t>(j, "limit_bytes");
  const json& e = object(j, "events");
  s.events = {get<std::uint64_t>(e, "low"), get<std::uint64_t>(e, "high"),     get<std::uint64_t>(e, "max"),
              get<std::uint64_t>(e, "oom"), get<std::uint64_t>(e, "oom_kill"), get<bool>(e, "under_oom")};
  if (auto p = j.find("psi"); p != j.end() && p->is_object())
    s.psi = ReportPsi{get<double>(*p, "some_avg10"),        get<double>(*p, "full_avg10"),
                      get<std::uint64_t>(*p, "some_total_us"), get<std::uint64_t>(*p, "full_total_us"),
                      opt<double>(*p, "some_ratio"),         opt<double>(*p, "full_ratio")};
  s.processes = get<int>(j, "processes");
  const json& t = object(j, "tasks");
  s.tasks.running = get<int>(t, "R"), s.tasks.sleeping = get<int>(t, "S");
  s.tasks.disk = get<int>(t, "D"), s.tasks.other = get<int>(t, "other");
  for (const json& w : array(t, "top_wait"))
    if (w.is_array() && w.size() == 2)
      if (auto sym = as<std::string>(w[0]))
        if (auto count = as<int>(w[1])) s.tasks.top_wait.emplace_back(*sym, *count);
  for (const auto& [kind, n] : object(t, "blocked").items())
    if (auto v = as<int>(n)) s.tasks.blocked.emplace_back(kind, *v);
  s.oom_kills = get<int>(j, "oom_kills"), s.victim_alive = get<bool>(j, "victim_alive");
  s.victim_killed_ms = opt<std::int64_t>(j, "victim_killed_ms");
  if (auto tr = j.find("trace"); tr != j.end() && tr->is_object()) {
    const json& x = *tr;
    ReportTrace r;
    r.in_reclaim = get<int>(x, "in_reclaim"), r.reclaim_longest_ms = get<std::int64_t>(x, "reclaim_longest_ms");
    r.reclaim_task = get<std::string>(x, "reclaim_task"), r.reclaim_kind = get<std::string>(x, "reclaim_kind");
    r.reclaim_gfp = get<std::string>(x, "reclaim_gfp"), r.reclaim_order = get<int>(x, "reclaim_order");
    r.lock_waiters = get<int>(x, "lock_waiters"), r.lockwait_longest_ms = get<std::int64_t>(x, "lockwait_longest_ms");
    r.lockwait_waiter = get<std::string>(x, "lockwait_waiter"), r.lockwait_write = get<bool>(x, "lockwait_write");
    r.lockwait_holders = get<std::string>(x, "lockwait_holders");
    s.trace = r;
  }
  return s;
}

std::optional<ReportEndedBy> ended_by_of(const json& j, const char* key = "ended_by") {
  auto e = j.find(key);
  if (e == j.end() || !e->is_object()) return std::nullopt;
  return ReportEndedBy{get<std::int64_t>(*e, "t_ms"), get<std::int64_t>(*e, "pid"), get<std::string>(*e, "comm"),
                       get<std::string>(*e, "by"), get<std::string>(*e, "reason")};
}

ReportWatchdog watchdog_of(const json& j) {
  ReportWatchdog w;
  w.argv = strings(array(j, "argv"));
  w.status = get<std::string>(j, "status"), w.log = get<std::string>(j, "log");
  for (const json& k : array(j, "kills")) {
    ReportWatchdogKill x;
    x.t_ms = get<std::int64_t>(k, "t_ms"), x.pid = get<std::int64_t>(k, "pid");
    x.comm = get<std::string>(k, "comm"), x.cgroup = get<std::string>(k, "cgroup");
    x.reason = get<std::string>(k, "reason"), x.rss_kb = get<std::int64_t>(k, "rss_kb");
    x.dry_run = get<bool>(k, "dry_run");
    x.kill_to_exit_ms = opt<std::int64_t>(k, "kill_to_exit_ms");
    x.kill_to_freed_ms = opt<std::int64_t>(k, "kill_to_freed_ms");
    x.freed_kb = opt<std::int64_t>(k, "freed_kb"), x.freed_by = get<std::string>(k, "freed_by");
    w.kills.push_back(std::move(x));
  }
  w.stall_reports = get<int>(j, "stall_reports");
  for (const json& e : array(j, "events"))
    w.events.push_back({get<std::int64_t>(e, "t_ms"), get<std::string>(e, "type"), get<std::string>(e, "line")});
  w.events_dropped = get<std::uint64_t>(j, "events_dropped"), w.bad_lines = get<int>(j, "bad_lines");
  w.other_group_events = get<std::uint64_t>(j, "other_group_events");
  w.kmsg_withheld = get<std::uint64_t>(j, "kmsg_withheld");
  if (auto s = j.find("stall"); s != j.end() && s->is_object()) w.stall = stall_of(*s);
  w.stall_ended_by = ended_by_of(j, "stall_ended_by");
  return w;
}

Report report_of(const json& j) {
  Report r;
  r.schema = get<std::string>(j, "schema");
  r.scenario = get<std::string>(j, "scenario");
  const json& p = object(j, "params");
  r.params.limit_bytes = opt<std::uint64_t>(p, "limit_bytes");
  r.params.duration_ms = get<std::int64_t>(p, "duration_ms");
  r.params.stall_threshold_ms = get<std::int64_t>(p, "stall_threshold_ms");
  r.params.period_ms = get<std::int64_t>(p, "period_ms");
  r.params.stall_psi_share = get<double>(p, "stall_psi_share");
  r.params.unsafe_no_cgroup = get<bool>(p, "unsafe_no_cgroup");
  for (const auto& [k, v] : object(p, "options").items())
    if (auto s = as<std::string>(v)) r.params.options.emplace_back(k, *s);
  r.started_at = get<std::string>(j, "started_at"), r.ended_at = get<std::string>(j, "ended_at");
  const json& k = object(j, "kernel");
  r.kernel = {get<std::string>(k, "release"), get<std::string>(k, "version"), get<std::string>(k, "machine")};
  const json& c = object(j, "cgroup");
  r.cgroup = {get<int>(c, "version"), get<std::string>(c, "layout"), get<std::string>(c, "path"),
              get<std::string>(c, "psi_source")};
  const json& o = object(j, "outcome");
  r.outcome.cls = get<std::string>(o, "class"), r.outcome.reason = get<std::string>(o, "reason");
  r.outcome.exit_code = get<int>(o, "exit_code"), r.outcome.interrupted = get<bool>(o, "interrupted");
  r.outcome.kill_to_freed_ms = opt<std::int64_t>(o, "kill_to_freed_ms");
  if (auto s = o.find("stall"); s != o.end() && s->is_object()) r.outcome.stall = stall_of(*s);
  r.outcome.ended_by = ended_by_of(o);
  for (const json& s : array(o, "stalls"))
    if (s.is_object()) r.outcome.stalls.push_back(stall_of(s));
  const json& w = object(j, "workload");
  r.workload = {get<std::string>(w, "exit"), get<std::string>(w, "teardown"), get<std::string>(w, "log_tail")};
  for (const json& x : array(j, "oom_kills")) {
    ReportOomKill kill;
    kill.t_ms = get<std::int64_t>(x, "t_ms"), kill.pid = get<std::int64_t>(x, "pid");
    kill.comm = get<std::string>(x, "comm"), kill.anon_rss_kb = get<std::uint64_t>(x, "anon_rss_kb");
    kill.freed_ms = opt<std::int64_t>(x, "freed_ms"), kill.freed_at_ms = opt<std::int64_t>(x, "freed_at_ms");
    kill.low_usage_bytes = opt<std::uint64_t>(x, "low_usage_bytes");
    kill.relief_bytes = get<std::uint64_t>(x, "relief_bytes"), kill.relieved = get<bool>(x, "relieved");
    kill.source = get<std::string>(x, "source");
    r.oom_kills.push_back(std::move(kill));
  }
  if (auto wd = j.find("watchdog"); wd != j.end() && wd->is_object()) r.watchdog = watchdog_of(*wd);
  if (auto t = j.find("tracer"); t != j.end() && t->is_object())
    r.tracer = ReportTracer{get<std::string>(*t, "status"), get<std::string>(*t, "missing")};
  for (const json& s : array(j, "timeline"))
    if (s.is_object()) r.timeline.push_back(sample_of(s));
  const json& kl = object(j, "kernel_log");
  r.kernel_log.status = get<std::string>(kl, "status");
  r.kernel_log.dropped = get<std::uint64_t>(kl, "dropped");
  r.kernel_log.other_groups_lines = get<std::uint64_t>(kl, "other_groups_lines");
  r.kernel_log.lines = strings(array(kl, "lines"));
  const json& v = object(j, "verdict");
  r.verdict = {get<std::string>(v, "class"), get<std::string>(v, "title"), get<std::string>(v, "from"),
               get<std::string>(v, "note")};
  if (auto lv = j.find("log_verdict"); lv != j.end() && lv->is_object()) r.log_verdict = verdict_from_json(*lv);
  r.log_verdict_error = get<std::string>(j, "log_verdict_error");
  const json& f = object(j, "files");
  r.files = {get<std::string>(f, "kernel_log"), get<std::string>(f, "workload_log"), get<std::string>(f, "html"),
             get<std::string>(f, "watchdog_log")};
  return r;
}

}  // namespace

std::string encode_report(const Report& r) {
  return report_json(r).dump(1, ' ', false, json::error_handler_t::replace) + "\n";
}

std::optional<Report> decode_report(std::string_view text, std::string* why) {
  auto fail = [&](std::string what) -> std::optional<Report> {
    if (why) *why = std::move(what);
    return std::nullopt;
  };
  json j = json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return fail("not a JSON object");
  if (auto bad = schema_problem(j, kReportSchema)) return fail(*bad);
  return report_of(j);
}

}  // namespace oomlab::formats
