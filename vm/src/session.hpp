// One run of qemu: spawn it in its own process group (dying with us even on
// SIGKILL), copy the serial console to a log as it arrives, and end it by the
// rules of the harness:
//  - the guest powers off: done;
//  - no console output for the stall timeout once the guest's init runs, or
//    the hard deadline is near:
//    send sysrq t, w, m over the serial line, collect the dumps, SIGKILL;
//  - SIGINT/SIGTERM/SIGHUP to the harness: SIGKILL qemu at once.
// qemu is always reaped before run_session returns.
#pragma once
#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace oomlab::vm {

struct SessionConfig {
  std::vector<std::string> argv;
  std::string serial_log_path;  // written as the console arrives ('\r' dropped)
  std::string stderr_path;      // qemu's own stderr
  std::chrono::milliseconds timeout{180000};
  std::chrono::milliseconds stall_timeout{30000};
  std::string boot_marker;      // the line that says "the guest's init runs"
  bool echo_console = false;
};

enum class SessionEnd {
  exited,       // qemu exited on its own (the guest powered off, or qemu failed)
  stalled,      // no console output for the stall timeout: dumped and killed
  timed_out,    // the hard deadline: dumped and killed
  interrupted,  // a signal to the harness
};
const char* to_string(SessionEnd e);

struct SessionResult {
  SessionEnd end = SessionEnd::exited;
  int exit_code = -1;  // qemu's, -1 when killed
  int signal = 0;      // signal that ended the harness's wait (interrupted)
  std::string serial;  // the whole console ('\r' dropped)
  std::string qemu_stderr;
  std::int64_t boot_ms = -1;     // spawn to boot_marker, -1 when never seen
  std::int64_t elapsed_ms = 0;   // spawn to reaped
  std::vector<std::string> sysrq_sent;  // letters, in order
};

// Throws std::system_error when qemu cannot be started at all.
SessionResult run_session(const SessionConfig& config);

}  // namespace oomlab::vm
