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
          {"memcg_usage_kb", opt(e.memcg_usage_kb)},
          {"memcg_limit_kb", opt(e.memcg_limit_kb)},
          {"memcg_shmem_kb", opt(e.memcg_shmem_kb)},
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

json series_json(const MemAllocSample& s) {
  return {{"line", s.at.line}, {"ts", opt(s.at.ts)}, {"source", s.source}, {"format", s.format},
          {"stalling", s.stalling}, {"dying", s.dying}, {"exiting", opt(s.exiting)},
          {"victim", s.victim}, {"oom_count", opt(s.oom_count)}};
}

// Only the delays the line carried: the watchdog prints none without
// --delayacct and leaves out the zero ones.
json delays_json(const MemAllocTask::Delays& d) {
  json o = json::object();
  for (const auto& [key, value] : MemAllocTask::kDelayKeys)
    if (d.*value) o[key] = *(d.*value);
  return o;
}

json memalloc_task(const MemAllocTask& t) {
  json j = {{"line", t.at.line}, {"ts", opt(t.at.ts)}, {"source", t.source}, {"pid", t.task.pid},
            {"comm", t.task.comm}, {"tgid", opt(t.tgid)}, {"state", t.state}, {"kind", t.kind},
            {"wchan", t.wchan}, {"cgroup", t.cgroup}, {"gfp", t.gfp}, {"gfp_flags", t.gfp_flags},
            {"order", opt(t.order)}, {"delay_ms", opt(t.delay_ms)}, {"lock_mode", t.lock_mode},
            {"dying", t.dying}, {"exiting", t.exiting}, {"victim", t.victim}};
  if (json delays = delays_json(t.delays_ms); !delays.empty()) j["delays_ms"] = std::move(delays);
  return j;
}

json alloc_stall(const AllocStall& a) {
  return {{"line", a.at.line}, {"ts", opt(a.at.ts)}, {"comm", a.task.comm}, {"ms", a.ms},
          {"order", opt(a.order)}, {"gfp", a.gfp}, {"gfp_flags", a.gfp_flags}};
}

template <class T, class F>
json array_of(const std::vector<T>& v, F f) {
  json a = json::array();
  for (const T& x : v) a.push_back(f(x));
  return a;
}

json memalloc(const MemAllocSummary& m) {
  return {{"series", array_of(m.series, series_json)},
          {"series_dropped", m.series_dropped},
          {"tasks", array_of(m.tasks, memalloc_task)},
          {"tasks_dropped", m.tasks_dropped},
          {"task_lines", m.task_lines},
          {"max_delay_ms", m.max_delay_ms},
          {"max_stalling", m.max_stalling},
          {"alloc_stalls", array_of(m.alloc_stalls, alloc_stall)},
          {"alloc_stalls_dropped", m.alloc_stalls_dropped}};
}

json task_json(const Task& t) {
  return {{"pid", t.pid},         {"ppid", opt(t.ppid)},   {"tgid", opt(t.tgid)},     {"comm", t.comm},
          {"state", std::string(1, t.state)}, {"flags", t.flags}, {"source", t.source}, {"line", t.at.line},
          {"ts", opt(t.at.ts)},   {"frames", frames(t.frames)}, {"frames_truncated", t.frames_truncated}};
}

json lock_wait(const LockWait& w) {
  json holders = json::array();
  for (const ProcRef& p : w.holders) holders.push_back(proc(p));
  return {{"line", w.at.line}, {"ts", opt(w.at.ts)}, {"waiter", proc(w.waiter)}, {"lock", w.lock},
          {"mode", w.mode},    {"wait_ms", w.wait_ms}, {"holders", holders}};
}

json watchdog_action(const WatchdogAction& a) {
  json fields = json::object();
  for (const auto& [k, v] : a.fields) fields[k] = v;
  return {{"line", a.at.line}, {"ts", opt(a.at.ts)}, {"action", a.action}, {"fields", fields}};
}

json input(const InputStats& in) {
  json j{{"name", in.name}, {"format", in.format}, {"bytes", in.bytes}, {"lines", in.lines},
         {"kernel_lines", in.kernel_lines}, {"truncated_lines", in.truncated_lines},
         {"nul_bytes", in.nul_bytes}, {"gaps", in.gaps}, {"joined_lines", in.joined_lines}};
  if (!in.suppressed.empty()) {
    j["suppressed"] = json::array();
    for (const auto& [who, n] : in.suppressed) j["suppressed"].push_back({{"who", who}, {"lines", n}});
  }
  if (!in.watchdog_log.empty())
    j["watchdog_log"] = {{"name", in.watchdog_log}, {"lines", in.watchdog_lines}, {"duplicates", in.watchdog_duplicates}};
  if (!in.cgroup.empty()) j["cgroup"] = {{"path", in.cgroup}, {"other_lines", in.other_cgroup_lines}};
  return j;
}

