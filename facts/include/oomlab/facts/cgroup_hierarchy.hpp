// Where the memory controller lives on this machine, read from
// /proc/self/mountinfo and the cgroup2 root's cgroup.controllers: the one
// detection every component uses (the cgroups library for the runner's
// groups, the watchdog's view of its scope). Three layouts exist in the wild
// (PLATFORM.md): pure v2 (systemd >= 247, the test VM), v1 (memory on a v1
// mount, this build host) and hybrid (v1 memory plus a cgroup2 mount without
// the memory controller, which still gives per-group memory.pressure).
// Pure: the caller reads the files (detect_hierarchy takes the reader).
#pragma once
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace oomlab::facts {

enum class CgroupLayout { none, v1, v2, hybrid };
std::string_view layout_name(CgroupLayout l);  // "none", "v1", "v2", "hybrid"

struct CgroupHierarchy {
  CgroupLayout layout = CgroupLayout::none;
  int memory_version = 0;     // 1 or 2: the hierarchy that has the memory controller; 0 none
  std::string memory_root;    // its mount point ("/sys/fs/cgroup/memory", "/sys/fs/cgroup")
  std::string unified_root;   // a cgroup2 mount ("" when none); == memory_root on v2
  std::string freezer_root;   // the v1 freezer mount ("" when none or on v2)
  bool has_memory() const { return memory_version != 0; }
};

// `mountinfo` is /proc/self/mountinfo, `unified_controllers` the
// cgroup.controllers file of the cgroup2 root (blank-separated).
CgroupHierarchy parse_hierarchy(std::string_view mountinfo, std::string_view unified_controllers);

// The two reads in order: mountinfo, then (with a cgroup2 mount) its
// cgroup.controllers. `read(path)` returns the file's text, "" when it
// cannot be read.
CgroupHierarchy detect_hierarchy(const std::function<std::string(const std::string& path)>& read);

// A cgroup2 group's cgroup.events ("populated 1\nfrozen 0\n"): whether the
// group or one of its descendants holds a live task (one that has not yet
// passed cgroup_exit(): exiting tasks count). nullopt when the text has no
// "populated" line. The kernel signals every change of the file to
// inotify/poll watchers (Documentation/admin-guide/cgroup-v2.rst). Allocates
// nothing (the cgroups library's teardown calls it from signal handlers).
std::optional<bool> cgroup_populated(std::string_view events);

// Whether cgroup path `path` ("/oomlab/repro-1/sub", as /proc/PID/cgroup and
// the kernel's oom-kill: line print it) is `group` or below it: "/" holds
// everything, "" nothing, and a longer sibling name ("/oomlab/repro-10" for
// "/oomlab/repro-1") is not below. The one rule of the watchdog's scope and
// watched groups, the analyzer's --cgroup filter and the runner's OOM lines.
bool in_cgroup(std::string_view path, std::string_view group);

}  // namespace oomlab::facts
