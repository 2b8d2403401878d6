// Who keeps memory alive that no OOM kill frees. shmem pages (memfd, tmpfs,
// /dev/shm, SysV) belong to the file, not to the process that touched them;
// unread pipe buffers are kernel memory in nobody's RSS. The OOM killer picks
// by RSS, kills a mapper or a bystander, and the memory stays: the group's
// kills repeat and free nothing (shmem-fill, pipe-fill). What frees it is the
// death of every process that keeps the file or pipe open.
//
// Found only through reads that never wait for a target's mmap lock:
// readlink of /proc/PID/fd/N (the link names: "/memfd:NAME (deleted)",
// "/dev/shm/x", "pipe:[INODE]"), stat() through that link (the open file's
// inode, size and blocks) and, for pipes, FIONREAD on a pidfd_getfd copy of
// the descriptor (the pipe's own mutex). Not maps/map_files (mmap lock): a
// file that is only mapped, its descriptor closed, is not seen.
#pragma once
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <sys/stat.h>
#include <sys/types.h>
#include <vector>

namespace oomlab::watchdog {

enum class HeldKind { Shmem, Pipe };

// One shmem file or pipe kept alive by descriptors of the scanned processes.
struct HeldObject {
  HeldKind kind = HeldKind::Shmem;
  std::string name;  // the fd link text
  std::uint64_t dev = 0, ino = 0;
  std::optional<std::uint64_t> bytes;  // shmem: st_blocks * 512; pipe: unread bytes; nullopt: not readable
  std::vector<pid_t> holders;          // sorted, unique
};

// The reads beyond readlink, replaceable by the tests' fake /proc tree.
struct HolderProbes {
  // stat() through /proc/PID/fd/N (follows the link to the open file).
  std::function<bool(const std::string& fd_path, struct stat& st)> stat_fd;
  // Unread bytes in the pipe open as descriptor fd of pid; nullopt when not readable.
  std::function<std::optional<std::uint64_t>(pid_t pid, int fd)> pipe_unread;
};
HolderProbes real_holder_probes();

// tmpfs mount points in a /proc/self/mounts text (cgroup and sysfs-like
// mounts excluded: they hold no user data).
std::vector<std::string> tmpfs_mounts(std::string_view mounts_text);

// Whether an fd link names a file whose pages are shmem: a memfd, a SysV
// segment, /dev/shm, or a path on one of the tmpfs mounts.
bool is_shmem_link(std::string_view link, const std::vector<std::string>& tmpfs);

// The pipe inode in "pipe:[123]", 0 when link is not a pipe.
std::uint64_t pipe_inode(std::string_view link);

// The shmem files and pipes held open by pids (at most max_fds descriptors
// read per process). Objects are merged by inode across processes.
std::vector<HeldObject> find_held(const std::vector<pid_t>& pids, const std::string& proc_root,
                                  const std::vector<std::string>& tmpfs, const HolderProbes& probes,
                                  std::size_t max_fds = 4096);

// Objects with the same holders: the set of processes whose deaths free them
// together (a file stays until its last holder dies).
struct Holding {
  std::vector<pid_t> holders;
  std::uint64_t bytes = 0;  // known bytes, plus one page per object whose size is not readable
  std::size_t files = 0, pipes = 0;
  bool all_known = true;  // every object's size was read
  std::string largest;    // name of the largest shmem file, else of the largest pipe
  std::uint64_t largest_bytes = 0;
};
// Sorted by bytes, largest first.
std::vector<Holding> holdings_of(const std::vector<HeldObject>& objects);

// "220.0 MiB in 218 pipe(s)", "57.6 MiB in /memfd:x (deleted) and 1 pipe(s)",
// "9.0 MiB or more in 2 shmem files (largest /dev/shm/a)".
std::string describe(const Holding& h);

// A shmem file nobody holds open: a tmpfs file that outlives its writers.
struct UnheldFile {
  std::string path;
  std::uint64_t bytes = 0;
};
// Regular files of at least min_bytes directly in the tmpfs mounts (and one
// level below, at most max_entries per mount) whose inode is not in `held`.
std::vector<UnheldFile> unheld_tmpfs_files(const std::vector<std::string>& tmpfs, const std::vector<HeldObject>& held,
                                           std::uint64_t min_bytes, std::size_t max_entries = 512);

}  // namespace oomlab::watchdog
