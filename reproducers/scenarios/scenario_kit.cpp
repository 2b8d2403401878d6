#include "scenario_kit.hpp"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <linux/magic.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

#include "oomlab/common/procfs.hpp"
#include "oomlab/common/units.hpp"

namespace oomlab::repro::kit {

std::string Options::text(const std::string& name) const {
  auto it = params_.options.find(name);
  if (it == params_.options.end()) throw WorkloadError("missing option --" + name);
  return it->second;
}

long Options::integer(const std::string& name, long min, long max) const {
  const std::string t = text(name);
  long v = 0;
  auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
  if (ec != std::errc{} || end != t.data() + t.size() || v < min || v > max)
    throw WorkloadError("--" + name + " must be an integer in [" + std::to_string(min) + ", " +
                        std::to_string(max) + "], got '" + t + "'");
  return v;
}

std::uint64_t Options::size(const std::string& name, bool allow_zero) const {
  const std::string t = text(name);
  if (allow_zero && t == "0") return 0;
  if (!t.empty() && t.back() == '%') {
    unsigned pct = 0;
    auto [end, ec] = std::from_chars(t.data(), t.data() + t.size() - 1, pct);
    if (ec != std::errc{} || end != t.data() + t.size() - 1 || (pct == 0 && !allow_zero) || pct > 10000)
      throw WorkloadError("--" + name + ": bad percentage '" + t + "'");
    if (params_.limit_bytes == 0)
      throw WorkloadError("--" + name + "=" + t + " is relative to the group limit, and there is none");
    return params_.limit_bytes / 100 * pct;
  }
  auto v = parse_size(t);
  if (!v || *v == 0) throw WorkloadError("--" + name + ": bad size '" + t + "' (e.g. 64M or 150%)");
  return *v;
}

std::string Options::choice(const std::string& name, std::initializer_list<std::string_view> allowed) const {
  const std::string t = text(name);
  std::string list;
  for (auto a : allowed) {
    if (t == a) return t;
    list += (list.empty() ? "" : "|") + std::string(a);
  }
  throw WorkloadError("--" + name + " must be one of " + list + ", got '" + t + "'");
}

bool Options::flag(const std::string& name) const {
  const std::string t = text(name);
  if (t == "yes" || t == "true" || t == "1") return true;
  if (t == "no" || t == "false" || t == "0") return false;
  throw WorkloadError("--" + name + " must be yes or no, got '" + t + "'");
}

int guarded(std::string_view scenario, const std::function<int()>& body) {
  try {
    return body();
  } catch (const WorkloadError& e) {
    std::fprintf(stderr, "oomlab-repro: %.*s: %s\n", static_cast<int>(scenario.size()), scenario.data(), e.what());
    return kUsageExit;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "oomlab-repro: %.*s: %s\n", static_cast<int>(scenario.size()), scenario.data(), e.what());
    return 1;
  }
}

void name_task(const char* comm) { ::prctl(PR_SET_NAME, comm, 0, 0, 0); }

void set_oom_score_adj(int value) {
  if (int err = write_control_file("/proc/self/oom_score_adj", std::to_string(value)); err != 0)
    throw WorkloadError("cannot set oom_score_adj " + std::to_string(value) + ": " + std::strerror(err) +
                        (err == EACCES ? " (going below the inherited value needs CAP_SYS_RESOURCE)" : ""));
}

pid_t spawn(const std::function<int()>& body) {
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid < 0) throw WorkloadError(std::string("fork: ") + std::strerror(errno));
  if (pid > 0) return pid;
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (::getppid() != parent) ::_exit(1);  // the parent died before prctl
  int rc = 1;
  try {
    rc = body();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "oomlab-repro: workload child: %s\n", e.what());
  }
  ::_exit(rc);
}

pid_t spawn_until_ready(const std::function<int(int)>& body, std::string* line) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) throw WorkloadError(std::string("pipe2: ") + std::strerror(errno));
  pid_t pid;
  try {
    pid = spawn([&] {
      ::close(fds[0]);
      return body(fds[1]);
    });
  } catch (...) {
    ::close(fds[0]);
    ::close(fds[1]);
    throw;
  }
  ::close(fds[1]);
  std::string text;
  char buf[256];
  for (;;) {
    ssize_t n = ::read(fds[0], buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    text.append(buf, static_cast<std::size_t>(n));
    if (text.find('\n') != std::string::npos) break;
  }
  ::close(fds[0]);
  if (auto nl = text.find('\n'); nl != std::string::npos) text.resize(nl);
  if (line) *line = text;
  return pid;
}

