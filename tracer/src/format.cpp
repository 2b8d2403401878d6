#include "oomlab/tracer/format.hpp"

#include <cstdio>
#include <nlohmann/json.hpp>
#include <unistd.h>

namespace oomlab::tracer {
namespace {

using nlohmann::json;

long long to_ms(nanoseconds d) { return static_cast<long long>(d.count() / 1000000); }

std::string hex(std::uint64_t v) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "0x%llx", static_cast<unsigned long long>(v));
  return buf;
}

std::string relative_ms(std::optional<std::int64_t> t, std::int64_t from) {
  if (!t) return "-";
  long long ms = (*t - from) / 1000000;
  return "+" + std::to_string(ms < 0 ? 0 : ms) + "ms";
}

json task_json(const TaskId& t) { return json{{"comm", t.comm}, {"tid", t.tid}, {"tgid", t.tgid}}; }

json holders_json(const LockHolders& h) {
  json j = {{"mode", h.writer ? "write" : (h.readers.empty() && !h.unnamed_readers ? "unknown" : "read")}};
  json tasks = json::array();
  if (h.writer) tasks.push_back(task_json(*h.writer));
  else
    for (const auto& r : h.readers) tasks.push_back(task_json(r));
  j["tasks"] = tasks;
  j["more"] = h.writer ? 0 : h.unnamed_readers;
  return j;
}

json optional_after(std::optional<std::int64_t> t, std::int64_t from) {
  return t ? json(*t - from) : json(nullptr);
}

}  // namespace

std::string line_prefix() { return "oomlab-tracer[" + std::to_string(getpid()) + "]: "; }

std::string format_task(const TaskId& t) {
  return (t.comm.empty() ? std::string("?") : t.comm) + "(" + std::to_string(t.tid) + ")";
}

std::string format_reclaim(const ReclaimEpisode& r, const GfpTable& gfp) {
  return "reclaim: " + format_task(r.task) + " kind=" + to_string(r.kind) + " gfp=" + gfp.format(r.gfp) +
         " order=" + std::to_string(r.order) + " delay=" + std::to_string(to_ms(r.delay)) + "ms";
}

std::string format_lockwait(const LockWait& w) {
  std::string line = "lockwait: " + format_task(w.task) + " waits mmap_lock " + (w.write ? "write " : "read ") +
                     std::to_string(to_ms(w.wait)) + "ms";
  if (w.ongoing) line += " ongoing";
  else if (!w.acquired) line += " killed";
  const LockHolders& h = w.holders;
  if (h.writer) return line + "; held for write by " + format_task(*h.writer);
  if (h.readers.empty() && h.unnamed_readers == 0) return line + "; holder unknown";
  line += "; held for read by ";
  for (std::size_t i = 0; i < h.readers.size(); i++) line += (i ? ", " : "") + format_task(h.readers[i]);
  if (h.unnamed_readers) line += (h.readers.empty() ? "" : " ") + std::string("+") + std::to_string(h.unnamed_readers) + " more";
  return line;
}

std::string format_victim(const VictimTimeline& v, std::int64_t origin_ns) {
  std::string reaped = v.reaped_ns ? relative_ms(v.reaped_ns, v.marked_ns) : v.skipped_ns ? "skipped" : "-";
  return "victim: " + format_task(v.victim) + " marked=" + relative_ms(v.marked_ns, origin_ns) + " reaped=" + reaped +
         " exited=" + relative_ms(v.exited_ns, v.marked_ns);
}

json to_json(const ReclaimEpisode& r, const GfpTable& gfp) {
  json j = task_json(r.task);
  j["type"] = "reclaim";
  j["kind"] = to_string(r.kind);
  j["gfp"] = hex(r.gfp);
  j["gfp_flags"] = gfp.names(r.gfp);
  j["order"] = r.order;
  j["delay_ns"] = r.delay.count();
  j["nr_reclaimed"] = r.nr_reclaimed;
  j["ts_ns"] = r.end_ns;
  return j;
}

json to_json(const LockWait& w) {
  json j = task_json(w.task);
  j["type"] = "lockwait";
  j["mode"] = w.write ? "write" : "read";
  j["wait_ns"] = w.wait.count();
  j["ongoing"] = w.ongoing;
  j["acquired"] = w.acquired;
  j["mm"] = hex(w.mm);
  j["holders"] = holders_json(w.holders);
  j["ts_ns"] = w.ts_ns;
  return j;
}

