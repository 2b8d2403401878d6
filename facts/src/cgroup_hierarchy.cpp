#include "oomlab/facts/cgroup_hierarchy.hpp"

#include <vector>

namespace oomlab::facts {
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

std::string_view layout_name(CgroupLayout l) {
  switch (l) {
    case CgroupLayout::v1: return "v1";
    case CgroupLayout::v2: return "v2";
    case CgroupLayout::hybrid: return "hybrid";
    case CgroupLayout::none: break;
  }
  return "none";
}

CgroupHierarchy parse_hierarchy(std::string_view mountinfo, std::string_view unified_controllers) {
  CgroupHierarchy h;
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
    h.layout = h.unified_root.empty() ? CgroupLayout::v1 : CgroupLayout::hybrid;
  } else if (!h.unified_root.empty() && has_word(unified_controllers, "memory", ' ')) {
    h.memory_version = 2;
    h.memory_root = h.unified_root;
    h.layout = CgroupLayout::v2;
    h.freezer_root.clear();  // v2 has cgroup.freeze in every group
  }
  return h;
}

CgroupHierarchy detect_hierarchy(const std::function<std::string(const std::string& path)>& read) {
  const std::string mountinfo = read("/proc/self/mountinfo");
  CgroupHierarchy first = parse_hierarchy(mountinfo, "");
  std::string controllers;
  if (!first.unified_root.empty()) {
    controllers = read(first.unified_root + "/cgroup.controllers");
    for (char& ch : controllers)
      if (ch == '\n') ch = ' ';
  }
  return parse_hierarchy(mountinfo, controllers);
}

std::optional<bool> cgroup_populated(std::string_view events) {
  constexpr std::string_view key = "populated ";
  for (std::size_t at = 0; at < events.size();) {
    std::size_t end = events.find('\n', at);
    if (end == std::string_view::npos) end = events.size();
    std::string_view line = events.substr(at, end - at);
    if (line.substr(0, key.size()) == key && line.size() > key.size()) return line[key.size()] != '0';
    at = end + 1;
  }
  return std::nullopt;
}

bool in_cgroup(std::string_view path, std::string_view group) {
  if (group.empty()) return false;
  if (group == "/") return true;
  return path.substr(0, group.size()) == group && (path.size() == group.size() || path[group.size()] == '/');
}

}  // namespace oomlab::facts
