#include "oomlab/cgroups/hierarchy.hpp"

#include <sstream>
#include <vector>

#include "oomlab/common/procfs.hpp"

namespace oomlab::cgroups {
namespace {

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  while (!s.empty()) {
    std::size_t p = s.find(sep);
    std::string_view part = s.substr(0, p);
    if (!part.empty()) out.push_back(part);
    if (p == std::string_view::npos) break;
    s.remove_prefix(p + 1);
  }
  return out;
}

bool has_word(std::string_view list, std::string_view word, char sep) {
  for (auto w : split(list, sep))
    if (w == word) return true;
  return false;
}

}  // namespace

std::string_view layout_name(Layout l) {
  switch (l) {
    case Layout::v1: return "v1";
    case Layout::v2: return "v2";
    case Layout::hybrid: return "hybrid";
    case Layout::none: break;
  }
  return "none";
}

Hierarchy parse_hierarchy(std::string_view mountinfo, std::string_view unified_controllers) {
  Hierarchy h;
  std::string v1_memory;
  for (auto line : split(mountinfo, '\n')) {
    // "36 25 0:31 / /sys/fs/cgroup/memory rw,relatime shared:14 - cgroup cgroup rw,memory"
    auto fields = split(line, ' ');
    std::size_t dash = 0;
    while (dash < fields.size() && fields[dash] != "-") ++dash;
    if (dash < 5 || dash + 3 >= fields.size()) continue;  // "- fstype source superoptions"
    std::string_view root = fields[3], mount_point = fields[4], fstype = fields[dash + 1];
    std::string_view super_options = fields[dash + 3];
    if (root != "/") continue;  // a bind mount of a sub-group (containers): not a hierarchy root
    if (fstype == "cgroup2" && h.unified_root.empty()) {
      h.unified_root = std::string(mount_point);
    } else if (fstype == "cgroup") {
      if (has_word(super_options, "memory", ',') && v1_memory.empty()) v1_memory = std::string(mount_point);
      if (has_word(super_options, "freezer", ',') && h.freezer_root.empty())
        h.freezer_root = std::string(mount_point);
    }
  }
  if (!v1_memory.empty()) {
    h.memory_version = 1;
    h.memory_root = v1_memory;
    h.layout = h.unified_root.empty() ? Layout::v1 : Layout::hybrid;
  } else if (!h.unified_root.empty() && has_word(unified_controllers, "memory", ' ')) {
    h.memory_version = 2;
    h.memory_root = h.unified_root;
    h.layout = Layout::v2;
    h.freezer_root.clear();  // v2 has cgroup.freeze in every group
  }
  return h;
}

const Hierarchy& host_hierarchy() {
  static const Hierarchy h = [] {
    std::string mountinfo = read_proc_file("/proc/self/mountinfo", 1 << 20).value_or("");
    Hierarchy first = parse_hierarchy(mountinfo, "");
    std::string controllers;
    if (!first.unified_root.empty()) {
      std::string c = read_proc_file(first.unified_root + "/cgroup.controllers").value_or("");
      for (char& ch : c)
        if (ch == '\n') ch = ' ';
      controllers = c;
    }
    return parse_hierarchy(mountinfo, controllers);
  }();
  return h;
}

}  // namespace oomlab::cgroups
