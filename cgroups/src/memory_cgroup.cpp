#include "oomlab/cgroups/memory_cgroup.hpp"
#include "oomlab/facts/proc_stat.hpp"

#include <atomic>
#include <cerrno>
#include <cstring>
#include <dirent.h>
#include <libcgroup.h>
#include <mutex>
#include <sys/stat.h>
#include <unistd.h>

#include "oomlab/common/procfs.hpp"
#include "oomlab/facts/psi.hpp"
#include "registry.hpp"

namespace oomlab::cgroups {
namespace {

std::atomic<std::uint64_t> g_seq{0};

// cgroup_init() must run once per process (PLATFORM.md); it scans the mounts.
int libcgroup_init_once() {
  static std::once_flag once;
  static int result = 0;
  std::call_once(once, [] { result = cgroup_init(); });
  return result;
}

std::string libcgroup_error(int code) {
  if (code == 0) return "unknown error";  // cgroup_strerror(0) is misleading
  std::string s = cgroup_strerror(code);
  if (code == ECGOTHER) s += std::string(": ") + strerror(cgroup_get_last_errno());
  return s;
}

bool is_dir(const std::string& p) {
  struct stat st{};
  return stat(p.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

// mkdir -p below an existing root; true when the directory exists afterwards.
bool make_dirs(const std::string& root, const std::string& relative) {
  std::string p = root;
  std::size_t start = 0;
  while (start <= relative.size()) {
    std::size_t slash = relative.find('/', start);
    std::string part = relative.substr(start, slash == std::string::npos ? std::string::npos : slash - start);
    if (!part.empty()) {
      p += "/" + part;
      if (mkdir(p.c_str(), 0755) != 0 && errno != EEXIST) return false;
    }
    if (slash == std::string::npos) break;
    start = slash + 1;
  }
  return is_dir(p);
}

}  // namespace

std::uint64_t process_start_time(pid_t pid) {
  auto stat = read_proc_file("/proc/" + std::to_string(pid) + "/stat");
  facts::ProcStat s;
  if (!stat || !facts::parse_proc_stat(*stat, s) || s.fields < 22) return 0;
  return s.starttime;
}

namespace {

std::vector<pid_t> read_pid_list(const std::string& file) {
  std::vector<pid_t> out;
  auto text = read_proc_file(file, 1 << 20);
  if (!text) return out;
  const char* p = text->c_str();
  while (*p) {
    char* end = nullptr;
    long v = std::strtol(p, &end, 10);
    if (end == p) break;
    if (v > 0) out.push_back(static_cast<pid_t>(v));
    p = end;
    while (*p == '\n') ++p;
  }
  return out;
}

std::vector<pid_t> read_pid_list_dir(const std::string& dir) {
  std::vector<pid_t> out;
  DIR* d = opendir(dir.c_str());
  if (!d) return out;
  while (dirent* e = readdir(d)) {
    long v = std::strtol(e->d_name, nullptr, 10);
    if (v > 0) out.push_back(static_cast<pid_t>(v));
  }
  closedir(d);
  return out;
}

std::uint64_t read_u64(const std::string& file) {
  auto text = read_proc_file(file);
  return text ? std::strtoull(text->c_str(), nullptr, 10) : 0;
}

void write_or_throw(const std::string& file, const std::string& value, const std::string& what) {
  if (int err = write_control_file(file, value))
    throw CgroupError("cannot set " + what + " (" + file + " = " + value + "): " + strerror(err));
}

// v2: a child group only has memory.* files when the parent delegates the
// controller ("+memory" in cgroup.subtree_control), all the way down.
void enable_memory_controller_v2(const std::string& root, const std::string& parent) {
  std::vector<std::string> dirs{root};
  std::string dir = root;
  std::size_t start = 0;
  while (start < parent.size()) {
    std::size_t slash = parent.find('/', start);
    if (slash == std::string::npos) slash = parent.size();
    if (slash > start) dirs.push_back(dir += "/" + parent.substr(start, slash - start));
    start = slash + 1;
  }
  for (const std::string& d : dirs) {
    auto current = read_proc_file(d + "/cgroup.subtree_control").value_or("");
    if (current.find("memory") == std::string::npos)
      write_or_throw(d + "/cgroup.subtree_control", "+memory", "the memory controller for children");
  }
}

}  // namespace

std::string group_name(const std::string& prefix, pid_t owner, std::uint64_t seq) {
  return prefix + "-" + std::to_string(owner) + "-" + std::to_string(process_start_time(owner)) + "-" +
         std::to_string(seq);
}

MemoryCgroup MemoryCgroup::create(const CreateOptions& options) {
  const Hierarchy& h = host_hierarchy();
  if (!h.has_memory()) throw CgroupError("no memory cgroup controller is mounted (neither v1 nor v2)");
  if (options.prefix.empty() || options.prefix.find('/') != std::string::npos)
    throw CgroupError("bad cgroup name prefix '" + options.prefix + "'");
  if (h.memory_version == 1 && options.limits.high_bytes)
    throw CgroupError("memory.high needs cgroup v2; this host has the memory controller on v1");
  if (int rc = libcgroup_init_once()) throw CgroupError("libcgroup cgroup_init: " + libcgroup_error(rc));

  std::string parent = options.parent;
  while (!parent.empty() && parent.front() == '/') parent.erase(0, 1);
  while (!parent.empty() && parent.back() == '/') parent.pop_back();

  MemoryCgroup g;
  g.version_ = h.memory_version;
  g.name_ = (parent.empty() ? "" : parent + "/") + group_name(options.prefix, getpid(), ++g_seq);
  g.path_ = h.memory_root + "/" + g.name_;
  if (h.memory_version == 1 && options.pressure_twin && !h.unified_root.empty())
    g.twin_unified_ = h.unified_root + "/" + g.name_;
  if (h.memory_version == 1 && options.freezer_twin && !h.freezer_root.empty())
    g.twin_freezer_ = h.freezer_root + "/" + g.name_;
  // Registered before anything exists: a crash from here on is cleaned up.
  g.registry_slot_ = detail::registry_add({g.version_, g.path_, g.twin_unified_, g.twin_freezer_});

  try {
    // The parent may be removed by another run's teardown between our mkdir
    // and libcgroup's: retry once.
    int rc = 0;
    for (int attempt = 0; attempt < 2; ++attempt) {
      if (!parent.empty() && !make_dirs(h.memory_root, parent))
        throw CgroupError("cannot create " + h.memory_root + "/" + parent + ": " + strerror(errno));
      if (g.version_ == 2) enable_memory_controller_v2(h.memory_root, parent);

      struct cgroup* cg = cgroup_new_cgroup(g.name_.c_str());
      if (!cg) throw CgroupError("libcgroup: cgroup_new_cgroup failed");
      struct cgroup_controller* mem = cgroup_add_controller(cg, "memory");
      if (mem && options.limits.max_bytes)
        cgroup_add_value_uint64(mem, g.version_ == 2 ? "memory.max" : "memory.limit_in_bytes",
                                options.limits.max_bytes);
      if (mem && g.version_ == 2 && options.limits.high_bytes)
        cgroup_add_value_uint64(mem, "memory.high", options.limits.high_bytes);
      if (mem && g.version_ == 2 && options.limits.swap_max_bytes)
        cgroup_add_value_uint64(mem, "memory.swap.max", *options.limits.swap_max_bytes);
      rc = mem ? cgroup_create_cgroup(cg, 0) : ECGFAIL;
      cgroup_free(&cg);
      if (rc == 0) break;
      rmdir(g.path_.c_str());  // a failed create can leave the directory behind
    }
    if (rc != 0) throw CgroupError("cannot create memory cgroup " + g.path_ + ": " + libcgroup_error(rc));

    if (g.version_ == 1 && options.limits.swap_max_bytes) {
      if (!is_dir(g.path_) || access((g.path_ + "/memory.memsw.limit_in_bytes").c_str(), F_OK) != 0)
        throw CgroupError("a swap limit on v1 needs memsw accounting (boot with swapaccount=1)");
      write_or_throw(g.path_ + "/memory.memsw.limit_in_bytes",
                     std::to_string(options.limits.max_bytes + *options.limits.swap_max_bytes), "memsw limit");
    }
    // libcgroup reports success even for some values the kernel refused:
    // read the limit back.
    if (options.limits.max_bytes) {
      auto got = g.limit_bytes();
      if (!got || *got > options.limits.max_bytes)
        throw CgroupError("the kernel did not apply the memory limit to " + g.path_);
    }
    if (!g.twin_unified_.empty()) {
      if (make_dirs(h.unified_root, g.name_)) g.pressure_path_ = g.twin_unified_ + "/" + facts::kCgroupMemoryPsi;
      else g.twin_unified_.clear();
    }
    if (!g.twin_freezer_.empty() && !make_dirs(h.freezer_root, g.name_)) g.twin_freezer_.clear();
    if (g.version_ == 2) g.pressure_path_ = g.path_ + "/" + facts::kCgroupMemoryPsi;
    if (!g.pressure_path_.empty() && access(g.pressure_path_.c_str(), R_OK) != 0) g.pressure_path_.clear();
  } catch (...) {
    g.remove();
    g.release();
    throw;
  }
  return g;
}

MemoryCgroup::MemoryCgroup(MemoryCgroup&& o) noexcept { *this = std::move(o); }

MemoryCgroup& MemoryCgroup::operator=(MemoryCgroup&& o) noexcept {
  if (this != &o) {
    if (valid()) {
      kill_all_and_wait(std::chrono::seconds(10));
      remove();
    }
    name_ = std::move(o.name_), path_ = std::move(o.path_), pressure_path_ = std::move(o.pressure_path_);
    twin_unified_ = std::move(o.twin_unified_), twin_freezer_ = std::move(o.twin_freezer_);
    version_ = o.version_;
    registry_slot_ = o.registry_slot_;
    o.release();
  }
  return *this;
}

MemoryCgroup::~MemoryCgroup() {
  if (!valid()) return;
  kill_all_and_wait(std::chrono::seconds(10));
  remove();  // false: tasks survived; stays registered for the atexit path
}

void MemoryCgroup::release() noexcept {
  name_.clear(), path_.clear(), pressure_path_.clear(), twin_unified_.clear(), twin_freezer_.clear();
  registry_slot_ = -1;
}

void MemoryCgroup::move_process(pid_t pid) {
  const std::string spid = std::to_string(pid);
  write_or_throw(path_ + "/cgroup.procs", spid, "the cgroup of process " + spid);
  if (version_ == 1) {
    // cgroup.procs moves the thread group; a thread created during the move
    // by a not-yet-moved thread can stay behind: check every tid.
    const std::string want = ":memory:/" + name_ + "\n";
    for (int round = 0; round < 3; ++round) {
      bool all_in = true;
      for (pid_t tid : read_pid_list_dir("/proc/" + spid + "/task")) {
        auto cg = read_proc_file("/proc/" + spid + "/task/" + std::to_string(tid) + "/cgroup");
        if (cg && cg->find(want) == std::string::npos) {
          all_in = false;
          write_control_file(path_ + "/tasks", std::to_string(tid));
        }
      }
      if (all_in) break;
    }
  }
  for (const std::string& twin : {twin_unified_, twin_freezer_})
    if (!twin.empty()) write_control_file(twin + "/cgroup.procs", spid);  // best effort: degrade
}

std::vector<pid_t> MemoryCgroup::pids() const { return read_pid_list(path_ + "/cgroup.procs"); }

std::vector<pid_t> MemoryCgroup::threads() const {
  return read_pid_list(path_ + (version_ == 2 ? "/cgroup.threads" : "/tasks"));
}

std::uint64_t MemoryCgroup::usage_bytes() const {
  return read_u64(path_ + (version_ == 2 ? "/memory.current" : "/memory.usage_in_bytes"));
}

std::optional<std::uint64_t> MemoryCgroup::limit_bytes() const {
  auto text = read_proc_file(path_ + (version_ == 2 ? "/memory.max" : "/memory.limit_in_bytes"));
  return text ? parse_limit(*text) : std::nullopt;
}

MemoryEvents MemoryCgroup::events() const {
  std::optional<MemoryEvents> e;
  if (version_ == 2) {
    e = parse_memory_events_v2(read_proc_file(path_ + "/memory.events").value_or(""));
  } else {
    e = parse_memory_events_v1(read_proc_file(path_ + "/memory.oom_control").value_or(""),
                               read_proc_file(path_ + "/memory.failcnt").value_or(""));
  }
  return e.value_or(MemoryEvents{});
}

std::optional<facts::PsiReading> MemoryCgroup::pressure() const {
  if (pressure_path_.empty()) return std::nullopt;
  auto text = read_proc_file(pressure_path_);
  return text ? facts::parse_psi(*text) : std::nullopt;
}

bool MemoryCgroup::kill_all_and_wait(std::chrono::milliseconds timeout) {
  if (!valid()) return true;
  return detail::kill_all(path_.c_str(), twin_unified_.c_str(), twin_freezer_.c_str(), version_,
                          static_cast<int>(timeout.count()));
}

bool MemoryCgroup::remove() {
  if (!valid()) return true;
  if (is_dir(path_) && !empty()) return false;
  if (is_dir(path_) && libcgroup_init_once() == 0) {
    // EMPTY_ONLY: libcgroup must not migrate tasks to the root if one
    // slipped in after our check; it fails instead.
    if (struct cgroup* cg = cgroup_new_cgroup(name_.c_str())) {
      if (cgroup_add_controller(cg, "memory")) cgroup_delete_cgroup_ext(cg, CGFLAG_DELETE_EMPTY_ONLY);
      cgroup_free(&cg);
    }
  }
  // libcgroup or not, the kernel has the final word: rmdir fails on a group
  // with tasks.
  if (is_dir(path_) && rmdir(path_.c_str()) != 0 && errno != ENOENT) return false;
  detail::remove_dir_and_parent(twin_unified_.c_str());
  detail::remove_dir_and_parent(twin_freezer_.c_str());
  detail::remove_dir_and_parent(path_.c_str());  // the group is gone: this removes an empty parent
  detail::registry_remove(registry_slot_);
  release();
  return true;
}

}  // namespace oomlab::cgroups
