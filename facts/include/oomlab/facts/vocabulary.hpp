// The words every tool uses for what happened: the outcome of a run (the
// runner's report.json, its exit code, the VM harness, the peers bench),
// who killed and why (the watchdog's kill reasons). One list each, here.
#pragma once
#include <optional>
#include <string>
#include <string_view>
#include <sys/types.h>

namespace oomlab::facts {

// The outcome of a run (docs/FORMATS.md "report.json"; reproducers/RUNNER.md).
enum class Outcome {
  livelock,               // no progress for >= the threshold until the end of the run
  stalled_then_resolved,  // a stall >= the threshold that ended by itself or by a kernel OOM kill
  rescued,                // a stall >= the threshold that oomlab-watchdog's kill ended
  oom_resolved,           // OOM kill(s) that freed a substantial share of the group, no long stall
  oom_ineffective,        // OOM kill(s), none freed a substantial share: the memory stays charged
  no_oom,                 // neither kills nor a long stall
};
std::string_view outcome_name(Outcome o);
std::optional<Outcome> outcome_from_name(std::string_view name);

// The oomlab-analyze verdict classes (analyzer/README.md; FORMATS.md), most
// severe first (DESIGN.md's order; oom_ineffective after silent_hang): the
// analyzer's findings and verdict, a run's one verdict (run_verdict.hpp),
// the VM harness. The order is the severity order: the analyzer sorts by it.
enum class VerdictClass {
  oom_livelock,
  oom_reaper_failed,
  silent_hang,
  oom_ineffective,
  hung_task,
  soft_lockup,
  rcu_stall,
  crash,
  warning,
  allocation_stall,
  oom_resolved,
  clean,
};
const char* verdict_class_name(VerdictClass c);
std::optional<VerdictClass> verdict_class_from_name(std::string_view name);

// The oomlab-analyze verdict class (analyzer/README.md) that tells the same
// story as a run's outcome, so a harness whose log cannot show a stall (a
// memory.high throttle prints nothing to the kernel log) still gives one
// verdict that agrees with the outcome: livelock -> silent_hang (no progress
// to the end, no OOM kill ended it), or oom_livelock when the stall is a
// kernel OOM victim that does not exit (victim_stuck); stalled_then_resolved
// and rescued -> allocation_stall (a stall that ended); oom_resolved,
// oom_ineffective -> the same word; no_oom -> clean.
std::string_view verdict_class_for(Outcome o, bool victim_stuck = false);

// `oomlab-repro run` exit codes (stable: scripts depend on them; rescued
// is new and got the next free number).
namespace exit_code {
inline constexpr int oom_resolved = 0;
inline constexpr int livelock = 1;
inline constexpr int usage = 2;
inline constexpr int stalled_then_resolved = 3;
inline constexpr int no_oom = 4;
inline constexpr int cannot_run = 5;   // refused or skipped: no memory cgroup, requirement unmet
inline constexpr int failed = 6;       // the run itself failed (cgroup error, fork, report write)
inline constexpr int oom_ineffective = 7;
inline constexpr int rescued = 8;
inline constexpr int interrupted = 130;
}  // namespace exit_code
int exit_code_for(Outcome o);

// Why oomlab-watchdog killed (the reason= of its kill: line).
//   stall_timeout   a task stalled past --kill-after
//   pressure        a watched group's memory PSI stayed above --pressure-above
//   victim_timeout  an OOM victim (the kernel's) did not exit within --kill-after
//   escalation      the previous kill did not end the stall within --escalate-after
//   cgroup_kill     every unprotected process of the group (escalate: lines)
//   holder          it keeps open shmem files or pipes that repeated OOM kills did not free
//   respawner       its children, killed by OOM kills in its group, were each replaced by a new child that took the memory back
namespace kill_reason {
inline constexpr const char kStallTimeout[] = "stall_timeout";
inline constexpr const char kPressure[] = "pressure";
inline constexpr const char kVictimTimeout[] = "victim_timeout";
inline constexpr const char kEscalation[] = "escalation";
inline constexpr const char kCgroupKill[] = "cgroup_kill";
inline constexpr const char kHolder[] = "holder";
inline constexpr const char kRespawner[] = "respawner";
}  // namespace kill_reason
inline constexpr const char* kKillReasons[] = {kill_reason::kStallTimeout, kill_reason::kPressure,
                                               kill_reason::kVictimTimeout, kill_reason::kEscalation,
                                               kill_reason::kCgroupKill, kill_reason::kHolder,
                                               kill_reason::kRespawner};
bool is_kill_reason(std::string_view reason);

// A kill as every tool records it: who, when, by whom.
enum class Killer { kernel, watchdog };
const char* killer_name(Killer k);  // "the kernel", "oomlab-watchdog"
struct KillEvent {
  std::int64_t t_ms = 0;  // on the caller's clock (the run's: ms since the workload started)
  pid_t pid = 0;
  std::string comm;
  Killer by = Killer::kernel;
  std::string reason;     // the watchdog's kill reason; "" for the kernel
};

}  // namespace oomlab::facts
