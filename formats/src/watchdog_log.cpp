#include "oomlab/formats/watchdog_log.hpp"

#include <utility>

#include <nlohmann/json.hpp>

#include "json_field.hpp"

namespace oomlab::formats {
namespace {

using json = nlohmann::json;
using detail::get;

json payload_json(const WdPayload& p) {
  struct V {
    json operator()(const std::monostate&) const { return json::object(); }
    json operator()(const WdInfo& i) const {
      return {{"stalling", i.stalling}, {"dying", i.dying}, {"exiting", i.exiting},
              {"victim", i.victim},     {"oom_count", i.oom_count}, {"stale", i.stale}};
    }
    json operator()(const WdTask& t) const {
      json j{{"comm", t.comm},         {"tid", t.tid},       {"tgid", t.tgid},     {"state", t.state},
             {"kind", t.kind},         {"delay_ms", t.delay_ms}, {"wchan", t.wchan}, {"cgroup", t.cgroup},
             {"rss_kb", t.rss_kb},     {"dying", t.dying},   {"exiting", t.exiting}, {"victim", t.victim}};
      if (!t.delays_ms.empty())
        for (const auto& [k, v] : t.delays_ms) j["delays_ms"][k] = v;
      if (!t.evidence.empty()) j["evidence"] = t.evidence;
      return j;
    }
    json operator()(const WdWarn& w) const {
      return {{"tid", w.tid}, {"comm", w.comm}, {"delay_ms", w.delay_ms}, {"cgroup", w.cgroup}};
    }
    json operator()(const WdKill& k) const {
      return {{"pid", k.pid},       {"comm", k.comm},     {"cgroup", k.cgroup},  {"rss_kb", k.rss_kb},
              {"oom_score_adj", k.oom_score_adj}, {"reason", k.reason}, {"dry_run", k.dry_run}};
    }
    json operator()(const WdKilled& k) const {
      return {{"pid", k.pid},
              {"comm", k.comm},
              {"kill_to_exit_ms", k.kill_to_exit_ms},
              {"kill_to_freed_ms", k.kill_to_freed_ms},
              {"freed_kb", k.freed_kb},
              {"reap_error", k.reap_error},
              {"closed_after_ms", k.closed_after_ms},
              {"freed_by", k.freed_by}};
    }
    json operator()(const WdEscalate& e) const { return {{"cgroup", e.cgroup}, {"reason", e.reason}}; }
    json operator()(const WdKmsgSummary& s) const { return {{"withheld", s.withheld}, {"period_ms", s.period_ms}}; }
    json operator()(const WdHolder& h) const {
      return {{"cgroup", h.cgroup}, {"held_bytes", h.held_bytes}, {"files", h.files},        {"pipes", h.pipes},
              {"largest", h.largest}, {"holders", h.holders},   {"oom_kills", h.oom_kills}};
    }
    json operator()(const WdUnheld& u) const {
      json files = json::array();
      for (const auto& [path, bytes] : u.files) files.push_back({{"path", path}, {"bytes", bytes}});
      return {{"cgroup", u.cgroup}, {"oom_kills", u.oom_kills}, {"files", files}};
    }
  };
  return std::visit(V{}, p);
}

WdPayload payload_of(const std::string& type, const json& j) {
  if (type == "memalloc_info")
    return WdInfo{get(j, "stalling", 0), get(j, "dying", 0), get(j, "exiting", 0), get(j, "victim", 0),
                  get<std::uint64_t>(j, "oom_count", 0), get(j, "stale", false)};
  if (type == "memalloc") {
    WdTask t;
    t.comm = get<std::string>(j, "comm", ""), t.tid = get<pid_t>(j, "tid", 0), t.tgid = get<pid_t>(j, "tgid", 0);
    t.state = get<std::string>(j, "state", ""), t.kind = get<std::string>(j, "kind", "");
    t.delay_ms = get<std::int64_t>(j, "delay_ms", 0), t.wchan = get<std::string>(j, "wchan", "");
    t.cgroup = get<std::string>(j, "cgroup", ""), t.rss_kb = get<std::uint64_t>(j, "rss_kb", 0);
    t.dying = get(j, "dying", false), t.exiting = get(j, "exiting", false), t.victim = get(j, "victim", false);
    if (auto it = j.find("delays_ms"); it != j.end() && it->is_object())
      for (const auto& [k, v] : it->items())
        if (v.is_number_unsigned() || v.is_number_integer()) t.delays_ms.emplace_back(k, v.get<std::uint64_t>());
    t.evidence = get<std::string>(j, "evidence", "");
    return t;
  }
  if (type == "warn")
    return WdWarn{get<pid_t>(j, "tid", 0), get<std::string>(j, "comm", ""), get<std::int64_t>(j, "delay_ms", 0),
                  get<std::string>(j, "cgroup", "")};
  if (type == "kill")
    return WdKill{get<pid_t>(j, "pid", 0),         get<std::string>(j, "comm", ""), get<std::string>(j, "cgroup", ""),
                  get<std::uint64_t>(j, "rss_kb", 0), get(j, "oom_score_adj", 0),  get<std::string>(j, "reason", ""),
                  get(j, "dry_run", false)};
  if (type == "killed") {
    WdKilled k;
    k.pid = get<pid_t>(j, "pid", 0), k.comm = get<std::string>(j, "comm", "");
    k.kill_to_exit_ms = get<std::int64_t>(j, "kill_to_exit_ms", -1);
    k.kill_to_freed_ms = get<std::int64_t>(j, "kill_to_freed_ms", -1);
    k.freed_kb = get<std::int64_t>(j, "freed_kb", -1), k.reap_error = get(j, "reap_error", -1);
    k.closed_after_ms = get<std::int64_t>(j, "closed_after_ms", 0), k.freed_by = get<std::string>(j, "freed_by", "");
    return k;
  }
  if (type == "escalate") return WdEscalate{get<std::string>(j, "cgroup", ""), get<std::string>(j, "reason", "")};
  if (type == "kmsg_summary")
    return WdKmsgSummary{get<std::uint64_t>(j, "withheld", 0), get<std::int64_t>(j, "period_ms", 0)};
  if (type == "holder") {
    WdHolder h;
    h.cgroup = get<std::string>(j, "cgroup", ""), h.held_bytes = get<std::uint64_t>(j, "held_bytes", 0);
    h.files = get<std::uint64_t>(j, "files", 0), h.pipes = get<std::uint64_t>(j, "pipes", 0);
    h.largest = get<std::string>(j, "largest", ""), h.oom_kills = get<std::uint64_t>(j, "oom_kills", 0);
    if (auto it = j.find("holders"); it != j.end() && it->is_array())
      for (const auto& v : *it)
        if (v.is_number_integer()) h.holders.push_back(v.get<pid_t>());
    return h;
  }
  if (type == "unheld") {
    WdUnheld u;
    u.cgroup = get<std::string>(j, "cgroup", ""), u.oom_kills = get<std::uint64_t>(j, "oom_kills", 0);
    if (auto it = j.find("files"); it != j.end() && it->is_array())
      for (const auto& f : *it)
        if (f.is_object()) u.files.emplace_back(get<std::string>(f, "path", ""), get<std::uint64_t>(f, "bytes", 0));
    return u;
  }
  return std::monostate{};
}

}  // namespace

const std::string& payload_cgroup(const WdPayload& p) {
  static const std::string none;
  if (const auto* t = std::get_if<WdTask>(&p)) return t->cgroup;
  if (const auto* w = std::get_if<WdWarn>(&p)) return w->cgroup;
  if (const auto* k = std::get_if<WdKill>(&p)) return k->cgroup;
  if (const auto* e = std::get_if<WdEscalate>(&p)) return e->cgroup;
  if (const auto* h = std::get_if<WdHolder>(&p)) return h->cgroup;
  if (const auto* u = std::get_if<WdUnheld>(&p)) return u->cgroup;
  return none;
}

const char* payload_type(const WdPayload& p) {
  struct V {
    const char* operator()(const std::monostate&) const { return "note"; }
    const char* operator()(const WdInfo&) const { return "memalloc_info"; }
    const char* operator()(const WdTask&) const { return "memalloc"; }
    const char* operator()(const WdWarn&) const { return "warn"; }
    const char* operator()(const WdKill&) const { return "kill"; }
    const char* operator()(const WdKilled&) const { return "killed"; }
    const char* operator()(const WdEscalate&) const { return "escalate"; }
    const char* operator()(const WdKmsgSummary&) const { return "kmsg_summary"; }
    const char* operator()(const WdHolder&) const { return "holder"; }
    const char* operator()(const WdUnheld&) const { return "unheld"; }
  };
  return std::visit(V{}, p);
}

std::string encode_watchdog_record(const WatchdogRecord& r) {
  json j = payload_json(r.payload);
  j["type"] = r.type.empty() ? payload_type(r.payload) : r.type;
  j["time"] = r.time;
  j["mono_ms"] = r.mono_ms;
  j["priority"] = r.priority;
  j["line"] = r.line;
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::optional<WatchdogRecord> decode_watchdog_record(std::string_view line, std::string* why) {
  auto fail = [&](const char* what) -> std::optional<WatchdogRecord> {
    if (why) *why = what;
    return std::nullopt;
  };
  json j = json::parse(line, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return fail("not a JSON object");
  auto type = j.find("type");
  if (type == j.end() || !type->is_string()) return fail("no string \"type\"");
  auto mono = j.find("mono_ms");
  if (mono == j.end() || !mono->is_number_integer()) return fail("no integer \"mono_ms\"");
  WatchdogRecord r;
  r.type = type->get<std::string>();
  r.mono_ms = mono->get<std::int64_t>();
  r.time = get<std::string>(j, "time", "");
  r.priority = get(j, "priority", 6);
  r.line = get<std::string>(j, "line", "");
  r.payload = payload_of(r.type, j);
  return r;
}

std::string_view watchdog_line_body(const WatchdogRecord& r) {
  std::string_view l = r.line;
  std::size_t p = l.find("]: ");
  if (l.substr(0, 16) != "oomlab-watchdog[" || p == std::string_view::npos) return {};
  return l.substr(p + 3);
}

}  // namespace oomlab::formats
