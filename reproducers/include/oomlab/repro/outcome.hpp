// Turning a timeline into a verdict on the run. Pure functions: the tests
// feed them synthetic timelines.
#pragma once
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "oomlab/repro/timeline.hpp"

namespace oomlab::repro {

enum class OutcomeClass {
  livelock,               // stalled >= the threshold until the end: no OOM kill resolved it
  stalled_then_resolved,  // a stall >= the threshold that ended before the run did
  oom_resolved,           // OOM kill(s) that freed a substantial share of the group, no long stall
  oom_ineffective,        // OOM kill(s), none freed a substantial share: the memory stays charged
  no_oom,                 // neither kills nor a long stall
};
std::string_view outcome_name(OutcomeClass c);

// Exit codes of `oomlab-repro run` (also in --help and the README).
namespace exit_code {
inline constexpr int oom_resolved = 0;
inline constexpr int livelock = 1;
inline constexpr int usage = 2;
inline constexpr int stalled_then_resolved = 3;
inline constexpr int no_oom = 4;
inline constexpr int cannot_run = 5;   // refused or skipped: no memory cgroup, requirement unmet
inline constexpr int failed = 6;       // the run itself failed (cgroup error, fork, report write)
inline constexpr int oom_ineffective = 7;
inline constexpr int interrupted = 130;
}  // namespace exit_code
int exit_code_for(OutcomeClass c);

struct Stall {
  std::int64_t start_ms = 0;
  std::int64_t end_ms = 0;  // last stalled sample
  bool ongoing = false;     // still stalled at the end of the run
  std::int64_t length_ms() const { return end_ms - start_ms; }
};

// A sample counts as stalled when the group's tasks were stalled on memory
// (PSI "some", from the totals) for at least `psi_share` of the trailing
// kStallWindowMs - a window smooths the 100 ms samples without the lag of
// the kernel's avg10. Without PSI: D-state tasks in a group at >= 90% of a
// limit that is being hit.
inline constexpr std::int64_t kStallWindowMs = 1000;
inline constexpr double kDefaultStallShare = 0.25;
// Share of the window ending at samples[i] (-1 without PSI totals).
double psi_window_share(const std::vector<Sample>& samples, std::size_t i);
bool sample_stalled(const std::vector<Sample>& samples, std::size_t i, double psi_share = kDefaultStallShare);
std::vector<Stall> find_stalls(const std::vector<Sample>& samples, double psi_share = kDefaultStallShare);

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
};
Outcome classify(const std::vector<Sample>& samples, std::vector<OomKill>& kills,
                 std::chrono::milliseconds stall_threshold, double psi_share = kDefaultStallShare);

}  // namespace oomlab::repro
