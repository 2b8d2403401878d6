// The async-signal-safe teardown: only open/read/write/kill/waitpid/rmdir/
// nanosleep/clock_gettime, fixed buffers, no allocation. Used from signal
// handlers and the guardian as well as from the normal destructor path.
#include <cerrno>
#include <csignal>
#include <cstring>
#include <ctime>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "registry.hpp"

namespace oomlab::cgroups::detail {
namespace {

long now_ms() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

void sleep_ms(long ms) {
  timespec ts{ms / 1000, (ms % 1000) * 1000000L};
  while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
  }
}

// dir + "/" + file into out; false when it does not fit.
bool join(char* out, std::size_t cap, const char* dir, const char* file) {
  std::size_t a = strlen(dir), b = strlen(file);
  if (a + 1 + b + 1 > cap) return false;
  memcpy(out, dir, a);
  out[a] = '/';
  memcpy(out + a + 1, file, b + 1);
  return true;
}

bool write_file(const char* dir, const char* file, const char* value) {
  char path[512];
  if (!join(path, sizeof path, dir, file)) return false;
  int fd = open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0) return false;
  ssize_t n = write(fd, value, strlen(value));
  close(fd);
  return n == static_cast<ssize_t>(strlen(value));
}

// Pids we signalled, so our own children among them can be reaped once the
// group is empty (a killed task leaves cgroup.procs slightly before it
// becomes a zombie).
struct Killed {
  pid_t pids[256];
  int n = 0;
  void add(pid_t p) {
    for (int i = 0; i < n; ++i)
      if (pids[i] == p) return;
    if (n < 256) pids[n++] = p;
  }
};

void kill_one(long pid, Killed& killed) {
  kill(static_cast<pid_t>(pid), SIGKILL);
  killed.add(static_cast<pid_t>(pid));
}

// Sends SIGKILL to every pid in dir/cgroup.procs. Returns how many pids were
// listed, -1 when the file is unreadable (group gone).
int kill_listed(const char* dir, Killed& killed) {
  char path[512];
  if (!join(path, sizeof path, dir, "cgroup.procs")) return -1;
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  char buf[4096];
  int listed = 0;
  long pid = 0;
  bool in_number = false;
  for (;;) {
    ssize_t n = read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    for (ssize_t i = 0; i < n; ++i) {
      char c = buf[i];
      if (c >= '0' && c <= '9') {
        pid = pid * 10 + (c - '0');
        in_number = true;
      } else if (in_number) {
        if (pid > 0) {
          kill_one(pid, killed);
          ++listed;
        }
        pid = 0;
        in_number = false;
      }
    }
  }
  if (in_number && pid > 0) {
    kill_one(pid, killed);
    ++listed;
  }
  close(fd);
  return listed;
}

bool exists(const char* dir) {
  struct stat st{};
  return dir && *dir && stat(dir, &st) == 0;
}

}  // namespace

bool kill_all(const char* memory, const char* unified, const char* freezer, int version,
              int timeout_ms) noexcept {
  const long deadline = now_ms() + timeout_ms;
  // cgroup.kill (v2, >= 5.14) kills atomically, forks included.
  bool have_kill = version == 2 && write_file(memory, "cgroup.kill", "1");
  bool have_freezer = exists(freezer);
  Killed killed;
  for (;;) {
    if (have_freezer) write_file(freezer, "freezer.state", "FROZEN");
    if (version == 2 && !have_kill) write_file(memory, "cgroup.freeze", "1");
    int left = 0;
    for (const char* dir : {memory, unified, freezer}) {
      if (!exists(dir)) continue;
      int n = kill_listed(dir, killed);
      if (n > 0) left += n;
    }
    // Frozen tasks only act on SIGKILL once thawed.
    if (have_freezer) write_file(freezer, "freezer.state", "THAWED");
    if (version == 2 && !have_kill) write_file(memory, "cgroup.freeze", "0");
    if (left == 0) {
      // Blocking is safe: a pid that is not our child gives ECHILD at once,
      // one that is has been killed and is about to be a zombie.
      for (int i = 0; i < killed.n; ++i)
        while (waitpid(killed.pids[i], nullptr, __WALL) < 0 && errno == EINTR) {
        }
      return true;
    }
    if (now_ms() >= deadline) return false;
    sleep_ms(5);
  }
}

bool remove_dir_and_parent(const char* dir) noexcept {
  if (!dir || !*dir) return true;
  if (rmdir(dir) != 0 && errno != ENOENT) return false;
  char parent[512];
  std::size_t n = strlen(dir);
  if (n >= sizeof parent) return true;
  memcpy(parent, dir, n + 1);
  char* slash = strrchr(parent, '/');
  if (slash && slash != parent) {
    *slash = '\0';
    // Only a parent of our own making ("oomlab..."): never a user's group.
    const char* base = strrchr(parent, '/');
    if (base && strncmp(base + 1, "oomlab", 6) == 0)
      rmdir(parent);  // fails with EBUSY while other groups live there: fine
  }
  return true;
}

bool force_remove(const char* memory, const char* unified, const char* freezer, int version,
                  int timeout_ms) noexcept {
  if (!kill_all(memory, unified, freezer, version, timeout_ms)) return false;
  remove_dir_and_parent(unified);
  remove_dir_and_parent(freezer);
  return remove_dir_and_parent(memory);
}

}  // namespace oomlab::cgroups::detail
