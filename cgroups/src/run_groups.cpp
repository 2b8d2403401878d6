#include "oomlab/cgroups/run_groups.hpp"

#include <cstdio>
#include <filesystem>
#include <sstream>

#include "oomlab/cgroups/hierarchy.hpp"
#include "oomlab/common/procfs.hpp"
#include "oomlab/facts/proc_stat.hpp"

namespace fs = std::filesystem;

namespace oomlab::cgroups {
namespace {

pid_t parent_of(pid_t pid) {
  auto stat = read_proc_file("/proc/" + std::to_string(pid) + "/stat");
  facts::ProcStat s;
  if (!stat || !facts::parse_proc_stat(*stat, s) || s.fields < 4) return 0;
  return s.ppid;
}

bool holds_child_of(const std::string& group_dir, pid_t parent) {
  std::istringstream in(read_proc_file(group_dir + "/cgroup.procs").value_or(""));
  for (pid_t pid; in >> pid;)
    if (parent_of(pid) == parent) return true;
  return false;
}

}  // namespace

RunGroupDirs run_group_dirs() {
  const Hierarchy& h = host_hierarchy();
  const std::string tail = std::string("/") + kRunGroupParent;
  return {h.memory_root.empty() ? "" : h.memory_root + tail, h.unified_root.empty() ? "" : h.unified_root + tail};
}

std::set<std::string> run_group_names(const std::string& memory_parent) {
  std::set<std::string> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(memory_parent, ec))
    if (e.is_directory(ec) && e.path().filename().string().rfind(kRunGroupPrefix, 0) == 0)
      out.insert(e.path().filename());
  return out;
}

std::string new_run_group_of(const std::string& memory_parent, const std::set<std::string>& before, pid_t runner) {
  std::string fresh;
  for (const auto& g : run_group_names(memory_parent))
    if (!before.count(g) && holds_child_of(memory_parent + "/" + g, runner)) fresh = g;
  return fresh;
}

}  // namespace oomlab::cgroups