// Writes the document piece by piece so that at most one element's JSON
// tree exists at a time: a report at its caps (1024 tasks with 48 frames
// each) would otherwise need a DOM several times larger than the report.
class Stream {
 public:
  Stream(std::FILE* out, bool pretty) : out_(out), pretty_(pretty) {}
  void open(char c) {
    separate();
    put(std::string(1, c));
    first_.push_back(true);
  }
  void close(char c) {
    bool empty = first_.back();
    first_.pop_back();
    if (!empty) newline();
    put(std::string(1, c));
  }
  void key(const char* k) {
    separate();
    put(json(k).dump() + (pretty_ ? ": " : ":"));
    after_key_ = true;
  }
  void value(const json& j) {
    separate();
    std::string text = dump_json(j, pretty_);
    if (pretty_) {   // re-indent the nested dump to this depth
      const std::string pad(2 * first_.size(), ' ');
      for (std::size_t p = text.find('\n'); p != std::string::npos; p = text.find('\n', p + 1)) text.insert(p + 1, pad);
    }
    put(text);
  }
  template <class T, class F>
  void array(const char* k, const std::vector<T>& v, F f) {
    key(k);
    open('[');
    for (const T& x : v) value(f(x));
    close(']');
  }
  bool ok() const { return ok_; }

 private:
  void separate() {
    if (after_key_) {
      after_key_ = false;
      return;
    }
    if (first_.empty()) return;
    if (!first_.back()) put(",");
    first_.back() = false;
    newline();
  }
  void newline() {
    if (pretty_) put("\n" + std::string(2 * first_.size(), ' '));
  }
  void put(const std::string& s) {
    if (std::fwrite(s.data(), 1, s.size(), out_) != s.size()) ok_ = false;
  }
  std::FILE* out_;
  bool pretty_;
  bool ok_ = true;
  bool after_key_ = false;
  std::vector<bool> first_;
};

void stream_report(Stream& w, const Report& r) {
  w.open('{');
  w.key("schema"), w.value(kVerdictSchema);
  w.key("verdict"), w.value(to_string(r.verdict));
  w.key("title"), w.value(r.title);
  w.key("input"), w.value(input(r.input));
  w.array("findings", r.findings, finding);
  w.key("findings_dropped"), w.value(r.findings_dropped);
  w.array("oom_events", r.oom_events, oom_event);
  w.key("oom_events_dropped"), w.value(r.oom_events_dropped);
  const MemAllocSummary& m = r.memalloc;
  w.key("memalloc");
  w.open('{');
  w.array("series", m.series, series_json);
  w.key("series_dropped"), w.value(m.series_dropped);
  w.array("tasks", m.tasks, memalloc_task);
  w.key("tasks_dropped"), w.value(m.tasks_dropped);
  w.key("task_lines"), w.value(m.task_lines);
  w.key("max_delay_ms"), w.value(m.max_delay_ms);
  w.key("max_stalling"), w.value(m.max_stalling);
  w.array("alloc_stalls", m.alloc_stalls, alloc_stall);
  w.key("alloc_stalls_dropped"), w.value(m.alloc_stalls_dropped);
  w.close('}');
  w.array("tasks", r.tasks, task_json);
  w.key("tasks_dropped"), w.value(r.tasks_dropped);
  w.array("lock_waits", r.lock_waits, lock_wait);
  w.array("watchdog_actions", r.watchdog_actions, watchdog_action);
  w.close('}');
}

}  // namespace

nlohmann::ordered_json to_json(const Report& r) {
  return {{"schema", kVerdictSchema},
          {"verdict", to_string(r.verdict)},
          {"title", r.title},
          {"input", input(r.input)},
          {"findings", array_of(r.findings, finding)},
          {"findings_dropped", r.findings_dropped},
          {"oom_events", array_of(r.oom_events, oom_event)},
          {"oom_events_dropped", r.oom_events_dropped},
          {"memalloc", memalloc(r.memalloc)},
          {"tasks", array_of(r.tasks, task_json)},
          {"tasks_dropped", r.tasks_dropped},
          {"lock_waits", array_of(r.lock_waits, lock_wait)},
          {"watchdog_actions", array_of(r.watchdog_actions, watchdog_action)}};
}

bool write_json(const Report& r, std::FILE* out, bool pretty) {
  Stream w(out, pretty);
  stream_report(w, r);
  return w.ok();
}

bool write_json_array(const std::vector<Report>& reports, std::FILE* out) {
  Stream w(out, true);
  w.open('[');
  for (const Report& r : reports) stream_report(w, r);
  w.close(']');
  return w.ok();
}

std::string dump_json(const nlohmann::ordered_json& j, bool pretty) {
  return j.dump(pretty ? 2 : -1, ' ', false, json::error_handler_t::replace);
}

int exit_code(const Report& r) { return r.verdict == VerdictClass::clean ? 0 : 1; }

}  // namespace oomlab::analyzer
