// Internal: starting the scenario's workload in a child that waits for the
// runner to put it into the cgroup before it allocates anything.
#pragma once
#include <string>
#include <sys/types.h>

#include "oomlab/repro/scenario.hpp"

namespace oomlab::repro {

struct WorkloadChild {
  pid_t pid = -1;
  int go_fd = -1;  // write one byte to let it start; close to make it exit
};

// Forks. The child dies with the runner (PR_SET_PDEATHSIG), restores default
// signal handling, drops an OOM protection inherited from the runner
// (oomlab/common/oom_protection.hpp), sends its stdout/stderr to `log_path`, and with
// `own_process_group` (no cgroup) leads a process group the runner can kill.
WorkloadChild fork_workload(Scenario& scenario, const ScenarioParams& params, const std::string& log_path,
                            bool own_process_group);
// Lets it run; false when it already died.
bool release_workload(WorkloadChild& child);

}  // namespace oomlab::repro