void signal_ready(int ready_fd, const std::string& text) {
  const std::string msg = text + "\n";
  (void)!::write(ready_fd, msg.data(), msg.size());
  ::close(ready_fd);
}

pid_t clone_vm_task(int (*fn)(void*), void* arg, std::size_t stack_bytes) {
  void* stack = ::mmap(nullptr, stack_bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
  if (stack == MAP_FAILED) throw WorkloadError(std::string("mmap stack: ") + std::strerror(errno));
  const int flags = CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD | CLONE_SYSVSEM;
  const pid_t tid = ::clone(fn, static_cast<char*>(stack) + stack_bytes, flags, arg);
  if (tid < 0) throw WorkloadError(std::string("clone: ") + std::strerror(errno));
  return tid;
}

void touch_pages(void* addr, std::size_t bytes) {
  const long page = ::sysconf(_SC_PAGESIZE);
  auto* p = static_cast<volatile char*>(addr);
  for (std::size_t off = 0; off < bytes; off += static_cast<std::size_t>(page)) p[off] = 1;
}

int hold_anon_ballast(std::size_t bytes, int ready_fd) {
  name_task("anon-ballast");
  void* p = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) return 1;
  touch_pages(p, bytes);
  signal_ready(ready_fd);
  sleep_forever();
}

pid_t wait_any_child(int* status) {
  int st = 0;
  pid_t pid;
  do {
    pid = ::waitpid(-1, &st, 0);
  } while (pid < 0 && errno == EINTR);
  if (status) *status = st;
  return pid;
}

void sleep_forever() {
  for (;;) ::pause();
}

void write_data_file(const std::string& path, std::size_t bytes) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) throw WorkloadError("cannot create " + path + ": " + std::strerror(errno));
  std::vector<char> block(1 << 20, 't');
  for (std::size_t done = 0; done < bytes;) {
    const std::size_t n = std::min(block.size(), bytes - done);
    block[0] = static_cast<char>(done >> 20);  // not every block identical
    if (::write(fd, block.data(), n) != static_cast<ssize_t>(n)) {
      const int err = errno;
      ::close(fd);
      throw WorkloadError("cannot write " + path + ": " + std::strerror(err));
    }
    done += n;
  }
  ::fdatasync(fd);
  ::posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
  ::close(fd);
}

std::string filesystem_name(const std::string& path) {
  struct statfs st {};
  if (::statfs(path.c_str(), &st) != 0) return "unknown";
  switch (static_cast<unsigned long>(st.f_type)) {
    case TMPFS_MAGIC: return "tmpfs";
    case RAMFS_MAGIC: return "ramfs";
    case EXT4_SUPER_MAGIC: return "ext4";  // also ext2/ext3: same magic
    case XFS_SUPER_MAGIC: return "xfs";
    case BTRFS_SUPER_MAGIC: return "btrfs";
    case OVERLAYFS_SUPER_MAGIC: return "overlayfs";
    default: {
      char buf[32];
      std::snprintf(buf, sizeof buf, "0x%lx", static_cast<unsigned long>(st.f_type));
      return buf;
    }
  }
}

bool is_memory_backed_fs(const std::string& path) {
  const std::string fs = filesystem_name(path);
  return fs == "tmpfs" || fs == "ramfs";
}

std::string read_group_file(const ScenarioParams& params, const std::string& file) {
  if (params.cgroup_path.empty()) return {};
  auto text = read_proc_file(params.cgroup_path + "/" + file);
  return text ? *text : std::string();
}

long long group_stat(const ScenarioParams& params, const std::string& key) {
  const std::string stat = read_group_file(params, "memory.stat");
  for (std::size_t pos = 0; pos < stat.size();) {
    std::size_t eol = stat.find('\n', pos);
    if (eol == std::string::npos) eol = stat.size();
    const std::string_view line(stat.data() + pos, eol - pos);
    if (line.size() > key.size() && line.substr(0, key.size()) == key && line[key.size()] == ' ')
      return std::atoll(std::string(line.substr(key.size() + 1)).c_str());
    pos = eol + 1;
  }
  return -1;
}

}  // namespace oomlab::repro::kit
