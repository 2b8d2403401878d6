// Per-period observation of the workload's tasks: state and wait channel of
// every thread, from /proc/<tid>/stat, wchan and (for D-state tasks whose
// wchan is unhelpful) stack. Never cmdline or maps: those block behind the
// mmap lock this tool is there to watch (PLATFORM.md).
#pragma once
#include <string>
#include <string_view>
#include <sys/types.h>
#include <vector>

#include "oomlab/repro/timeline.hpp"

namespace oomlab::repro {

// The state letter of a /proc/<pid>/stat line ('R', 'S', 'D'...), '?' if malformed.
char parse_stat_state(std::string_view stat);
// The symbol a task waits in: wchan when it names a function, otherwise the
// first frame of `stack` that is not the scheduler itself ("" if none).
std::string wait_symbol(std::string_view wchan, std::string_view stack);
// Reads the threads (bounded to `max_threads`).
TaskStates sample_tasks(const std::vector<pid_t>& tids, std::size_t max_threads = 1024);

}  // namespace oomlab::repro
