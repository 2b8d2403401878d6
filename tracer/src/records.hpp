// Conversion of the BPF side's raw records (bpf/stall_events.h) into the
// library's types. No libbpf here: unit tests feed it hand-made records.
#pragma once
#include "../bpf/stall_events.h"
#include "oomlab/tracer/events.hpp"

namespace oomlab::tracer {

TaskId to_task(const stall_task_id& id);
LockHolders to_holders(const stall_holders& h);
// Event from a ring buffer record; nullopt for an unknown type.
std::optional<Event> to_event(const stall_event& e);
TaskReclaim to_task_reclaim(const stall_reclaim_task& r);
LockWait to_ongoing_wait(const stall_lock_waiter& w, const stall_holders* now, std::int64_t now_ns);
MmLockStats to_mm_stats(std::uint64_t mm, const stall_mm_state& s);
Totals to_totals(const stall_totals& t);

}  // namespace oomlab::tracer
