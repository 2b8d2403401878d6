// The watchdog's read-only view of memory cgroups: which group a task is in,
// how much the group uses, which processes it holds, and the v2 kill switch.
// Plain cgroupfs/procfs reads (no libcgroup): they run on the hot path.
#pragma once
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <sys/types.h>
#include <vector>

#include "oomlab/facts/cgroup_hierarchy.hpp"

namespace oomlab::watchdog {

// The memory cgroup path in a /proc/PID/cgroup text: the v1 line whose
// controller list has "memory", else the v2 "0::" line. "" when neither.
std::string memory_cgroup_from(std::string_view proc_cgroup_text);

// task_cgroup is cgroup or below it ("/" holds everything): facts' one rule.
using facts::in_cgroup;

// Calls f(mountpoint, fstype) for each line of a /proc/self/mounts text
// (mount points as the kernel escapes them: a space is \040).
void for_each_mount(std::string_view mounts_text, const std::function<void(std::string_view, std::string_view)>& f);

// The cgroup path of a cgroupfs directory ("/sys/fs/cgroup/unified/oomlab/x"
// -> "/oomlab/x"), given the text of /proc/self/mounts: the part below the
// longest cgroup/cgroup2 mount point that holds it. "" when none does. On a
// hybrid host the cgroup2 twin of a v1 memory group has the same path.
std::string cgroup_path_of_dir(std::string_view dir, std::string_view mounts_text);

// The pids in a cgroup.procs file (empty when it cannot be read).
std::vector<pid_t> read_pids(const std::string& procs_file);

// The pids of a cgroup.procs text, fed in pieces as it is read (the idle
// probe reads into a small stack buffer): one number per run of digits.
class PidListParser {
 public:
  void feed(const char* data, std::size_t n, std::vector<pid_t>& out);
  void finish(std::vector<pid_t>& out);

 private:
  pid_t v_ = 0;
  bool any_ = false;
};

class CgroupView {
 public:
  // root: the memory controller's mount ("" = detect it as every component
  // does, facts::detect_hierarchy; /sys/fs/cgroup when there is none).
  CgroupView(std::string proc_root, std::string root);

  const std::string& root() const { return root_; }
  bool v2() const { return v2_; }

  std::string cgroup_of(pid_t pid) const;  // "" when unknown
  // Bytes charged to the group; "/" = the whole system (MemTotal - MemAvailable).
  std::optional<std::uint64_t> usage_bytes(const std::string& cgroup) const;
  std::vector<pid_t> procs(const std::string& cgroup) const;  // "/" = empty (use the scan)
  // True when the group and its descendants were killed through cgroup.kill.
  bool kill_v2(const std::string& cgroup) const;

 private:
  std::string proc_root_, root_;
  bool v2_ = false;
};

}  // namespace oomlab::watchdog
