#include "oomlab/watchdog/cgroup_view.hpp"

#include <sys/stat.h>

#include "oomlab/common/procfs.hpp"
#include "oomlab/common/text.hpp"
#include "oomlab/facts/cgroup_hierarchy.hpp"

namespace oomlab::watchdog {
namespace {

bool exists(const std::string& p) {
  struct stat st;
  return ::stat(p.c_str(), &st) == 0;
}

std::optional<std::uint64_t> meminfo_kb(std::string_view text, std::string_view key) {
  auto pos = text.find(key);
  if (pos == std::string_view::npos) return std::nullopt;
  pos += key.size();
  while (pos < text.size() && (text[pos] == ' ' || text[pos] == ':')) ++pos;
  std::uint64_t v = 0;
  bool any = false;
  for (; pos < text.size() && text[pos] >= '0' && text[pos] <= '9'; ++pos, any = true) v = v * 10 + (text[pos] - '0');
  return any ? std::optional(v) : std::nullopt;
}

}  // namespace

std::string memory_cgroup_from(std::string_view text) {
  std::string v2;
  std::optional<std::string> v1;
  for_each_line(text, [&](std::string_view line) {
    std::size_t c1 = line.find(':');
    std::size_t c2 = c1 == std::string_view::npos ? c1 : line.find(':', c1 + 1);
    if (c2 == std::string_view::npos) return true;
    std::string_view controllers = line.substr(c1 + 1, c2 - c1 - 1);
    std::string_view path = line.substr(c2 + 1);
    if (line.substr(0, c1) == "0" && controllers.empty()) {
      v2 = std::string(path);
      return true;
    }
    while (!controllers.empty()) {
      std::size_t comma = controllers.find(',');
      if (controllers.substr(0, comma) == "memory") {
        v1 = std::string(path);   // a v1 memory hierarchy wins over the v2 one
        return false;
      }
      if (comma == std::string_view::npos) break;
      controllers.remove_prefix(comma + 1);
    }
    return true;
  });
  return v1 ? *v1 : v2;
}

void for_each_mount(std::string_view mounts, const std::function<void(std::string_view, std::string_view)>& f) {
  for_each_line(mounts, [&](std::string_view line) {
    // "device mountpoint fstype options 0 0"
    std::size_t a = line.find(' ');
    std::size_t b = a == std::string_view::npos ? a : line.find(' ', a + 1);
    std::size_t c = b == std::string_view::npos ? b : line.find(' ', b + 1);
    if (c == std::string_view::npos) return;
    f(line.substr(a + 1, b - a - 1), line.substr(b + 1, c - b - 1));
  });
}

std::string cgroup_path_of_dir(std::string_view dir, std::string_view mounts) {
  while (dir.size() > 1 && dir.back() == '/') dir.remove_suffix(1);
  std::string_view best;
  for_each_mount(mounts, [&](std::string_view mnt, std::string_view fstype) {
    if (fstype != "cgroup2" && fstype != "cgroup") return;
    bool holds = dir == mnt || (dir.size() > mnt.size() && dir.compare(0, mnt.size(), mnt) == 0 && dir[mnt.size()] == '/');
    if (holds && mnt.size() > best.size()) best = mnt;
  });
  if (best.empty()) return "";
  return dir.size() == best.size() ? std::string("/") : std::string(dir.substr(best.size()));
}

std::vector<pid_t> read_pids(const std::string& procs_file) {
  std::vector<pid_t> out;
  auto text = read_proc_file(procs_file, 1 << 20);
  if (!text) return out;
  PidListParser parse;
  parse.feed(text->data(), text->size(), out);
  parse.finish(out);
  return out;
}

void PidListParser::feed(const char* data, std::size_t n, std::vector<pid_t>& out) {
  for (std::size_t i = 0; i < n; ++i) {
    const char c = data[i];
    if (c >= '0' && c <= '9') {
      v_ = v_ * 10 + (c - '0');
      any_ = true;
    } else {
      finish(out);
    }
  }
}

void PidListParser::finish(std::vector<pid_t>& out) {
  if (any_) out.push_back(v_);
  v_ = 0;
  any_ = false;
}

CgroupView::CgroupView(std::string proc_root, std::string root) : proc_root_(std::move(proc_root)), root_(std::move(root)) {
  if (root_.empty()) {
    // facts' one detection (mountinfo, then the cgroup2 root's controllers);
    // a machine without a memory controller keeps the cgroup2 default.
    const facts::CgroupHierarchy h =
        facts::detect_hierarchy([](const std::string& path) { return read_proc_file(path, 1 << 20).value_or(""); });
    root_ = h.has_memory() ? h.memory_root : "/sys/fs/cgroup";
  }
  v2_ = exists(root_ + "/cgroup.controllers");
}

std::string CgroupView::cgroup_of(pid_t pid) const {
  auto text = read_proc_file(proc_root_ + "/" + std::to_string(pid) + "/cgroup", 8192);
  return text ? memory_cgroup_from(*text) : std::string();
}

std::optional<std::uint64_t> CgroupView::usage_bytes(const std::string& cgroup) const {
  if (cgroup.empty() || cgroup == "/") {
    auto text = read_proc_file(proc_root_ + "/meminfo", 8192);
    if (!text) return std::nullopt;
    auto total = meminfo_kb(*text, "MemTotal"), avail = meminfo_kb(*text, "MemAvailable");
    if (!total || !avail) return std::nullopt;
    return (*total - std::min(*total, *avail)) * 1024;
  }
  auto text = read_proc_file(root_ + cgroup + (v2_ ? "/memory.current" : "/memory.usage_in_bytes"), 64);
  if (!text || text->empty()) return std::nullopt;
  try {
    return std::stoull(*text);
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

std::vector<pid_t> CgroupView::procs(const std::string& cgroup) const {
  if (cgroup.empty() || cgroup == "/") return {};
  return read_pids(root_ + cgroup + "/cgroup.procs");
}

bool CgroupView::kill_v2(const std::string& cgroup) const {
  if (!v2_ || cgroup.empty() || cgroup == "/") return false;
  std::string path = root_ + cgroup + "/cgroup.kill";
  return exists(path) && write_control_file(path, "1") == 0;
}

}  // namespace oomlab::watchdog
