// A minimal FUSE file system served straight over /dev/fuse (no libfuse): one
// read-only file, "data", whose every READ is answered after a fixed delay.
// It stands for the slow backing stores (NFS, a FUSE daemon, a congested disk)
// that turn a page-in into a long wait - and, on the paths that fault without
// FAULT_FLAG_ALLOW_RETRY, into a long mmap-lock hold (mmap-lock-hold.cpp).
//
// The mount is made in a private mount namespace of the calling process
// (unshare(CLONE_NEWNS) + MS_PRIVATE), so it disappears with the last process
// of the namespace and nothing is left in the host's mount table even when
// the whole group is SIGKILLed; the server dying aborts the connection, which
// releases every waiter.
#pragma once
#include <chrono>
#include <cstdint>
#include <string>
#include <sys/types.h>

namespace oomlab::repro::kit {

struct SlowFuseConfig {
  std::string mount_dir;              // created if missing; the file is mount_dir + "/data"
  std::uint64_t file_bytes = 0;
  std::chrono::milliseconds read_delay{0};
};

// Moves the calling process into a private mount namespace (once), mounts the
// file system on config.mount_dir and forks its server process (named
// "slow-fuse"). Returns the server's pid; throws WorkloadError when FUSE is
// unavailable (no /dev/fuse, no CAP_SYS_ADMIN, mount refused).
pid_t start_slow_fuse(const SlowFuseConfig& config);

}  // namespace oomlab::repro::kit
