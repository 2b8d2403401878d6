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

#include "oomlab/facts/cgroup_hierarchy.hpp"
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

// Pids we signalled, so our own children among them can be reaped (0: reaped
// or not ours).
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

// Sends SIGKILL to every pid in dir/file (cgroup.procs; cgroup.threads or
// tasks: kill() of a thread id kills its whole process). Returns how many
// were listed, -1 when the file is unreadable (group gone, no such file).
int kill_listed(const char* dir, Killed& killed, const char* file = "cgroup.procs") {
  char path[512];
  if (!join(path, sizeof path, dir, file)) return -1;
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

// Reads dir/file into buf (NUL-terminated); false when unreadable.
bool read_small(const char* dir, const char* file, char* buf, std::size_t cap) {
  char path[512];
  if (!join(path, sizeof path, dir, file)) return false;
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  std::size_t used = 0;
  for (;;) {
    ssize_t n = read(fd, buf + used, cap - 1 - used);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    used += static_cast<std::size_t>(n);
    if (used == cap - 1) break;
  }
  close(fd);
  buf[used] = '\0';
  return true;
}

// Whether any task, exiting ones included, is still in the group.
// cgroup.procs is not enough: it skips a process once all its threads have
// begun exiting (signal->live == 0), while they may still be in exit_mm()
// freeing a large address space, or waiting for a dying sibling's mmap
// lock; the group stays populated and rmdir fails with EBUSY until the last
// of them passes cgroup_exit(). cgroup.events says "populated 0" exactly
// then (v2 and the cgroup2 twin); v1 has no such file, but its `tasks`
// lists every thread until cgroup_exit().
bool populated(const char* dir) {
  if (!exists(dir)) return false;
  char buf[512];
  if (read_small(dir, "cgroup.events", buf, sizeof buf)) {
    return facts::cgroup_populated(buf).value_or(false);
  }
  if (read_small(dir, "tasks", buf, sizeof buf)) {
    for (const char* c = buf; *c; ++c)
      if (*c >= '0' && *c <= '9') return true;
    return false;
  }
  return false;  // neither file: nothing we can wait for
}

}  // namespace

bool kill_all(const char* memory, const char* unified, const char* freezer, int version,
              int timeout_ms) noexcept {
  const long deadline = now_ms() + timeout_ms;
  Killed killed;
  // List (and SIGKILL) the processes first: those that are our children
  // must be known by pid, because an unreaped zombie keeps the group
  // populated (seen on 6.18: rmdir EBUSY until the parent reaps it), and
  // after cgroup.kill a fast-dying process may never be listed at all.
  for (const char* dir : {memory, unified, freezer})
    if (exists(dir)) kill_listed(dir, killed);
  // cgroup.kill (v2, >= 5.14) kills atomically, forks included.
  bool have_kill = version == 2 && write_file(memory, "cgroup.kill", "1");
  bool have_freezer = exists(freezer);
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
    // Reap our killed children as they die (pids that are not our children
    // give ECHILD at once).
    for (int i = 0; i < killed.n; ++i) {
      if (killed.pids[i] <= 0) continue;
      const pid_t r = waitpid(killed.pids[i], nullptr, WNOHANG | __WALL);
      if (r > 0 || (r < 0 && errno == ECHILD)) killed.pids[i] = 0;
    }
    if (left == 0) {
      // No process listed any more; exiting threads may still be there.
      bool busy = false;
      for (const char* dir : {memory, unified, freezer}) busy = busy || populated(dir);
      if (!busy) return true;
      // Threads whose process is not listed: its leader exited before the
      // process was moved here, so neither cgroup.procs nor cgroup.kill
      // sees it. Exiting threads take the signal harmlessly.
      for (const char* dir : {memory, unified, freezer}) {
        if (!exists(dir)) continue;
        kill_listed(dir, killed, "cgroup.threads");
        kill_listed(dir, killed, "tasks");
      }
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
