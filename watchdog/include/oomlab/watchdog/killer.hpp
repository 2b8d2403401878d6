// Killing without races: the victim is named by a pidfd (pidfd_open), checked
// to still be the process that was chosen (start time), signalled through
// the pidfd (pidfd_send_signal: a reused pid cannot be hit), and its memory
// reaped right away with process_mrelease (5.15+; ENOSYS/EINVAL on older
// kernels: the kill stands, the reaping is left to the kernel's oom_reaper).
//
// process_mrelease takes the victim's mmap lock for read, so it runs on the
// action worker, never on the event loop.
#pragma once
#include <cstdint>
#include <sys/types.h>

namespace oomlab::watchdog {

struct KillOutcome {
  int pidfd = -1;        // owned by the caller when >= 0 (pinned victim; then exit notification)
  int error = 0;         // errno of pidfd_open/pidfd_send_signal; ESRCH = already gone
  bool reused = false;   // the pid now names another process: nothing was signalled
  std::int64_t signalled_us = 0;  // monotonic time of the signal
};

// At the choice: pidfd_open(pid), then the start time read from
// /proc/PID/stat after the pidfd exists must be expected_starttime (the one
// read with the victim's facts). On a match the returned pidfd (owned by the
// caller) names the chosen process until it is closed, whatever happens to
// the pid number; on a mismatch `reused`, when the stat cannot be read ESRCH,
// and nothing is held. Never blocks.
KillOutcome pin_victim(pid_t pid, std::uint64_t expected_starttime);

// SIGKILL through a pinned victim's pidfd (pidfd_send_signal): that process
// or nobody. Sets signalled_us, or error (and closes the pidfd). A pin that
// failed is returned as it is.
KillOutcome signal_victim(KillOutcome pinned);

// pin_victim + signal_victim at once (the v1 group kill, tests).
KillOutcome kill_process(pid_t pid, std::uint64_t expected_starttime);

// process_mrelease(pidfd): 0 or the errno (ENOSYS on kernels before 5.15).
// May block on the victim's mmap lock: call it on a worker.
int release_memory(int pidfd);

// True once the process behind pidfd has exited (poll, no wait).
bool pidfd_exited(int pidfd);

}  // namespace oomlab::watchdog
