// The tracer's text lines (docs/FORMATS.md "Tracer (BPF) lines") and their
// JSON twins. Text functions return the line body; writers prepend
// line_prefix() ("oomlab-tracer[PID]: ") or their own.
#pragma once
#include <cstdint>
#include <nlohmann/json_fwd.hpp>
#include <string>

#include "oomlab/tracer/events.hpp"
#include "oomlab/tracer/gfp.hpp"

namespace oomlab::tracer {

std::string line_prefix();  // "oomlab-tracer[<getpid()>]: "

// "COMM(TID)"
std::string format_task(const TaskId& t);
// "reclaim: COMM(TID) kind=memcg gfp=0xcc0(GFP_KERNEL) order=0 delay=12ms"
std::string format_reclaim(const ReclaimEpisode& r, const GfpTable& gfp);
// "lockwait: COMM(TID) waits mmap_lock write 12000ms; held for read by COMM(TID), COMM(TID)"
std::string format_lockwait(const LockWait& w);
// "victim: COMM(PID) marked=+Nms reaped=+Nms|skipped|- exited=+Nms|-": marked
// counts from origin_ns (the tracer's start), the others from marked.
std::string format_victim(const VictimTimeline& v, std::int64_t origin_ns);
// A victim that has not exited yet, measured at now_ns: format_victim() plus
// " pending=Nms", the time since mark_victim.
std::string format_pending_victim(const VictimTimeline& v, std::int64_t origin_ns, std::int64_t now_ns);

nlohmann::json to_json(const ReclaimEpisode& r, const GfpTable& gfp);
nlohmann::json to_json(const LockWait& w);
nlohmann::json to_json(const OomEvent& e);
nlohmann::json to_json(const VictimTimeline& v);
// to_json(v) plus "pending_ns": the time since mark_victim at now_ns.
nlohmann::json to_json_pending(const VictimTimeline& v, std::int64_t now_ns);
nlohmann::json to_json(const Snapshot& s, const GfpTable& gfp);
nlohmann::json to_json(const Event& e, const GfpTable& gfp);

}  // namespace oomlab::tracer
