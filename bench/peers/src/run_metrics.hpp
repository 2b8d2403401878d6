// One run of one scenario under one guard, reduced to the figures the
// comparison needs. Pure: the inputs are oomlab-repro's report.json, the
// guard's announced kills and its measured cost, so the tests can feed
// synthetic runs.
#pragma once
#include <cstdint>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "guard_probe.hpp"
#include "guards.hpp"

namespace oomlab::peers {

// The processes whose death ends the scenario's stall (the hog, the lock
// holder, the holder of unreclaimable memory). Killing anything else - the
// processes that merely suffer, or something outside the workload - is the
// wrong choice.
std::vector<std::string> right_victims(std::string_view scenario);

struct KillEvent {
  std::int64_t t_ms = 0;  // since the workload started
  std::string by;         // "kernel" or the guard's name
  int pid = 0;
  std::string comm;
  bool right = false;
  std::optional<std::int64_t> freed_ms;  // kill to memory freed
};

struct RunResult {
  std::string scenario, guard;
  int run = 0;
  std::string outcome;          // oomlab-repro's class
  std::int64_t duration_ms = 0; // of the workload (last sample)
  std::optional<std::int64_t> guard_ready_ms;  // guard started, since the workload started
  std::optional<std::int64_t> first_stall_ms;
  std::optional<std::int64_t> first_kill_ms;
  std::optional<std::int64_t> stall_to_kill_ms;
  std::optional<std::int64_t> kill_to_freed_ms;  // of the first kill
  std::int64_t no_progress_ms = 0;
  bool stalled_at_end = false;
  bool right_victim = false;    // the first kill hit a process of right_victims()
  bool hit = false;             // right first victim and no stall left at the end
  std::vector<KillEvent> kills;
  GuardCost cost;
  bool guard_blocked = false;   // a guard thread in D for >= kBlockedMs
  std::string error;            // why the run has no figures (repro refused, crashed)
  std::vector<std::string> guard_tail;  // the guard's last lines (what it saw and did)
};

inline constexpr std::int64_t kBlockedMs = 1000;
inline constexpr double kStallShare = 0.25;  // PSI "some" share over 1 s, as oomlab-repro

// "2026-11-23T10:15:00.123Z" -> ms since the epoch.
std::optional<std::int64_t> parse_iso8601_ms(std::string_view text);

// Which timeline samples count as "no progress": PSI some share >= 25% over
// the trailing second; without PSI, D-state tasks in two consecutive samples.
std::vector<bool> stalled_samples(const nlohmann::json& timeline);

RunResult measure_run(const nlohmann::json& report, GuardKind guard, const std::vector<GuardKill>& guard_kills,
                      std::optional<std::int64_t> guard_started_realtime_ms, const GuardCost& cost);

nlohmann::json to_json(const RunResult& r);
RunResult run_from_json(const nlohmann::json& j);

}  // namespace oomlab::peers
