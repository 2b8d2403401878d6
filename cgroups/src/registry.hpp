// Internal: the process-wide table of live groups and the async-signal-safe
// kill-and-remove routine shared by destructors, crash handlers, the guardian
// and sweep_stale.
#pragma once
#include <string>

namespace oomlab::cgroups::detail {

// What is needed to tear a group down without any other state.
struct GroupPaths {
  int version = 0;
  std::string memory, unified_twin, freezer_twin;  // twins may be ""
};

// Registers before the directories exist (so a crash between mkdir and the
// registration cannot leak); notifies the guardian. Returns the slot or -1
// when the table is full (the group still works, it is just not covered).
int registry_add(const GroupPaths& g);
void registry_remove(int slot);

// Kills every task listed in the group (and its twins) until all are gone or
// timeout_ms passes: cgroup.kill on v2, else freeze/SIGKILL/thaw rounds.
// Reaps those that are our children. Async-signal-safe. True when empty.
bool kill_all(const char* memory, const char* unified, const char* freezer, int version,
              int timeout_ms) noexcept;
// kill_all, then rmdir of the twins, the group, and their parents when empty.
// Never removes a group with tasks (rmdir would fail anyway: EBUSY).
bool force_remove(const char* memory, const char* unified, const char* freezer, int version,
                  int timeout_ms) noexcept;
// rmdir(dir) then rmdir(parent of dir); errors ignored except for `dir`.
bool remove_dir_and_parent(const char* dir) noexcept;

// starttime (field 22 of /proc/PID/stat) or 0: the owner's identity in a name.
}  // namespace oomlab::cgroups::detail
#include <sys/types.h>
#include <cstdint>
namespace oomlab::cgroups {
std::uint64_t process_start_time(pid_t pid);
}
namespace oomlab::cgroups::detail {

// Guardian notification (guardian.cpp); no-ops when no guardian runs.
void guardian_notify_add(const GroupPaths& g);
void guardian_notify_remove(const std::string& memory);

}  // namespace oomlab::cgroups::detail
