// Where the memory controller lives on this machine. Three layouts exist in
// the wild (PLATFORM.md): pure v2 (systemd >= 247, the test VM), v1 (memory on
// a v1 mount, this build host) and hybrid (v1 memory plus a cgroup2 mount
// without the memory controller, which still gives per-group memory.pressure).
#pragma once
#include <string>
#include <string_view>

namespace oomlab::cgroups {

enum class Layout { none, v1, v2, hybrid };
std::string_view layout_name(Layout l);  // "none", "v1", "v2", "hybrid"

struct Hierarchy {
  Layout layout = Layout::none;
  int memory_version = 0;     // 1 or 2: the hierarchy that has the memory controller; 0 none
  std::string memory_root;    // its mount point ("/sys/fs/cgroup/memory", "/sys/fs/cgroup")
  std::string unified_root;   // a cgroup2 mount ("" when none); == memory_root on v2
  std::string freezer_root;   // the v1 freezer mount ("" when none or on v2)
  bool has_memory() const { return memory_version != 0; }
};

// Pure function for tests: `mountinfo` is /proc/self/mountinfo,
// `unified_controllers` the cgroup.controllers file of the cgroup2 root.
Hierarchy parse_hierarchy(std::string_view mountinfo, std::string_view unified_controllers);

// The running machine's layout (read once and cached).
const Hierarchy& host_hierarchy();

}  // namespace oomlab::cgroups
