// One run of one scenario under one guard, reduced to the figures the
// comparison needs. Pure: the inputs are oomlab-repro's report.json, the
// guard's announced kills and its measured cost, so the tests can feed
// synthetic runs.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "guard_probe.hpp"
#include "oomlab/formats/peers_runs.hpp"
#include "oomlab/formats/report.hpp"
#include "guards.hpp"

namespace oomlab::peers {

// The processes whose death ends the scenario's stall (the hog, the lock
// holder, the holder of unreclaimable memory). Killing anything else - the
// processes that merely suffer, or something outside the workload - is the
// wrong choice.
std::vector<std::string> right_victims(std::string_view scenario);

// One run's figures: a row of runs.json (formats/peers_runs.hpp, its one codec).
using KillEvent = formats::PeersKill;
using RunResult = formats::PeersRun;

inline constexpr std::int64_t kBlockedMs = 1000;
inline constexpr double kStallShare = 0.25;  // PSI "some" share over 1 s, as oomlab-repro

// "2026-11-23T10:15:00.123Z" -> ms since the epoch.
std::optional<std::int64_t> parse_iso8601_ms(std::string_view text);

// Which timeline samples count as "no progress": PSI some share >= 25% over
// the trailing second; without PSI, D-state tasks in two consecutive samples.
std::vector<bool> stalled_samples(const std::vector<formats::ReportSample>& timeline);

// `report`: oomlab-repro's report.json, decoded (formats/report.hpp).
RunResult measure_run(const formats::Report& report, GuardKind guard, const std::vector<GuardKill>& guard_kills,
                      std::optional<std::int64_t> guard_started_realtime_ms, const GuardCost& cost);

}  // namespace oomlab::peers
