// A memory cgroup owned by this process: created with limits, filled with
// processes, sampled, and at the end emptied (every task killed and waited
// for) and removed. The handle never deletes a non-empty group: libcgroup's
// delete would silently move the tasks to the unlimited root (PLATFORM.md).
//
// On v1/hybrid hosts the group gets optional "twins" with the same name in
// other hierarchies: one in the cgroup2 mount (per-group memory.pressure,
// which v1 lacks) and one in the v1 freezer (so kill_all_and_wait can freeze
// the group before signalling it: no fork can escape the kill loop).
//
// Every live group is also in a process-wide registry (cleanup.hpp) so that a
// signal handler, atexit or std::terminate path and the guardian process can
// kill and remove it when the owner cannot.
#pragma once
#include <chrono>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <sys/types.h>
#include <vector>

#include "oomlab/cgroups/hierarchy.hpp"
#include "oomlab/cgroups/stats.hpp"
#include "oomlab/facts/psi.hpp"

namespace oomlab::cgroups {

class CgroupError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct Limits {
  std::uint64_t max_bytes = 0;                 // memory.max / memory.limit_in_bytes; 0 = no limit
  std::uint64_t high_bytes = 0;                // memory.high (v2 only); 0 = not set
  std::optional<std::uint64_t> swap_max_bytes; // memory.swap.max (v2); v1: memsw = max + swap
};

struct CreateOptions {
  std::string parent = "oomlab";  // relative to the hierarchy root; created when missing
  std::string prefix = "group";   // name = <prefix>-<pid>-<starttime>-<seq> (see sweep_stale)
  Limits limits;
  bool pressure_twin = true;      // v1/hybrid: twin in the cgroup2 mount for memory.pressure
  bool freezer_twin = true;       // v1: twin in the freezer hierarchy for kill_all_and_wait
};

class MemoryCgroup {
 public:
  // Throws CgroupError with a one-line reason (no memory controller, not
  // root, a limit the kernel rejects, memory.high on v1...). Nothing is left
  // behind when it throws.
  static MemoryCgroup create(const CreateOptions& options);

  MemoryCgroup(MemoryCgroup&& other) noexcept;
  MemoryCgroup& operator=(MemoryCgroup&& other) noexcept;
  MemoryCgroup(const MemoryCgroup&) = delete;
  MemoryCgroup& operator=(const MemoryCgroup&) = delete;
  // Kills every task (waits up to 10 s) and removes the group. If tasks
  // survive (stuck in D state), the group stays and stays registered so the
  // atexit path retries; it is never deleted non-empty.
  ~MemoryCgroup();

  const std::string& path() const { return path_; }  // absolute directory
  const std::string& name() const { return name_; }  // relative: "oomlab/repro-12-345-1"
  int version() const { return version_; }           // 1 or 2
  const std::string& pressure_path() const { return pressure_path_; }  // "" when none
  bool valid() const { return !path_.empty(); }

  // Moves a process and every one of its threads (v1 moves one thread per
  // write to `tasks`; cgroup.procs moves the thread group, then each tid is
  // checked). Throws CgroupError.
  void move_process(pid_t pid);

  std::vector<pid_t> pids() const;     // processes (cgroup.procs)
  std::vector<pid_t> threads() const;  // every task (v1 `tasks`, v2 `cgroup.threads`)
  bool empty() const { return pids().empty(); }

  std::uint64_t usage_bytes() const;                 // memory.current / usage_in_bytes
  std::optional<std::uint64_t> limit_bytes() const;  // nullopt: unlimited
  MemoryEvents events() const;                       // zeros when unreadable
  std::optional<facts::PsiReading> pressure() const;  // group PSI (own file or the twin's)

  // cgroup.kill on v2 (>= 5.14); otherwise freeze (if a freezer is there),
  // SIGKILL everything listed, thaw, repeat. Reaps the tasks that are this
  // process's children. True when the group is empty before the timeout.
  bool kill_all_and_wait(std::chrono::milliseconds timeout);

  // Deletes the (empty) group, its twins and the parent if that became empty.
  // Returns false, keeping everything, when tasks remain.
  bool remove();

 private:
  MemoryCgroup() = default;
  void release() noexcept;

  std::string name_, path_, pressure_path_, twin_unified_, twin_freezer_;
  int version_ = 0;
  int registry_slot_ = -1;
};

// Removes groups under `parent` named <prefix>-<pid>-<starttime>-<seq> whose
// owner is gone (pid dead, or reused with another start time): killed, then
// deleted, twins included. Returns how many were removed.
int sweep_stale(const std::string& parent, const std::string& prefix);

// The group name for an owner: exposed for tests and for tools that look for
// a run's group ("repro-1234-5678-1").
std::string group_name(const std::string& prefix, pid_t owner, std::uint64_t seq);

}  // namespace oomlab::cgroups
