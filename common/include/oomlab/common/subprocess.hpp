// Running another program to completion: the runner runs oomlab-analyze on a
// log slice, the VM harness runs apt-get/dpkg-deb/mkfs, tests run the CLIs.
// The child gets its own process group so a timeout kills everything it
// started, and it is always reaped: no zombie, no stray grandchild on timeout.
#pragma once
#include <chrono>
#include <string>
#include <utility>
#include <vector>

namespace oomlab {

struct ProcessSpec {
  ProcessSpec() = default;
  ProcessSpec(std::vector<std::string> args) : argv(std::move(args)) {}  // NOLINT: implicit on purpose
  std::vector<std::string> argv;            // argv[0] searched in PATH when it has no '/'
  std::string stdin_data;                   // written to the child's stdin, then closed
  std::chrono::milliseconds timeout{0};     // 0 = none; on expiry the process group gets SIGKILL
  std::vector<std::pair<std::string, std::string>> env;  // added to / overriding the environment
  std::string cwd;                          // empty = inherit
};

struct ProcessResult {
  int exit_code = -1;   // exit status, -1 when killed by a signal
  int signal = 0;       // terminating signal, 0 when it exited
  bool timed_out = false;
  std::string out, err;
};

// Throws std::system_error when the child cannot be created, and
// std::invalid_argument for an empty argv. A program that cannot be executed
// exits 127 with the reason on its stderr (like a shell).
ProcessResult run_process(const ProcessSpec& spec);

// Directory of /proc/self/exe: where the sibling oomlab binaries live.
std::string self_exe_dir();

}  // namespace oomlab
