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

KillOutcome pin_victim(pid_t pid, std::uint64_t expected_starttime) {
  KillOutcome out;
  int fd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
  if (fd < 0) {
    out.error = errno;
    return out;
  }
  // The pidfd pins the process that had this pid when it was opened. Its
  // start time, read now (after the pidfd exists), says whether that is the
  // chosen process: a match means the pid was not reused between the facts
  // and the pidfd. No readable start time means no proof: nothing is pinned.
  char path[64], buf[1024];
  std::snprintf(path, sizeof path, "/proc/%d/stat", pid);
  long n = read_proc_file_into(path, buf, sizeof buf - 1);
  TaskSample t;
  if (n <= 0 || !parse_stat(std::string_view(buf, static_cast<std::size_t>(n)), t)) {
    out.error = ESRCH;  // gone (or unreadable) after pidfd_open: not proven to be the chosen one
    ::close(fd);
    return out;
  }
  if (t.starttime != expected_starttime) {
    out.reused = true;
    ::close(fd);
    return out;
  }
  out.pidfd = fd;
  return out;
}

KillOutcome signal_victim(KillOutcome pinned) {
  if (pinned.pidfd < 0) return pinned;
  // Through the pidfd: the pinned process or nobody (ESRCH once it has
  // exited, even when its pid number belongs to another process by now).
  if (::syscall(SYS_pidfd_send_signal, pinned.pidfd, SIGKILL, nullptr, 0) != 0) {
    pinned.error = errno;
    ::close(pinned.pidfd);
    pinned.pidfd = -1;
    return pinned;
  }
  pinned.signalled_us = monotonic_us();
  return pinned;
}

KillOutcome kill_process(pid_t pid, std::uint64_t expected_starttime) {
  return signal_victim(pin_victim(pid, expected_starttime));
}

int release_memory(int pidfd) {
  return ::syscall(SYS_process_mrelease, pidfd, 0) == 0 ? 0 : errno;
}

bool pidfd_exited(int pidfd) {
  pollfd p{pidfd, POLLIN, 0};
  return ::poll(&p, 1, 0) > 0 && (p.revents & (POLLIN | POLLHUP));
}

}  // namespace oomlab::watchdog
