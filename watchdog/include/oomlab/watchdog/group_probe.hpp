// The idle watchdog's look at the groups it was told to watch (--scope,
// --watch-cgroup). Lock waits behind slow I/O (mmap_lock, a folio lock)
// stall a group without any memory PSI, so no PSI event wakes the loop for
// them; a system-wide daemon finds them at its safety scan, minutes late.
// So while the loop is idle, every --period it samples only those groups'
// own tasks (their cgroup.procs, then /proc/PID/stat, and wchan for blocked
// ones, exactly as a scan samples each task: never cmdline/maps/...) and
// asks for a full scan when one of them waits the way a stall does. A group
// of a dozen tasks costs a dozen stat reads per period; a system-wide daemon
// (no group named) does not probe at all and stays event-driven.
#pragma once
#include <cstdint>
#include <string>
#include <sys/types.h>
#include <utility>
#include <vector>

#include "oomlab/watchdog/task_sample.hpp"

namespace oomlab::watchdog {

// Appends the pids in the cgroup.procs of each directory and of its
// descendants (at most 256 directories, 8 levels deep), then sorts out and
// removes duplicates (a hybrid host lists the same processes in the v1
// memory group and its cgroup2 twin). No allocation once `out` has grown to
// the groups' size. Unreadable directories add nothing.
void list_group_pids(const std::vector<std::string>& dirs, std::vector<pid_t>& out);

// The directories to probe: the --scope group in the memory hierarchy
// (memory_root + scope, unless scope is "/") and the --watch-cgroup
// directories whose cgroup path is not already inside the scope.
// watched_cgroups[i] is watch_dirs[i]'s cgroup path ("" when unknown).
std::vector<std::string> probe_dirs(const std::string& memory_root, const std::string& scope,
                                    const std::vector<std::string>& watch_dirs,
                                    const std::vector<std::string>& watched_cgroups);

// Decides from one probe's samples whether the loop should scan now. A task
// in a memory, reclaim or lock wait (what the model follows from the first
// sight) asks at once; a page-in wait or an exit - everyday noise on a busy
// group - only when the same task (tid and start time) was in one at the
// previous probe too, the rule idle() applies to the model's stalls.
class ProbeRule {
 public:
  bool wants_scan(const std::vector<TaskSample>& samples);

 private:
  std::vector<std::pair<pid_t, std::uint64_t>> noisy_, next_;  // sorted (tid, starttime)
};

// Whether the stall behind a PSI event goes on. The trigger fires once
// 150 ms of "some" stall fell within its 2 s window; by the time the loop
// looks, the stall is often over (another job's short burst, a squeeze the
// kernel or a guard already ended), and a full scan then finds nothing.
// So the loop reads the PSI some totals (the system's and each watched
// group's) at the event and once more a short interval later, and scans
// only when one of them kept growing at half the trigger's rate or more
// (75 ms a second). A stall that lasts keeps growing its totals; its onset
// is then dated back to the event. Unreadable totals (0, or fewer groups)
// and a total that went backwards count as growing: scan, as before.
struct PsiTotals {
  static constexpr std::uint64_t kUnread = ~std::uint64_t{0};
  std::int64_t ms = 0;
  std::uint64_t system_us = kUnread;     // the system's some total
  std::vector<std::uint64_t> groups_us;  // each watched group's
};
bool stall_goes_on(const PsiTotals& at_event, const PsiTotals& later);

// Whether the memory stall behind a PSI event happened in the watched
// groups. The system's PSI "some" total counts the time at least one task
// anywhere was stalled on memory, a group's the time one of its own tasks
// was: when, over the trigger's whole window, the system's total grew no
// more than the watched groups' together (plus a slack: the files are read
// one after the other while the stall goes on), no task outside them stalled
// meanwhile - except at the very moments a watched task did, which a later
// event or the safety scan still finds. Such an event needs a look at the
// watched groups' tasks only, not at every task. The readings come from the
// idle probe (every period) and every scan. Groups must not overlap (a
// group inside another would count twice).
class StallAttribution {
 public:
  static constexpr std::uint64_t kSlackUs = 5000;  // plus 1/8 of the groups' growth

  // One reading: the system's some total (0: unreadable) and each watched
  // group's (0 for one unreadable), at now_ms.
  void note(std::int64_t now_ms, std::uint64_t system_us, const std::vector<std::uint64_t>& groups_us);
  // Notes this reading, then: true when the growth since a reading taken
  // between window_ms and max_age_ms ago is explained by the groups; false
  // when there is no such reading, a total went backwards or is unreadable.
  bool explains(std::int64_t now_ms, std::uint64_t system_us, const std::vector<std::uint64_t>& groups_us,
                std::int64_t window_ms = 2000, std::int64_t max_age_ms = 5000);

 private:
  struct Reading {
    std::int64_t ms = 0;
    std::uint64_t system_us = 0;
    std::vector<std::uint64_t> groups_us;
  };
  std::vector<Reading> ring_;  // the last kKeep, oldest first
  static constexpr std::size_t kKeep = 8;
};

}  // namespace oomlab::watchdog
