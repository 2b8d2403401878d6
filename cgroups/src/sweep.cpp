// Removing the groups of runs that died without cleaning up (SIGKILL with no
// guardian, power loss inside a VM snapshot...). A group's name carries its
// owner's pid and start time, so a live owner - even one whose pid was
// reused - is never swept.
#include <cstdlib>
#include <dirent.h>
#include <string>
#include <vector>

#include "oomlab/cgroups/memory_cgroup.hpp"
#include "registry.hpp"

namespace oomlab::cgroups {
namespace {

struct Owner {
  pid_t pid = 0;
  std::uint64_t start_time = 0;
};

// "<prefix>-<pid>-<starttime>-<seq>" -> owner, when the prefix matches.
std::optional<Owner> parse_owner(const std::string& name, const std::string& prefix) {
  if (name.size() <= prefix.size() + 1 || name.compare(0, prefix.size() + 1, prefix + "-") != 0)
    return std::nullopt;
  std::string rest = name.substr(prefix.size() + 1);
  std::vector<std::uint64_t> parts;
  std::size_t start = 0;
  for (;;) {
    std::size_t dash = rest.find('-', start);
    std::string part = rest.substr(start, dash == std::string::npos ? std::string::npos : dash - start);
    if (part.empty() || part.find_first_not_of("0123456789") != std::string::npos) return std::nullopt;
    parts.push_back(std::strtoull(part.c_str(), nullptr, 10));
    if (dash == std::string::npos) break;
    start = dash + 1;
  }
  if (parts.size() != 3 || parts[0] == 0) return std::nullopt;
  return Owner{static_cast<pid_t>(parts[0]), parts[1]};
}

bool owner_alive(const Owner& o) {
  std::uint64_t now = process_start_time(o.pid);
  return now != 0 && now == o.start_time;
}

}  // namespace

int sweep_stale(const std::string& parent, const std::string& prefix) {
  const Hierarchy& h = host_hierarchy();
  if (!h.has_memory()) return 0;
  std::string rel = parent;
  while (!rel.empty() && rel.front() == '/') rel.erase(0, 1);
  std::string dir = h.memory_root + (rel.empty() ? "" : "/" + rel);
  std::vector<std::string> stale;
  if (DIR* d = opendir(dir.c_str())) {
    while (dirent* e = readdir(d)) {
      auto owner = parse_owner(e->d_name, prefix);
      if (owner && !owner_alive(*owner)) stale.push_back(e->d_name);
    }
    closedir(d);
  }
  // Twins can outlive their memory group (a crash between the two rmdirs).
  for (const std::string& root : {h.unified_root, h.freezer_root}) {
    if (root.empty() || root == h.memory_root) continue;
    if (DIR* d = opendir((root + (rel.empty() ? "" : "/" + rel)).c_str())) {
      while (dirent* e = readdir(d)) {
        auto owner = parse_owner(e->d_name, prefix);
        if (owner && !owner_alive(*owner)) stale.push_back(e->d_name);
      }
      closedir(d);
    }
  }
  int removed = 0;
  std::vector<std::string> done;
  for (const std::string& name : stale) {
    bool seen = false;
    for (auto& d : done) seen |= d == name;
    if (seen) continue;
    done.push_back(name);
    std::string relname = (rel.empty() ? "" : rel + "/") + name;
    std::string memory = h.memory_root + "/" + relname;
    std::string unified = h.unified_root.empty() || h.memory_version == 2 ? "" : h.unified_root + "/" + relname;
    std::string freezer = h.freezer_root.empty() ? "" : h.freezer_root + "/" + relname;
    if (detail::force_remove(memory.c_str(), unified.c_str(), freezer.c_str(), h.memory_version, 5000)) ++removed;
  }
  return removed;
}

}  // namespace oomlab::cgroups
