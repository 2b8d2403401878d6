#include <cmath>
#include <nlohmann/json.hpp>
#include <type_traits>

#include "oomlab/analyzer/output.hpp"

namespace oomlab::analyzer {

namespace {

using json = nlohmann::ordered_json;

template <class T>
json opt(const std::optional<T>& v) {
  return v ? json(*v) : json(nullptr);
}

// Durations computed from timestamps: drop the binary noise below a microsecond.
double micro(double x) { return std::round(x * 1e6) / 1e6; }

json where(const Where& w) { return {{"line", w.line}, {"ts", opt(w.ts)}}; }
json where(const std::optional<Where>& w) { return w ? where(*w) : json(nullptr); }
json proc(const ProcRef& p) { return {{"pid", p.pid}, {"comm", p.comm}}; }

json frames(const std::vector<Frame>& fs) {
  json a = json::array();
  for (const Frame& f : fs)
    a.push_back({{"func", f.func}, {"offset", f.offset}, {"size", f.size}, {"module", f.module}, {"reliable", f.reliable}});
  return a;
}

json finding(const Finding& f) {
  json tasks = json::array();
  for (const TaskRole& t : f.tasks)
    tasks.push_back({{"pid", t.pid}, {"comm", t.comm}, {"role", t.role}, {"state", std::string(1, t.state)},
                     {"wait", t.wait}, {"where", t.where}});
  json lock = nullptr;
  if (f.lock)
    lock = {{"name", f.lock->name}, {"mode", f.lock->mode}, {"holders", f.lock->holders},
            {"write_waiters", f.lock->write_waiters}, {"read_waiters", f.lock->read_waiters}};
  json details = json::object();
  for (const auto& [k, v] : f.details)
    std::visit(
        [&, &k = k](const auto& x) {
          if constexpr (std::is_same_v<std::decay_t<decltype(x)>, double>) details[k] = micro(x);
          else details[k] = x;
        },
        v);
  return {{"class", to_string(f.klass)}, {"title", f.title},  {"first_line", f.first.line}, {"first_ts", opt(f.first.ts)},
          {"last_line", f.last.line},    {"last_ts", opt(f.last.ts)}, {"tasks", tasks},   {"lock", lock},
          {"evidence", f.evidence},      {"details", details}};
}

json table_row(const TaskTableRow& r) {
  return {{"pid", r.pid},         {"uid", opt(r.uid)},           {"tgid", opt(r.tgid)},
          {"total_vm", opt(r.total_vm)}, {"rss", opt(r.rss)},    {"rss_anon", opt(r.rss_anon)},
          {"rss_file", opt(r.rss_file)}, {"rss_shmem", opt(r.rss_shmem)}, {"nr_ptes", opt(r.nr_ptes)},
          {"nr_pmds", opt(r.nr_pmds)},   {"pgtables_bytes", opt(r.pgtables_bytes)}, {"swapents", opt(r.swapents)},
          {"oom_score_adj", opt(r.oom_score_adj)}, {"name", r.name}};
}

json oom_event(const OomEvent& e) {
  json victim = nullptr;
  if (e.victim)
    victim = {{"pid", e.victim->pid},
              {"comm", e.victim->comm},
              {"total_vm_kb", opt(e.victim_total_vm_kb)},
              {"anon_rss_kb", opt(e.victim_anon_rss_kb)},
              {"file_rss_kb", opt(e.victim_file_rss_kb)},
              {"shmem_rss_kb", opt(e.victim_shmem_rss_kb)},
              {"pgtables_kb", opt(e.victim_pgtables_kb)},
              {"uid", opt(e.victim_uid)}};
  json selected = nullptr;
  if (e.selected) selected = {{"pid", e.selected->pid}, {"comm", e.selected->comm}, {"score", opt(e.selected_score)}};
  json rows = json::array();
  for (const TaskTableRow& r : e.table) rows.push_back(table_row(r));
  return {{"first", where(e.first)},
          {"last", where(e.last)},
          {"invoker", e.invoker ? proc(*e.invoker) : json(nullptr)},
          {"gfp", e.gfp},
          {"gfp_flags", e.gfp_flags},
          {"order", opt(e.order)},
          {"oom_score_adj", opt(e.oom_score_adj)},
          {"constraint", e.constraint},
          {"memcg", e.memcg},
          {"task_memcg", e.task_memcg},
          {"nodemask", e.nodemask},
          {"cpuset", e.cpuset},
          {"memcg_oom", e.memcg_oom},
          {"sysrq", e.sysrq},
          {"selected", selected},
          {"victim", victim},
          {"invoked", where(e.invoked)},
          {"killed", where(e.killed)},
          {"reaped", where(e.reaped)},
          {"reap_failed", e.reap_failed},
          {"resolved_ms", e.resolved_ms ? json(micro(*e.resolved_ms)) : json(nullptr)},
          {"resolved_by", e.resolved_by},
          {"task_table", {{"columns", e.table_columns}, {"rows", rows}, {"rows_dropped", e.table_rows_dropped}}}};
}

json memalloc(const MemAllocSummary& m) {
  json series = json::array();
  for (const MemAllocSample& s : m.series)
    series.push_back({{"line", s.at.line}, {"ts", opt(s.at.ts)}, {"source", s.source}, {"format", s.format},
                      {"stalling", s.stalling}, {"dying", s.dying}, {"exiting", opt(s.exiting)},
                      {"victim", s.victim}, {"oom_count", opt(s.oom_count)}});
  json tasks = json::array();
  for (const MemAllocTask& t : m.tasks)
    tasks.push_back({{"line", t.at.line}, {"ts", opt(t.at.ts)}, {"source", t.source}, {"pid", t.task.pid},
                     {"comm", t.task.comm}, {"tgid", opt(t.tgid)}, {"state", t.state}, {"kind", t.kind},
                     {"wchan", t.wchan}, {"cgroup", t.cgroup}, {"gfp", t.gfp}, {"gfp_flags", t.gfp_flags},
                     {"order", opt(t.order)}, {"delay_ms", opt(t.delay_ms)}, {"lock_mode", t.lock_mode},
                     {"dying", t.dying}, {"exiting", t.exiting}, {"victim", t.victim}});
  json stalls = json::array();
  for (const AllocStall& a : m.alloc_stalls)
    stalls.push_back({{"line", a.at.line}, {"ts", opt(a.at.ts)}, {"comm", a.task.comm}, {"ms", a.ms},
                      {"order", opt(a.order)}, {"gfp", a.gfp}, {"gfp_flags", a.gfp_flags}});
  return {{"series", series},          {"series_dropped", m.series_dropped}, {"tasks", tasks},
          {"tasks_dropped", m.tasks_dropped}, {"task_lines", m.task_lines},  {"max_delay_ms", m.max_delay_ms},
          {"max_stalling", m.max_stalling},   {"alloc_stalls", stalls},      {"alloc_stalls_dropped", m.alloc_stalls_dropped}};
}

}  // namespace

nlohmann::ordered_json to_json(const Report& r) {
  json findings = json::array();
  for (const Finding& f : r.findings) findings.push_back(finding(f));
  json events = json::array();
  for (const OomEvent& e : r.oom_events) events.push_back(oom_event(e));
  json tasks = json::array();
  for (const Task& t : r.tasks)
    tasks.push_back({{"pid", t.pid}, {"ppid", opt(t.ppid)}, {"tgid", opt(t.tgid)}, {"comm", t.comm},
                     {"state", std::string(1, t.state)}, {"flags", t.flags}, {"source", t.source},
                     {"line", t.at.line}, {"ts", opt(t.at.ts)}, {"frames", frames(t.frames)},
                     {"frames_truncated", t.frames_truncated}});
  json waits = json::array();
  for (const LockWait& w : r.lock_waits) {
    json holders = json::array();
    for (const ProcRef& p : w.holders) holders.push_back(proc(p));
    waits.push_back({{"line", w.at.line}, {"ts", opt(w.at.ts)}, {"waiter", proc(w.waiter)}, {"lock", w.lock},
                     {"mode", w.mode}, {"wait_ms", w.wait_ms}, {"holders", holders}});
  }
  json actions = json::array();
  for (const WatchdogAction& a : r.watchdog_actions) {
    json fields = json::object();
    for (const auto& [k, v] : a.fields) fields[k] = v;
    actions.push_back({{"line", a.at.line}, {"ts", opt(a.at.ts)}, {"action", a.action}, {"fields", fields}});
  }
  const InputStats& in = r.input;
  return {{"schema", kVerdictSchema},
          {"verdict", to_string(r.verdict)},
          {"title", r.title},
          {"input",
           {{"name", in.name}, {"format", in.format}, {"bytes", in.bytes}, {"lines", in.lines},
            {"kernel_lines", in.kernel_lines}, {"truncated_lines", in.truncated_lines},
            {"nul_bytes", in.nul_bytes}, {"gaps", in.gaps}}},
          {"findings", findings},
          {"findings_dropped", r.findings_dropped},
          {"oom_events", events},
          {"oom_events_dropped", r.oom_events_dropped},
          {"memalloc", memalloc(r.memalloc)},
          {"tasks", tasks},
          {"tasks_dropped", r.tasks_dropped},
          {"lock_waits", waits},
          {"watchdog_actions", actions}};
}

std::string dump_json(const nlohmann::ordered_json& j, bool pretty) {
  return j.dump(pretty ? 2 : -1, ' ', false, json::error_handler_t::replace);
}

int exit_code(const Report& r) { return r.verdict == VerdictClass::clean ? 0 : 1; }

}  // namespace oomlab::analyzer
