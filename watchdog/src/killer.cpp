#include "oomlab/watchdog/killer.hpp"

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <poll.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "oomlab/common/clock.hpp"
#include "oomlab/common/procfs.hpp"
#include "oomlab/watchdog/task_sample.hpp"

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_pidfd_send_signal
#define SYS_pidfd_send_signal 424
#endif
#ifndef SYS_process_mrelease
#define SYS_process_mrelease 448
#endif

namespace oomlab::watchdog {

KillOutcome kill_process(pid_t pid, std::uint64_t expected_starttime) {
  KillOutcome out;
  int fd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
  if (fd < 0) {
    out.error = errno;
    return out;
  }
  if (expected_starttime) {
    // The pidfd pins this pid: if its stat still shows the chosen start
    // time, the pidfd names the chosen process.
    char path[64], buf[1024];
    std::snprintf(path, sizeof path, "/proc/%d/stat", pid);
    long n = read_proc_file_into(path, buf, sizeof buf - 1);
    TaskSample t;
    if (n > 0 && parse_stat(std::string_view(buf, static_cast<std::size_t>(n)), t) && t.starttime != expected_starttime) {
      out.reused = true;
      ::close(fd);
      return out;
    }
  }
  if (::syscall(SYS_pidfd_send_signal, fd, SIGKILL, nullptr, 0) != 0) {
    out.error = errno;
    ::close(fd);
    return out;
  }
  out.signalled_us = monotonic_us();
  out.pidfd = fd;
  return out;
}

int release_memory(int pidfd) {
  return ::syscall(SYS_process_mrelease, pidfd, 0) == 0 ? 0 : errno;
}

bool pidfd_exited(int pidfd) {
  pollfd p{pidfd, POLLIN, 0};
  return ::poll(&p, 1, 0) > 0 && (p.revents & (POLLIN | POLLHUP));
}

}  // namespace oomlab::watchdog
