// A long-running child (a guard daemon or the scenario runner) whose stdout
// and stderr lines are collected with the wall-clock time they arrived, while
// the caller keeps sampling. run_process() in common/ waits for its child to
// end, which a daemon never does; this is its non-blocking counterpart.
#pragma once
#include <cstdint>
#include <string>
#include <sys/types.h>
#include <vector>

#include "oomlab/formats/peers_runs.hpp"

namespace oomlab::peers {

// A line and when it was read (pipe latency: < 1 ms when idle); the type the
// guard record that `wrap` writes carries (formats/peers_runs.hpp).
using TimedLine = formats::PeersGuardLine;

class Child {
 public:
  // Starts argv (argv[0] searched in PATH) in its own process group with
  // stdout+stderr on one pipe and PR_SET_PDEATHSIG(SIGKILL): the harness
  // dying takes its children along. Throws std::system_error.
  explicit Child(const std::vector<std::string>& argv);
  ~Child();  // stop() if still running
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;

  pid_t pid() const { return pid_; }
  // Reads whatever output is ready, waiting at most timeout_ms for some.
  void pump(int timeout_ms);
  // Non-blocking: true once the child has exited (and was reaped).
  bool exited();
  // SIGTERM to the group, then SIGKILL after grace_ms; reaps; drains output.
  void stop(int grace_ms = 2000);
  int exit_status() const { return status_; }  // waitpid status, -1 before exit
  const std::vector<TimedLine>& lines() const { return lines_; }

 private:
  void drain_buffer(bool flush_partial);
  pid_t pid_ = -1;
  int out_fd_ = -1;
  int status_ = -1;
  bool reaped_ = false;
  std::string partial_;
  std::vector<TimedLine> lines_;
};

}  // namespace oomlab::peers
