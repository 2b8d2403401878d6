#include "oomlab/watchdog/system.hpp"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "oomlab/common/procfs.hpp"

#ifndef MCL_ONFAULT
#define MCL_ONFAULT 4
#endif

namespace oomlab::watchdog {

bool sd_notify(std::string_view state) {
  const char* path = std::getenv("NOTIFY_SOCKET");
  if (!path || !*path) return false;
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::size_t len = std::strlen(path);
  if (len >= sizeof addr.sun_path) return false;
  std::memcpy(addr.sun_path, path, len);
  if (path[0] == '@') addr.sun_path[0] = 0;  // abstract namespace
  int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  ssize_t n = ::sendto(fd, state.data(), state.size(), MSG_NOSIGNAL, reinterpret_cast<sockaddr*>(&addr),
                       static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + len));
  ::close(fd);
  return n == static_cast<ssize_t>(state.size());
}

std::chrono::microseconds sd_watchdog_interval() {
  const char* usec = std::getenv("WATCHDOG_USEC");
  const char* pid = std::getenv("WATCHDOG_PID");
  if (!usec) return std::chrono::microseconds(0);
  if (pid && std::atol(pid) != ::getpid()) return std::chrono::microseconds(0);
  long long v = std::atoll(usec);
  return std::chrono::microseconds(v > 0 ? v / 2 : 0);
}

std::string protect_self() {
  std::string summary;
  if (::mlockall(MCL_CURRENT | MCL_FUTURE | MCL_ONFAULT) == 0) {
    summary = "memory locked (onfault)";
  } else if (::mlockall(MCL_CURRENT | MCL_FUTURE) == 0) {
    summary = "memory locked";
  } else {
    summary = std::string("mlockall failed (") + std::strerror(errno) + ")";
  }
  int err = write_control_file("/proc/self/oom_score_adj", "-1000");
  summary += err == 0 ? ", oom_score_adj -1000" : std::string(", oom_score_adj unchanged (") + std::strerror(err) + ")";
  return summary;
}

bool sysrq(char command) {
  char c[1] = {command};
  return write_control_file("/proc/sysrq-trigger", std::string_view(c, 1)) == 0;
}

}  // namespace oomlab::watchdog
