// Where oomlab-repro puts a run's group, and finding it from outside the
// runner: benchmarks and tests start `oomlab-repro run` as a child and must
// point a guard at the group it makes, while other runs may create groups
// of their own at the same time.
#pragma once
#include <sys/types.h>

#include <set>
#include <string>

namespace oomlab::cgroups {

inline constexpr const char* kRunGroupParent = "oomlab";  // under the memory root
inline constexpr const char* kRunGroupPrefix = "repro";   // repro-<pid>-<time>-<n>

struct RunGroupDirs {
  std::string memory_parent;    // <memory root>/oomlab: holds the run groups
  std::string pressure_parent;  // where their memory.pressure lives: the same on v2, the
                                // cgroup2 twin on hybrid hosts, "" when there is no cgroup2
};
RunGroupDirs run_group_dirs();  // from host_hierarchy()

// Names of the run groups now under `memory_parent`.
std::set<std::string> run_group_names(const std::string& memory_parent);

// The group a running oomlab-repro (`runner`) made: a run group not in
// `before` whose tasks include a child of `runner`. "" while there is none.
std::string new_run_group_of(const std::string& memory_parent, const std::set<std::string>& before, pid_t runner);

}  // namespace oomlab::cgroups
