// Last-resort cleanup of the groups this process owns, for the paths where a
// destructor never runs: fatal signals, std::terminate, exit() from a deep
// place, and SIGKILL of the owner (the guardian process).
#pragma once
#include <string>

namespace oomlab::cgroups {

// Kills every task in every registered group and removes the groups.
// Async-signal-safe (open/read/kill/rmdir/nanosleep only); waits at most
// ~3 s per group.
void emergency_cleanup() noexcept;

// Installs emergency_cleanup() for SIGSEGV/SIGBUS/SIGILL/SIGFPE/SIGABRT
// (then re-raises with the default action), std::set_terminate and atexit.
// SIGINT/SIGTERM are left to the program (the runner stops in order).
void install_crash_cleanup();

// Forks a small guardian process that outlives this one: it learns about
// every group this process registers, and when this process dies - even by
// SIGKILL - it kills and removes the groups that are still there. Idempotent.
// Call it before creating groups and before starting threads. Returns false
// (with the reason in *error) when it cannot fork.
bool start_guardian(std::string* error = nullptr);

// The guardian's pid, or -1 (tests).
int guardian_pid();

}  // namespace oomlab::cgroups
