// The guardian: a tiny process forked before any group exists. The owner
// tells it over a socket which groups it creates and removes; when the owner
// dies (pidfd becomes readable - this works for SIGKILL too), the guardian
// kills and removes whatever is still registered, then exits. It sits in its
// own process group so a terminal's Ctrl-C does not take it down with the
// owner before it has done its job.
#include <cerrno>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <map>
#include <poll.h>
#include <string>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "oomlab/cgroups/cleanup.hpp"
#include "registry.hpp"

namespace oomlab::cgroups {
namespace {

int g_guardian_fd = -1;  // owner's end of the socket
pid_t g_guardian_pid = -1;

// "+V\tMEMORY\tUNIFIED\tFREEZER\n" or "-MEMORY\n"
void send_line(const std::string& line) {
  if (g_guardian_fd < 0) return;
  const char* p = line.data();
  std::size_t left = line.size();
  while (left > 0) {
    ssize_t n = send(g_guardian_fd, p, left, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // guardian gone: nothing more to do
    p += n;
    left -= static_cast<std::size_t>(n);
  }
}

void apply_line(std::map<std::string, detail::GroupPaths>& groups, const std::string& line) {
  if (line.size() < 2) return;
  if (line[0] == '-') {
    groups.erase(line.substr(1));
    return;
  }
  if (line[0] != '+') return;
  detail::GroupPaths g;
  std::size_t a = line.find('\t'), b = line.find('\t', a + 1), c = line.find('\t', b + 1);
  if (a == std::string::npos || b == std::string::npos || c == std::string::npos) return;
  g.version = line[1] - '0';
  g.memory = line.substr(a + 1, b - a - 1);
  g.unified_twin = line.substr(b + 1, c - b - 1);
  g.freezer_twin = line.substr(c + 1);
  groups[g.memory] = g;
}

[[noreturn]] void guardian_main(int sock, pid_t owner) {
  setpgid(0, 0);
  prctl(PR_SET_NAME, "oomlab-guardian", 0, 0, 0);
  for (int sig : {SIGINT, SIGQUIT, SIGHUP, SIGPIPE, SIGTSTP, SIGTTIN, SIGTTOU}) signal(sig, SIG_IGN);
  int devnull = open("/dev/null", O_RDWR);
  if (devnull >= 0) {
    dup2(devnull, 0), dup2(devnull, 1), dup2(devnull, 2);
  }
  // Keep no other descriptor of the owner open (pipes a caller waits on).
  dup2(sock, 3);
  sock = 3;
  syscall(SYS_close_range, 4U, ~0U, 0U);
  int pidfd = static_cast<int>(syscall(SYS_pidfd_open, owner, 0));
  std::map<std::string, detail::GroupPaths> groups;
  std::string pending;
  bool owner_gone = getppid() != owner;
  bool sock_open = true;
  while (!owner_gone) {
    pollfd fds[2] = {{sock, POLLIN, 0}, {pidfd, POLLIN, 0}};
    int n = poll(fds, pidfd >= 0 ? 2 : 1, pidfd >= 0 ? -1 : 200);
    if (n < 0 && errno != EINTR) break;
    if (sock_open && (fds[0].revents & (POLLIN | POLLHUP))) {
      char buf[4096];
      ssize_t r = read(sock, buf, sizeof buf);
      if (r <= 0) {
        sock_open = false;  // owner closed it (exec, exit): rely on pidfd/ppid now
        fds[0].fd = -1;
      } else {
        pending.append(buf, static_cast<std::size_t>(r));
        for (std::size_t nl; (nl = pending.find('\n')) != std::string::npos;) {
          apply_line(groups, pending.substr(0, nl));
          pending.erase(0, nl + 1);
        }
      }
      if (!sock_open && pidfd < 0) owner_gone = true;
      if (!sock_open && pidfd >= 0) {
        // Wait on the pidfd alone from now on.
        pollfd only{pidfd, POLLIN, 0};
        while (poll(&only, 1, -1) < 0 && errno == EINTR) {
        }
        owner_gone = true;
      }
    }
    if (pidfd >= 0 && (fds[1].revents & POLLIN)) owner_gone = true;
    if (pidfd < 0 && getppid() != owner) owner_gone = true;
  }
  // Drain what the owner sent before it died (its last removals).
  if (sock_open) {
    fcntl(sock, F_SETFL, O_NONBLOCK);
    char buf[4096];
    for (ssize_t r; (r = read(sock, buf, sizeof buf)) > 0;) pending.append(buf, static_cast<std::size_t>(r));
    for (std::size_t nl; (nl = pending.find('\n')) != std::string::npos;) {
      apply_line(groups, pending.substr(0, nl));
      pending.erase(0, nl + 1);
    }
  }
  for (auto& [path, g] : groups)
    detail::force_remove(g.memory.c_str(), g.unified_twin.c_str(), g.freezer_twin.c_str(), g.version, 10000);
  _exit(0);
}

}  // namespace

namespace detail {

void guardian_notify_add(const GroupPaths& g) {
  send_line("+" + std::to_string(g.version) + "\t" + g.memory + "\t" + g.unified_twin + "\t" + g.freezer_twin +
            "\n");
}

void guardian_notify_remove(const std::string& memory) { send_line("-" + memory + "\n"); }

}  // namespace detail

bool start_guardian(std::string* error) {
  if (g_guardian_fd >= 0) return true;
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
    if (error) *error = std::string("socketpair: ") + strerror(errno);
    return false;
  }
  pid_t owner = getpid();
  pid_t pid = fork();
  if (pid < 0) {
    if (error) *error = std::string("fork: ") + strerror(errno);
    close(sv[0]), close(sv[1]);
    return false;
  }
  if (pid == 0) {
    close(sv[0]);
    guardian_main(sv[1], owner);
  }
  close(sv[1]);
  g_guardian_fd = sv[0];
  g_guardian_pid = pid;
  return true;
}

int guardian_pid() { return g_guardian_pid; }

}  // namespace oomlab::cgroups
