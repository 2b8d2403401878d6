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

}  // namespace oomlab::watchdog