json to_json(const OomEvent& e) {
  json j = task_json(e.victim);
  j["type"] = "oom";
  j["stage"] = to_string(e.stage);
  j["ts_ns"] = e.ts_ns;
  return j;
}

std::string format_pending_victim(const VictimTimeline& v, std::int64_t origin_ns, std::int64_t now_ns) {
  long long ms = (now_ns - v.marked_ns) / 1000000;
  return format_victim(v, origin_ns) + " pending=" + std::to_string(ms < 0 ? 0 : ms) + "ms";
}

json to_json_pending(const VictimTimeline& v, std::int64_t now_ns) {
  json j = to_json(v);
  j["pending_ns"] = now_ns > v.marked_ns ? now_ns - v.marked_ns : 0;
  return j;
}

json to_json(const VictimTimeline& v) {
  json j = task_json(v.victim);
  j["type"] = "victim";
  j["marked_ns"] = v.marked_ns;
  j["reaper_woken_after_ns"] = optional_after(v.reaper_woken_ns, v.marked_ns);
  j["reap_start_after_ns"] = optional_after(v.reap_start_ns, v.marked_ns);
  j["reaped_after_ns"] = optional_after(v.reaped_ns, v.marked_ns);
  j["skipped_after_ns"] = optional_after(v.skipped_ns, v.marked_ns);
  j["exited_after_ns"] = optional_after(v.exited_ns, v.marked_ns);
  return j;
}

json to_json(const Event& e, const GfpTable& gfp) {
  if (auto* r = std::get_if<ReclaimEpisode>(&e)) return to_json(*r, gfp);
  if (auto* w = std::get_if<LockWait>(&e)) return to_json(*w);
  return to_json(std::get<OomEvent>(e));
}

json to_json(const Snapshot& s, const GfpTable& gfp) {
  json j = {{"type", "snapshot"}, {"ts_ns", s.taken_ns}, {"lock_tracing", s.lock_tracing}};
  json reclaim = json::array();
  for (const auto& r : s.reclaim) {
    json t = task_json(r.task);
    t["count"] = r.count;
    t["total_ns"] = r.total.count();
    t["longest_ns"] = r.longest.count();
    t["longest_gfp"] = gfp.format(r.longest_gfp);
    t["longest_order"] = r.longest_order;
    t["longest_kind"] = to_string(r.longest_kind);
    if (r.current)
      t["current"] = {{"kind", to_string(r.current->kind)}, {"gfp", gfp.format(r.current->gfp)},
                      {"order", r.current->order}, {"for_ns", s.taken_ns - r.current->since_ns}};
    reclaim.push_back(t);
  }
  j["reclaim"] = reclaim;
  json waits = json::array();
  for (const auto& w : s.lock_waits) waits.push_back(to_json(w));
  j["lock_waits"] = waits;
  json mms = json::array();
  for (const auto& m : s.mms)
    mms.push_back({{"mm", hex(m.mm)},
                   {"read_waits", m.waits[0]}, {"read_wait_ns", m.wait_total[0].count()},
                   {"read_longest_ns", m.longest_wait[0].count()},
                   {"write_waits", m.waits[1]}, {"write_wait_ns", m.wait_total[1].count()},
                   {"write_longest_ns", m.longest_wait[1].count()},
                   {"holders", holders_json(m.holders)}});
  j["mms"] = mms;
  json victims = json::array();
  for (const auto& v : s.victims) victims.push_back(to_json(v));
  j["victims"] = victims;
  const Totals& t = s.totals;
  j["totals"] = {{"direct_reclaims", t.reclaim_count[0]}, {"direct_reclaim_ns", t.reclaim_total[0].count()},
                 {"memcg_reclaims", t.reclaim_count[1]}, {"memcg_reclaim_ns", t.reclaim_total[1].count()},
                 {"lock_waits", t.lock_waits}, {"lock_wait_ns", t.lock_wait_total.count()},
                 {"oom_victims", t.oom_victims}, {"dropped", t.dropped}, {"missed", t.missed}};
  return j;
}

}  // namespace oomlab::tracer
