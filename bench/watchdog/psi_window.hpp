// Measures 3 and 4 of oomlab-bench-watchdog: daemons run side by side
// (earlyoom, oomlab-watchdog system-wide, oomlab-watchdog scoped to the
// bench's own group, optionally a baseline build of the watchdog in both
// configurations, nohang) and each window reports their CPU and peak RSS as
// ratios to earlyoom's, with the PSI events that happened and the load the
// machine was under.
//
// The squeeze: the bench owns one private memory cgroup (32 MiB; on cgroup
// v1 with a cgroup2 twin for its memory.pressure) for the whole run. Every
// burst moves a fresh child into it that holds 24 MiB of anonymous memory and
// rewrites a 64 MiB file, so the group's reclaim waits on the writeback of
// its own dirty pages in the 8 MiB left (v1 has no per-group dirty limit). The
// bench watches the group with the same trigger as the watchdog (some
// 150 ms / 2 s) and kills the child as soon as it fires (at most 6 s): one
// bounded pressure episode, one group PSI event. What each watchdog actually
// got is read from its own counters (system and group triggers apart); the
// bench's own triggers count the group's events and every system event in
// the window (the machine is shared: other jobs' pressure fires the system
// trigger too, and the figures say so).
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <sys/types.h>
#include <vector>

namespace oomlab::bench {

struct Daemon {
  std::string name;
  pid_t pid = 0;
  std::string sock;  // oomlab-watchdog's control socket; "" for a peer
};

// The bench's private group and the burst's data file: created before the
// daemons start (the scoped watchdog watches the group from its start),
// removed by the destructor.
class SqueezeGroup {
 public:
  // Throws std::exception with a one-line reason (no memory controller,
  // no memory.pressure for the group, not root).
  SqueezeGroup();
  ~SqueezeGroup();
  SqueezeGroup(const SqueezeGroup&) = delete;
  SqueezeGroup& operator=(const SqueezeGroup&) = delete;
  const std::string& scope() const;          // cgroup path in the memory hierarchy ("/name")
  const std::string& watch_dir() const;      // the directory holding its memory.pressure
  const std::string& pressure_path() const;  // that memory.pressure
  // One burst; the seconds it lasted; `event`: the group trigger fired
  // before the cap; stall_us: the group's memory PSI some stall meanwhile.
  double burst(int group_trigger_fd, bool& event, std::uint64_t& stall_us);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// One window of `seconds` with `bursts` bursts, one at the start of each
// seconds/bursts slot (0: an idle window). Prints each daemon's CPU (ns on
// CPU from schedstat and utime+stime ticks from stat), peak RSS, the
// watchdogs' own event and scan counts, the bench's event counts and the
// load average.
void run_window(const char* label, const std::vector<Daemon>& daemons, int seconds, int bursts, SqueezeGroup* group);

// For a signal handler: kills the burst child and unlinks the data file
// (async-signal-safe). The group itself goes through cgroups::emergency_cleanup().
void squeeze_emergency_cleanup();

}  // namespace oomlab::bench
