// The verdict engine's parts, one per family of findings.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "oomlab/analyzer/model.hpp"
#include "oomlab/facts/stall.hpp"

namespace oomlab::analyzer {
class State;
void oom_findings(State& st, std::vector<Finding>& out);     // oom_verdict.cpp
void stall_findings(State& st, std::vector<Finding>& out);   // stall_verdict.cpp
// dump_stall.cpp: stalls that hung-task reports and sysrq dumps show, except
// over the spans (log ms) MemAlloc reports already told.
void dump_stall_findings(const State& st, const std::vector<std::pair<std::int64_t, std::int64_t>>& covered,
                         std::vector<Finding>& out);
// stall_verdict.cpp: a stall episode's start_ts, end_ts, duration_s, cause,
// wait and max_blocked details, the same for every stall finding.
void episode_details(const facts::StallEpisode& e, Finding& f);
// stall_verdict.cpp: what ended a stall ("watchdog_kill", "oom_kill",
// "recovered", ...) and, for a kill, whose (ended_by_pid/comm/ts/reason).
void ender_details(const std::string& ended_by, const facts::KillEvent* ender, Finding& f);

// victim_alive.cpp: the last line after `kill` that shows task `pid` still
// there (same pid and comm); how many times it was killed; the same task chosen again and again
// with no kill (oom_livelock findings).
std::optional<Where> seen_alive_after(State& st, const ProcRef& victim, const Where& kill);
int kills_of(const State& st, int pid);
void reselected_findings(State& st, std::vector<Finding>& out);
void dying_victim_findings(State& st, std::vector<Finding>& out);

// kill_loop.cpp: runs of memcg OOM kills that free nothing (oom_ineffective);
// the events of a run are marked in `consumed` (no oom_resolved of their own).
void kill_loop_findings(State& st, std::vector<Finding>& out, std::vector<bool>& consumed);

// verdict.cpp: what the kernel's hung-task blocker lines (6.15+) say about
// the finding's tasks: the lock a hung task waits for, named mmap_lock when
// that task waits from an mmap_lock frame; its likely owner becomes the
// "holder" (added when the finding does not list it yet).
void add_blockers(const State& st, Finding& f);
}  // namespace oomlab::analyzer
