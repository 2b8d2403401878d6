#include <nlohmann/json.hpp>

#include "oomlab/repro/report.hpp"

namespace oomlab::repro {
namespace {

nlohmann::json opt(const std::optional<std::int64_t>& v) { return v ? nlohmann::json(*v) : nlohmann::json(nullptr); }
nlohmann::json opt(const std::optional<std::uint64_t>& v) { return v ? nlohmann::json(*v) : nlohmann::json(nullptr); }
nlohmann::json ratio(double r) { return r < 0 ? nlohmann::json(nullptr) : nlohmann::json(r); }

nlohmann::json trace_json(const std::optional<TraceSample>& t) {
  if (!t) return nullptr;
  return {{"in_reclaim", t->in_reclaim},
          {"reclaim_longest_ms", t->reclaim_longest_ms},
          {"reclaim_task", t->reclaim_task},
          {"reclaim_kind", t->reclaim_kind},
          {"reclaim_gfp", t->reclaim_gfp},
          {"reclaim_order", t->reclaim_order},
          {"lock_waiters", t->lock_waiters},
          {"lockwait_longest_ms", t->lockwait_longest_ms},
          {"lockwait_waiter", t->lockwait_waiter},
          {"lockwait_write", t->lockwait_write},
          {"lockwait_holders", t->lockwait_holders}};
}

nlohmann::json stall_json(const Stall& s, double psi_share) {
  return {{"start_ms", s.start_ms},
          {"end_ms", s.end_ms},
          {"length_ms", s.length_ms()},
          {"ongoing", s.ongoing},
          {"cause", facts::stall_cause_name(s.cause)},
          {"wait", s.cause == facts::StallCause::blocked_wait ? nlohmann::json(facts::wait_kind_name(s.wait)) : nlohmann::json(nullptr)},
          {"max_blocked", s.max_blocked},
          {"description", facts::describe_cause(s, stall_rules(psi_share))}};
}

nlohmann::json sample_json(const Sample& s) {
  nlohmann::json waits = nlohmann::json::array();
  for (const auto& [sym, n] : s.tasks.top_wait) waits.push_back({sym, n});
  nlohmann::json blocked = nlohmann::json::object();
  for (int k = 1; k < 6; ++k)
    if (s.tasks.blocked[k]) blocked[facts::wait_kind_name(static_cast<facts::WaitKind>(k))] = s.tasks.blocked[k];
  nlohmann::json psi = nullptr;
  if (s.psi)
    psi = {{"some_avg10", s.psi->some_avg10},      {"full_avg10", s.psi->full_avg10},
           {"some_total_us", s.psi->some_total_us}, {"full_total_us", s.psi->full_total_us},
           {"some_ratio", ratio(s.psi_some_ratio)}, {"full_ratio", ratio(s.psi_full_ratio)}};
  return {{"t_ms", s.t_ms},
          {"usage_bytes", s.usage_bytes},
          {"limit_bytes", opt(s.limit_bytes)},
          {"events",
           {{"low", s.events.low},
            {"high", s.events.high},
            {"max", s.events.max},
            {"oom", s.events.oom},
            {"oom_kill", s.events.oom_kill},
            {"under_oom", s.events.under_oom}}},
          {"psi", psi},
          {"processes", s.processes},
          {"tasks",
           {{"R", s.tasks.running}, {"S", s.tasks.sleeping}, {"D", s.tasks.disk}, {"other", s.tasks.other},
            {"top_wait", waits}, {"blocked", blocked}}},
          {"oom_kills", s.oom_kills},
          {"victim_alive", s.victim_alive},
          {"victim_killed_ms", s.victim_killed_ms < 0 ? nlohmann::json(nullptr) : nlohmann::json(s.victim_killed_ms)},
          {"trace", trace_json(s.trace)}};
}

nlohmann::json watchdog_json(const WatchdogSection& w) {
  if (!w.enabled) return nullptr;
  nlohmann::json kills = nlohmann::json::array();
  auto known = [](std::int64_t v) { return v < 0 ? nlohmann::json(nullptr) : nlohmann::json(v); };
  for (const WatchdogKill& k : w.kills)
    kills.push_back({{"t_ms", k.t_ms},
                     {"pid", k.pid},
                     {"comm", k.comm},
                     {"cgroup", k.cgroup},
                     {"reason", k.reason},
                     {"rss_kb", k.rss_kb},
                     {"dry_run", k.dry_run},
                     {"kill_to_exit_ms", known(k.kill_to_exit_ms)},
                     {"kill_to_freed_ms", known(k.kill_to_freed_ms)},
                     {"freed_kb", known(k.freed_kb)},
                     {"freed_by", k.freed_by.empty() ? nlohmann::json(nullptr) : nlohmann::json(k.freed_by)}});
  nlohmann::json events = nlohmann::json::array();
  for (const WatchdogEvent& e : w.events) events.push_back({{"t_ms", e.t_ms}, {"type", e.type}, {"line", e.line}});
  return {{"argv", w.argv},     {"status", w.status},         {"log", w.log_file},
          {"kills", kills},     {"stall_reports", w.stall_reports}, {"events", events},
          {"events_dropped", w.events_dropped}, {"bad_lines", w.bad_lines}, {"kmsg_withheld", w.kmsg_withheld}};
}

}  // namespace

nlohmann::json report_to_json(const RunRecord& r) {
  nlohmann::json options = nlohmann::json::object();
  for (const auto& [k, v] : r.config.options) options[k] = v;
  nlohmann::json stalls = nlohmann::json::array();
  for (const Stall& s : r.outcome.stalls) stalls.push_back(stall_json(s, r.config.stall_psi));
  nlohmann::json ended_by = nullptr;
  if (const auto& k = r.outcome.ended_by)
    ended_by = {{"t_ms", k->t_ms}, {"pid", k->pid}, {"comm", k->comm},
                {"by", k->by == facts::Killer::watchdog ? "watchdog" : "kernel"},
                {"reason", k->reason.empty() ? nlohmann::json(nullptr) : nlohmann::json(k->reason)}};
  nlohmann::json kills = nlohmann::json::array();
  for (const OomKill& k : r.kills)
    kills.push_back({{"t_ms", k.t_ms},
                     {"pid", k.pid},
                     {"comm", k.comm},
                     {"anon_rss_kb", k.anon_rss_kb},
                     {"freed_ms", opt(k.freed_ms)},
                     {"freed_at_ms", opt(k.freed_at_ms)},
                     {"low_usage_bytes", opt(k.low_usage_bytes)},
                     {"relief_bytes", k.relief_bytes},
                     {"relieved", k.relieved},
                     {"source", k.source}});
  nlohmann::json timeline = nlohmann::json::array();
  for (const Sample& s : r.samples) timeline.push_back(sample_json(s));
  nlohmann::json lines = nlohmann::json::array();
  for (const KernelLine& l : r.kernel_log) lines.push_back(l.text);

  return {{"schema", "oomlab.report/1"},
          {"scenario", r.config.scenario},
          {"params",
           {{"limit_bytes", r.config.unsafe_no_cgroup ? nlohmann::json(nullptr) : nlohmann::json(r.config.limit_bytes)},
            {"duration_ms", r.config.duration.count()},
            {"stall_threshold_ms", r.config.stall_threshold.count()},
            {"period_ms", r.config.period.count()},
            {"stall_psi_share", r.config.stall_psi},
            {"unsafe_no_cgroup", r.config.unsafe_no_cgroup},
            {"options", options}}},
          {"started_at", r.started_at},
          {"ended_at", r.ended_at},
          {"kernel", {{"release", r.kernel_release}, {"version", r.kernel_version}, {"machine", r.machine}}},
          {"cgroup",
           {{"version", r.cgroup_version},
            {"layout", r.cgroup_layout},
            {"path", r.cgroup_path},
            {"psi_source", r.psi_source}}},
          {"outcome",
           {{"class", outcome_name(r.outcome.cls)},
            {"reason", r.outcome.reason},
            {"exit_code", r.exit_code},
            {"interrupted", r.interrupted},
            {"kill_to_freed_ms", opt(r.outcome.kill_to_freed_ms)},
            {"stall", r.outcome.stall ? stall_json(*r.outcome.stall, r.config.stall_psi) : nlohmann::json(nullptr)},
            {"ended_by", ended_by},
            {"stalls", stalls}}},
          {"workload", {{"exit", r.workload_exit}, {"teardown", r.teardown}}},
          {"oom_kills", kills},
          {"watchdog", watchdog_json(r.watchdog)},
          {"tracer", r.trace_status.empty() ? nlohmann::json(nullptr)
                                            : nlohmann::json{{"status", r.trace_status}, {"missing", r.trace_missing}}},
          {"timeline", timeline},
          {"kernel_log", {{"status", r.kmsg_status}, {"dropped", r.kernel_log_dropped}, {"other_groups_lines", r.kernel_log_other_groups}, {"lines", lines}}},
          {"verdict", nullptr}};
}

}  // namespace oomlab::repro
