// Turning a timeline into a verdict on the run. Pure functions: the tests
// feed them synthetic timelines.
#pragma once
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "oomlab/facts/psi.hpp"
#include "oomlab/facts/stall.hpp"
#include "oomlab/facts/vocabulary.hpp"
#include "oomlab/repro/timeline.hpp"

namespace oomlab::repro {

// The vocabulary and the exit codes are shared (facts/vocabulary.hpp): the
// VM harness and the peers bench read the same words.
using OutcomeClass = facts::Outcome;
using facts::exit_code_for;
using facts::outcome_name;
namespace exit_code = facts::exit_code;

// A stall episode of the shared model (facts/stall.hpp).
using Stall = facts::StallEpisode;

// The runner's samples through the shared stall model (facts/stall.hpp):
// memory PSI "some" (from the totals) for at least `psi_share` of the
// trailing kStallWindowMs - a window smooths the 100 ms samples without the
// lag of the kernel's avg10 -, tasks blocked in the same kind of memory wait
// (mmap_lock, reclaim, ...) in every sample for a second, a kernel OOM
// victim still alive a second after its kill; without PSI, D-state tasks in
// a group at >= 90% of a limit that is being hit.
inline constexpr std::int64_t kStallWindowMs = facts::kStallPsiWindow.window_ms;
inline constexpr double kDefaultStallShare = 0.25;
// Share of the window ending at samples[i] (-1 without PSI totals), by
// facts::psi_series_share over the samples that have PSI.
double psi_window_share(const std::vector<Sample>& samples, std::size_t i);
facts::ProgressSample progress_sample(const std::vector<Sample>& samples, std::size_t i);
facts::StallRules stall_rules(double psi_share = kDefaultStallShare);
bool sample_stalled(const std::vector<Sample>& samples, std::size_t i, double psi_share = kDefaultStallShare);
// kill_ms: when the run's kills happened (the kernel's and the watchdog's):
// a kill that ended an episode's blocked tasks closes it to the PSI share
// alone (facts/stall.hpp).
std::vector<Stall> find_stalls(const std::vector<Sample>& samples, double psi_share = kDefaultStallShare,
                               const std::vector<std::int64_t>& kill_ms = {});

// Fills OomKill::freed_ms from freed_at_ms, or else from the samples.
// The usage drop that counts as "freed" for a kill (see OomKill).
std::uint64_t freed_threshold_bytes(const OomKill& k, std::optional<std::uint64_t> limit_bytes);
void measure_kill_latency(const std::vector<Sample>& samples, std::vector<OomKill>& kills);

// Did a kill relieve the group? "Freed" above only says the victim's own
// pages came back; a kill in a group filled with shmem or pipe buffers frees
// those and nothing else, and the next allocation hits the limit again. A
// kill relieves the group when, within kReliefWindowMs, usage fell at least
// kReliefShare of the limit below the usage at the kill (the limit: a group
// OOM happens there) - i.e. to 80% of the limit or less. Measured here:
// shmem-fill (90% memfd) bottoms out at 91% after its kills, pipe-fill (85%
// in pipes) at 87%, a real victim (hog, dying-competition racer) takes
// usage to 35-75%. Without a limit: half the victim's anon RSS.
inline constexpr std::int64_t kReliefWindowMs = 1000;
inline constexpr double kReliefShare = 0.20;
std::uint64_t relief_threshold_bytes(const OomKill& k, std::optional<std::uint64_t> limit_bytes);
// Fills relief_bytes and relieved from low_usage_bytes and the samples.
void measure_kill_relief(const std::vector<Sample>& samples, std::vector<OomKill>& kills);

struct Outcome {
  OutcomeClass cls = OutcomeClass::no_oom;
  std::string reason;                          // one line for humans
  std::vector<Stall> stalls;
  std::optional<std::int64_t> kill_to_freed_ms;  // of the first kill that relieved the group
  // The stall the outcome is about (livelock, rescued, stalled_then_resolved)
  // and the kill that ended it (nullopt: it ended by itself, or did not end).
  std::optional<Stall> stall;
  std::string stall_cause;                     // describe_cause(): "up to 3 task(s) blocked on mmap_lock"
  std::optional<facts::KillEvent> ended_by;
};
// watchdog_kills: oomlab-watchdog's kills of the run (--watchdog, not dry
// runs), t_ms on the run's clock. A stall one of them ended makes the run
// `rescued` (whatever its length: the watchdog acted on it); the kernel's
// kills are `kills`.
Outcome classify(const std::vector<Sample>& samples, std::vector<OomKill>& kills,
                 std::chrono::milliseconds stall_threshold, double psi_share = kDefaultStallShare,
                 const std::vector<facts::KillEvent>& watchdog_kills = {});

}  // namespace oomlab::repro
