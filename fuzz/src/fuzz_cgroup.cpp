// Cgroup files: memory.events (v2), memory.oom_control + memory.failcnt
// (v1), memory.max / limit_in_bytes, /proc/self/mountinfo with
// cgroup.controllers (hierarchy detection), /proc/PID/cgroup (which memory
// group a task is in) and /proc/self/mounts (the group path of a directory).
// Pieces separated by NUL play the different files.
#include <string>

#include "fuzz_input.hpp"
#include "oomlab/facts/cgroup_hierarchy.hpp"
#include "oomlab/cgroups/stats.hpp"
#include "oomlab/watchdog/cgroup_view.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view f[4];
  oomlab::fuzz::split_nul(std::string_view(reinterpret_cast<const char*>(data), size), f);

  (void)oomlab::cgroups::parse_memory_events_v2(f[0]);
  (void)oomlab::cgroups::parse_memory_events_v1(f[0], f[1]);
  if (auto limit = oomlab::cgroups::parse_limit(f[1])) (void)*limit;
  (void)oomlab::facts::parse_hierarchy(f[0], f[1]);
  (void)oomlab::facts::parse_hierarchy(f[2], f[3]);

  const std::string group = oomlab::watchdog::memory_cgroup_from(f[0]);
  if (group.size() > f[0].size()) __builtin_trap();
  (void)oomlab::watchdog::memory_cgroup_from(f[2]);
  const std::string path = oomlab::watchdog::cgroup_path_of_dir(f[3], f[2]);
  if (path.size() > f[3].size()) __builtin_trap();
  (void)oomlab::watchdog::cgroup_path_of_dir("/sys/fs/cgroup/memory/oomlab/x", f[0]);
  return 0;
}
