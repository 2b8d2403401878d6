#include "oomlab/formats/vm_report.hpp"

#include "json_field.hpp"

namespace oomlab::formats {

using namespace detail;

namespace detail {
json run_summary_to_json(const RunSummary& s);
RunSummary run_summary_from_json(const json& j);
VerdictDoc verdict_from_json(const json& j);
json verdict_to_json(const VerdictDoc& v);
}  // namespace detail

namespace {

template <typename T>
std::vector<T> list_of(const json& j, const char* key) {
  std::vector<T> out;
  for (const json& v : array(j, key))
    if (auto x = as<T>(v)) out.push_back(*x);
  return out;
}

json props_json(const std::map<std::string, std::string>& m) {
  json j = json::object();
  for (const auto& [k, v] : m) j[k] = v;
  return j;
}
std::map<std::string, std::string> props_of(const json& j) {
  std::map<std::string, std::string> m;
  for (const auto& [k, v] : j.items())
    if (auto s = as<std::string>(v)) m[k] = *s;
  return m;
}

json state_json(const VmSystemdState& s) {
  json guard = {{"unit", or_null(s.guard_unit)}, {"enable_exit_code", or_null(s.enable_exit_code)}};
  if (s.enable_ms) guard["enable_ms"] = *s.enable_ms;
  if (s.enable_exit_code) guard["before"] = props_json(s.before), guard["after"] = props_json(s.after);
  return {{"system_state", s.system_state}, {"multi_user_target", s.multi_user_target},
          {"systemd_version", s.systemd_version}, {"failed_units", s.failed_units},
          {"guard", guard}, {"job_exit_code", or_null(s.job_exit_code)}};
}
VmSystemdState state_of(const json& j) {
  VmSystemdState s;
  s.system_state = get<std::string>(j, "system_state"), s.multi_user_target = get<std::string>(j, "multi_user_target");
  s.systemd_version = get<std::string>(j, "systemd_version"), s.failed_units = get<std::string>(j, "failed_units");
  const json& g = object(j, "guard");
  s.guard_unit = get<std::string>(g, "unit");
  s.enable_exit_code = opt<int>(g, "enable_exit_code"), s.enable_ms = opt<std::int64_t>(g, "enable_ms");
  s.before = props_of(object(g, "before")), s.after = props_of(object(g, "after"));
  s.job_exit_code = opt<int>(j, "job_exit_code");
  return s;
}

json systemd_json(const VmSystemd& s) {
  json j = {{"guard", s.guard}, {"guard_unit", or_null(s.guard_unit)}, {"guard_config", s.guard_config},
            {"guard_settings", s.guard_settings}};
  j["state"] = s.state_unparsed ? json{{"unparsed", *s.state_unparsed}} : s.state ? state_json(*s.state) : json(nullptr);
  if (s.guard_seen) {
    j["guard_ready"] = s.guard_ready, j["guard_type"] = s.guard_type;
    j["watchdog_pings_seen"] = or_null(s.watchdog_pings_seen), j["watchdog_sec"] = s.watchdog_sec;
    j["guard_status_text"] = s.guard_status_text, j["guard_active_after"] = s.guard_active_after;
    j["guard_restarts"] = s.guard_restarts, j["guard_cpu_ms"] = or_null(s.guard_cpu_ms);
  }
  if (s.guard_status) j["guard_status"] = *s.guard_status;
  if (s.guard_journal_tail) j["guard_journal_tail"] = *s.guard_journal_tail;
  return j;
}
VmSystemd systemd_of(const json& j) {
  VmSystemd s;
  s.guard = get<std::string>(j, "guard"), s.guard_unit = get<std::string>(j, "guard_unit");
  s.guard_config = get<std::string>(j, "guard_config"), s.guard_settings = get<std::string>(j, "guard_settings");
  const json& st = object(j, "state");
  if (auto u = opt<std::string>(st, "unparsed")) s.state_unparsed = *u;
  else if (j.contains("state") && j["state"].is_object()) s.state = state_of(st);
  s.guard_seen = j.contains("guard_ready");
  s.guard_ready = get<bool>(j, "guard_ready"), s.guard_type = get<std::string>(j, "guard_type");
  s.watchdog_pings_seen = opt<bool>(j, "watchdog_pings_seen"), s.watchdog_sec = get<std::string>(j, "watchdog_sec");
  s.guard_status_text = get<std::string>(j, "guard_status_text");
  s.guard_active_after = get<std::string>(j, "guard_active_after");
  s.guard_restarts = get<std::int64_t>(j, "guard_restarts", -1), s.guard_cpu_ms = opt<double>(j, "guard_cpu_ms");
  s.guard_status = opt<std::string>(j, "guard_status"), s.guard_journal_tail = opt<std::string>(j, "guard_journal_tail");
  return s;
}

json cmd_json(const VmGuestCmd& c) {
  json j = {{"guest_cmd_exit_code", or_null(c.exit_code)}};
  if (!c.memory_events.empty()) {
    json ev = json::object();
    for (const auto& [k, v] : c.memory_events) ev[k] = v;
    j["memory_events"] = ev, j["memory_peak_bytes"] = or_null(c.memory_peak_bytes);
  }
  if (!c.result.empty()) {
    json r = json::parse(c.result, nullptr, false);
    j["result"] = r.is_discarded() ? json(c.result) : r;
  }
  return j;
}
VmGuestCmd cmd_of(const json& j) {
  VmGuestCmd c;
  c.exit_code = opt<int>(j, "guest_cmd_exit_code");
  for (const auto& [k, v] : object(j, "memory_events").items())
    if (auto n = as<std::int64_t>(v)) c.memory_events.emplace_back(k, *n);
  c.memory_peak_bytes = opt<std::uint64_t>(j, "memory_peak_bytes");
  if (auto it = j.find("result"); it != j.end() && !it->is_null())
    c.result = it->dump(-1, ' ', false, json::error_handler_t::replace);
  return c;
}

json guest_report_json(const VmGuest& g) {
  if (g.unparsed) return {{"unparsed", *g.unparsed}};
  if (g.summary) return run_summary_to_json(*g.summary);
  if (g.cmd) return cmd_json(*g.cmd);
  return nullptr;
}

json report_json(const VmReport& r) {
  json j = {
      {"schema", r.schema},
      {"name", r.name},
      {"scenario", or_null(r.scenario)},
      {"scenario_args", r.scenario_args},
      {"guest_cmd", or_null(r.guest_cmd)},
      {"started_at", r.started_at},
      {"outcome", r.outcome},
      {"outcome_reason", r.outcome_reason},
      {"session", r.session},
      {"kernel", {{"release", r.kernel.release}, {"package", or_null(r.kernel.package)}, {"image", r.kernel.image}}},
      {"machine", {{"accel", r.machine.accel}, {"accel_reason", r.machine.accel_reason},
                   {"mem_bytes", r.machine.mem_bytes}, {"cpus", r.machine.cpus}, {"disk", r.machine.disk},
                   {"watchdog", r.machine.watchdog}, {"qemu_argv", r.machine.qemu_argv}}},
      {"timing", {{"boot_ms", r.timing.boot_ms}, {"guest_uptime_at_init_s", r.timing.guest_uptime_at_init_s},
                  {"elapsed_ms", r.timing.elapsed_ms}, {"timeout_ms", r.timing.timeout_ms},
                  {"stall_timeout_ms", r.timing.stall_timeout_ms}}},
      {"end", {{"how", r.end.how}, {"qemu_exit_code", r.end.qemu_exit_code}, {"sysrq_sent", r.end.sysrq_sent},
               {"qemu_stderr", r.end.qemu_stderr}}},
      {"guest", {{"exit_code", or_null(r.guest.exit_code)}, {"report", guest_report_json(r.guest)},
                 {"files", r.guest.files}}},
      {"initramfs", {{"image", r.initramfs.image}, {"from_cache", r.initramfs.from_cache},
                     {"bytes", r.initramfs.bytes}, {"binaries", r.initramfs.binaries},
                     {"libraries", r.initramfs.libraries}}},
      {"verdict", {{"class", or_null(r.verdict.cls)}, {"title", or_null(r.verdict.title)},
                   {"from", or_null(r.verdict.from)}, {"note", or_null(r.verdict.note)}}},
      {"console_verdict", verdict_to_json(r.console_verdict)},
  };
  if (r.rootfs) {
    const VmRootfs& f = *r.rootfs;
    j["rootfs"] = {{"kind", f.kind}, {"image", f.image}, {"from_cache", f.from_cache}, {"bytes", f.bytes},
                   {"tree", f.tree}, {"tree_from_cache", f.tree_from_cache}, {"packages", f.packages},
                   {"oomlab_from", f.oomlab_from}, {"watchdog_unit", f.watchdog_unit},
                   {"watchdog_config", f.watchdog_config},
                   {"watchdog_config_from_example", f.watchdog_config_from_example}};
  }
  if (r.systemd) j["systemd"] = systemd_json(*r.systemd);
  return j;
}

}  // namespace

std::string encode_vm_report(const VmReport& r) {
  return report_json(r).dump(2, ' ', false, json::error_handler_t::replace) + "\n";
}

std::string encode_vm_guest_report(const VmGuest& g, int indent) {
  return guest_report_json(g).dump(indent, ' ', false, json::error_handler_t::replace);
}

std::optional<VmSystemdState> decode_vm_systemd_state(std::string_view text) {
  json j = json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return std::nullopt;
  return state_of(j);
}

std::optional<VmGuestCmd> decode_vm_guest_cmd(std::string_view text) {
  json j = json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return std::nullopt;
  return cmd_of(j);
}

std::optional<VmReport> decode_vm_report(std::string_view text, std::string* why) {
  auto fail = [&](std::string what) -> std::optional<VmReport> {
    if (why) *why = std::move(what);
    return std::nullopt;
  };
  json j = json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return fail("not a JSON object");
  if (auto bad = schema_problem(j, kVmReportSchema)) return fail(*bad);
  VmReport r;
  r.schema = get<std::string>(j, "schema");
  r.name = get<std::string>(j, "name"), r.scenario = get<std::string>(j, "scenario");
  r.scenario_args = list_of<std::string>(j, "scenario_args");
  r.guest_cmd = get<std::string>(j, "guest_cmd"), r.started_at = get<std::string>(j, "started_at");
  r.outcome = get<std::string>(j, "outcome"), r.outcome_reason = get<std::string>(j, "outcome_reason");
  r.session = get<std::string>(j, "session");
  const json& k = object(j, "kernel");
  r.kernel = {get<std::string>(k, "release"), get<std::string>(k, "package"), get<std::string>(k, "image")};
  const json& m = object(j, "machine");
  r.machine.accel = get<std::string>(m, "accel"), r.machine.accel_reason = get<std::string>(m, "accel_reason");
  r.machine.mem_bytes = get<std::uint64_t>(m, "mem_bytes"), r.machine.cpus = get<int>(m, "cpus");
  r.machine.disk = get<bool>(m, "disk"), r.machine.watchdog = get<bool>(m, "watchdog");
  r.machine.qemu_argv = list_of<std::string>(m, "qemu_argv");
  const json& t = object(j, "timing");
  r.timing.boot_ms = get<std::int64_t>(t, "boot_ms", -1);
  r.timing.guest_uptime_at_init_s = get<double>(t, "guest_uptime_at_init_s", -1);
  r.timing.elapsed_ms = get<std::int64_t>(t, "elapsed_ms"), r.timing.timeout_ms = get<std::int64_t>(t, "timeout_ms");
  r.timing.stall_timeout_ms = get<std::int64_t>(t, "stall_timeout_ms");
  const json& e = object(j, "end");
  r.end.how = get<std::string>(e, "how"), r.end.qemu_exit_code = get<int>(e, "qemu_exit_code", -1);
  r.end.sysrq_sent = list_of<std::string>(e, "sysrq_sent"), r.end.qemu_stderr = get<std::string>(e, "qemu_stderr");
  const json& g = object(j, "guest");
  r.guest.exit_code = opt<int>(g, "exit_code");
  r.guest.files = list_of<std::string>(g, "files");
  const json& rep = object(g, "report");
  if (auto u = opt<std::string>(rep, "unparsed")) r.guest.unparsed = *u;
  else if (g.contains("report") && g["report"].is_object()) {
    if (r.guest_cmd.empty()) r.guest.summary = run_summary_from_json(rep);
    else r.guest.cmd = cmd_of(rep);
  }
  const json& i = object(j, "initramfs");
  r.initramfs.image = get<std::string>(i, "image"), r.initramfs.from_cache = get<bool>(i, "from_cache");
  r.initramfs.bytes = get<std::uint64_t>(i, "bytes"), r.initramfs.binaries = get<std::string>(i, "binaries");
  r.initramfs.libraries = list_of<std::string>(i, "libraries");
  const json& v = object(j, "verdict");
  r.verdict = {get<std::string>(v, "class"), get<std::string>(v, "title"), get<std::string>(v, "from"),
               get<std::string>(v, "note")};
  if (auto cv = j.find("console_verdict"); cv != j.end() && cv->is_object()) r.console_verdict = verdict_from_json(*cv);
  if (auto f = j.find("rootfs"); f != j.end() && f->is_object()) {
    VmRootfs x;
    x.kind = get<std::string>(*f, "kind"), x.image = get<std::string>(*f, "image");
    x.from_cache = get<bool>(*f, "from_cache"), x.bytes = get<std::uint64_t>(*f, "bytes");
    x.tree = get<std::string>(*f, "tree"), x.tree_from_cache = get<bool>(*f, "tree_from_cache");
    x.packages = list_of<std::string>(*f, "packages"), x.oomlab_from = get<std::string>(*f, "oomlab_from");
    x.watchdog_unit = get<std::string>(*f, "watchdog_unit"), x.watchdog_config = get<std::string>(*f, "watchdog_config");
    x.watchdog_config_from_example = get<bool>(*f, "watchdog_config_from_example");
    r.rootfs = x;
  }
  if (auto s = j.find("systemd"); s != j.end() && s->is_object()) r.systemd = systemd_of(*s);
  return r;
}

}  // namespace oomlab::formats
