// RunRecord -> the report.json document (formats/report.hpp, the one codec of
// oomlab.report/2; docs/FORMATS.md "Run report").
#include "oomlab/repro/report.hpp"

namespace oomlab::repro {
namespace {

std::optional<double> ratio(double r) { return r < 0 ? std::nullopt : std::optional<double>(r); }
std::optional<std::int64_t> known(std::int64_t v) { return v < 0 ? std::nullopt : std::optional<std::int64_t>(v); }

formats::ReportStall stall_doc(const Stall& s, double psi_share) {
  formats::ReportStall d;
  d.start_ms = s.start_ms, d.end_ms = s.end_ms, d.length_ms = s.length_ms(), d.ongoing = s.ongoing;
  d.cause = facts::stall_cause_name(s.cause);
  if (s.cause == facts::StallCause::blocked_wait) d.wait = facts::wait_kind_name(s.wait);
  d.max_blocked = s.max_blocked;
  d.description = facts::describe_cause(s, stall_rules(psi_share));
  return d;
}

formats::ReportSample sample_doc(const Sample& s) {
  formats::ReportSample d;
  d.t_ms = s.t_ms, d.usage_bytes = s.usage_bytes, d.limit_bytes = s.limit_bytes;
  d.events = {s.events.low, s.events.high, s.events.max, s.events.oom, s.events.oom_kill, s.events.under_oom};
  if (s.psi)
    d.psi = formats::ReportPsi{s.psi->some_avg10,    s.psi->full_avg10,     s.psi->some_total_us,
                               s.psi->full_total_us, ratio(s.psi_some_ratio), ratio(s.psi_full_ratio)};
  d.processes = s.processes;
  d.tasks.running = s.tasks.running, d.tasks.sleeping = s.tasks.sleeping;
  d.tasks.disk = s.tasks.disk, d.tasks.other = s.tasks.other;
  d.tasks.top_wait = s.tasks.top_wait;
  for (int k = 1; k < 6; ++k)
    if (s.tasks.blocked[k]) d.tasks.blocked.emplace_back(facts::wait_kind_name(static_cast<facts::WaitKind>(k)), s.tasks.blocked[k]);
  d.oom_kills = s.oom_kills, d.victim_alive = s.victim_alive, d.victim_killed_ms = known(s.victim_killed_ms);
  if (const auto& t = s.trace)
    d.trace = formats::ReportTrace{t->in_reclaim,   t->reclaim_longest_ms,  t->reclaim_task,    t->reclaim_kind,
                                   t->reclaim_gfp,  t->reclaim_order,       t->lock_waiters,    t->lockwait_longest_ms,
                                   t->lockwait_waiter, t->lockwait_write,   t->lockwait_holders};
  return d;
}

formats::ReportWatchdog watchdog_doc(const WatchdogSection& w) {
  formats::ReportWatchdog d;
  d.argv = w.argv, d.status = w.status, d.log = w.log_file;
  for (const WatchdogKill& k : w.kills)
    d.kills.push_back({k.t_ms, k.pid, k.comm, k.cgroup, k.reason, k.rss_kb, k.dry_run, known(k.kill_to_exit_ms),
                       known(k.kill_to_freed_ms), known(k.freed_kb), k.freed_by});
  d.stall_reports = w.stall_reports;
  for (const WatchdogEvent& e : w.events) d.events.push_back({e.t_ms, e.type, e.line});
  d.events_dropped = w.events_dropped, d.bad_lines = w.bad_lines, d.kmsg_withheld = w.kmsg_withheld;
  d.other_group_events = w.other_group_events;
  d.stall = w.stall, d.stall_ended_by = w.stall_ended_by;
  return d;
}

}  // namespace

formats::Report report_document(const RunRecord& r) {
  formats::Report d;
  d.scenario = r.config.scenario;
  if (!r.config.unsafe_no_cgroup) d.params.limit_bytes = r.config.limit_bytes;
  d.params.duration_ms = r.config.duration.count();
  d.params.stall_threshold_ms = r.config.stall_threshold.count();
  d.params.period_ms = r.config.period.count();
  d.params.stall_psi_share = r.config.stall_psi;
  d.params.unsafe_no_cgroup = r.config.unsafe_no_cgroup;
  for (const auto& [k, v] : r.config.options) d.params.options.emplace_back(k, v);
  d.started_at = r.started_at, d.ended_at = r.ended_at;
  d.kernel = {r.kernel_release, r.kernel_version, r.machine};
  d.cgroup = {r.cgroup_version, r.cgroup_layout, r.cgroup_path, r.psi_source};

  formats::ReportOutcome& o = d.outcome;
  o.cls = outcome_name(r.outcome.cls);
  o.reason = r.outcome.reason;
  o.exit_code = r.exit_code;
  o.interrupted = r.interrupted;
  o.kill_to_freed_ms = r.outcome.kill_to_freed_ms;
  if (r.outcome.stall) o.stall = stall_doc(*r.outcome.stall, r.config.stall_psi);
  if (const auto& k = r.outcome.ended_by)
    o.ended_by = formats::ReportEndedBy{k->t_ms, k->pid, k->comm, k->by == facts::Killer::watchdog ? "watchdog" : "kernel",
                                        k->reason};
  for (const Stall& s : r.outcome.stalls) o.stalls.push_back(stall_doc(s, r.config.stall_psi));

  d.workload.exit = r.workload_exit, d.workload.teardown = r.teardown;
  for (const OomKill& k : r.kills)
    d.oom_kills.push_back({k.t_ms, k.pid, k.comm, k.anon_rss_kb, k.freed_ms, k.freed_at_ms, k.low_usage_bytes,
                           k.relief_bytes, k.relieved, k.source});
  if (r.watchdog.enabled) d.watchdog = watchdog_doc(r.watchdog);
  if (!r.trace_status.empty()) d.tracer = formats::ReportTracer{r.trace_status, r.trace_missing};
  for (const Sample& s : r.samples) d.timeline.push_back(sample_doc(s));
  d.kernel_log.status = r.kmsg_status;
  d.kernel_log.dropped = r.kernel_log_dropped;
  d.kernel_log.other_groups_lines = r.kernel_log_other_groups;
  for (const KernelLine& l : r.kernel_log) d.kernel_log.lines.push_back(l.text);
  d.verdict = {r.verdict.cls, r.verdict.title, r.verdict.from, r.verdict.note};
  return d;
}

}  // namespace oomlab::repro
