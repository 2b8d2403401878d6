// Building blocks shared by the scenario workloads: option parsing with
// one-line errors, child processes that die with their parent, oom_score_adj,
// page touching. Workloads run inside the memory cgroup, in a child of the
// runner: they report through their exit code and one-line messages on stderr.
#pragma once
#include <cstddef>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <stdexcept>
#include <string>
#include <string_view>
#include <sys/types.h>

#include "oomlab/repro/scenario.hpp"

namespace oomlab::repro::kit {

// Exit code of a workload that was given a bad option or an unusable
// environment (mirrors the CLI convention: 2 = usage).
inline constexpr int kUsageExit = 2;

// A workload that cannot run (bad option value, wrong filesystem, missing
// cgroup file). Caught by guarded() and turned into a one-line message.
struct WorkloadError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Typed access to ScenarioParams::options; every getter throws WorkloadError
// naming the option when the text does not parse or is out of range.
class Options {
 public:
  explicit Options(const ScenarioParams& params) : params_(params) {}
  std::string text(const std::string& name) const;
  long integer(const std::string& name, long min, long max) const;
  // "64M" / "1.5G", or "N%" of the group limit (needs a limit); "0" only
  // when allow_zero (e.g. "no ballast").
  std::uint64_t size(const std::string& name, bool allow_zero = false) const;
  std::string choice(const std::string& name, std::initializer_list<std::string_view> allowed) const;
  bool flag(const std::string& name) const;  // yes/no, true/false, 1/0

 private:
  const ScenarioParams& params_;
};

// Runs body(); WorkloadError and any other exception become
// "oomlab-repro: SCENARIO: message" on stderr and exit code 2 / 1.
int guarded(std::string_view scenario, const std::function<int()>& body);

// Sets the task's comm (prctl PR_SET_NAME, 15 chars) so reports, the kernel's
// OOM messages and wchan tables name the role ("zero-hog", "mmap-victim").
void name_task(const char* comm);

// Writes /proc/self/oom_score_adj; throws WorkloadError when refused.
void set_oom_score_adj(int value);

// Forks a child that runs body() and _exit()s with its result. The child gets
// SIGKILL when the forking process dies (PR_SET_PDEATHSIG), so a workload
// started with --unsafe-no-cgroup cannot leave orphans either. Throws
// WorkloadError when fork fails.
pid_t spawn(const std::function<int()>& body);

// Spawns body(ready_fd) and waits until the child writes a line to ready_fd
// (it is set up, e.g. its memory is touched) or exits. Returns the pid; the
// line (empty when the child died first) goes to *line.
pid_t spawn_until_ready(const std::function<int(int ready_fd)>& body, std::string* line = nullptr);
// For the child: writes "text\n" to ready_fd and closes it.
void signal_ready(int ready_fd, const std::string& text = "ready");

// Starts a raw clone(CLONE_VM | CLONE_THREAD | CLONE_SIGHAND) task on its own
// mmap()ed stack: the kind of "thread" the 2015 reproducer used, without
// glibc's pthread bookkeeping. fn must not use thread-local state that matters
// (errno is shared with the creating thread, which is harmless here).
pid_t clone_vm_task(int (*fn)(void*), void* arg, std::size_t stack_bytes = 64 * 1024);

// Writes one byte per page so every page is really allocated and charged.
void touch_pages(void* addr, std::size_t bytes);

// The body of an "anon-ballast" child (page-cache-thrash, mmap-lock-hold):
// maps and touches `bytes` of anonymous memory, which without swap never
// leaves the group, signals ready and sleeps. Returns 1 only if mmap fails.
int hold_anon_ballast(std::size_t bytes, int ready_fd);

// Blocks until a child exits; returns its pid (or -1 with ECHILD).
pid_t wait_any_child(int* status = nullptr);

// Never returns: the runner ends the run by killing the group.
[[noreturn]] void sleep_forever();

// Writes `bytes` of non-zero data (so the filesystem cannot answer reads from
// holes or unwritten extents), syncs it and drops it from the page cache, so
// the first read comes from the disk like every later one.
void write_data_file(const std::string& path, std::size_t bytes);

// statfs f_type name for messages ("tmpfs", "ext4", "0x1234").
std::string filesystem_name(const std::string& path);
bool is_memory_backed_fs(const std::string& path);  // tmpfs, ramfs

// Reads a cgroup control file of the run's group ("memory.high"); empty when
// missing.
std::string read_group_file(const ScenarioParams& params, const std::string& file);
// A value of the group's memory.stat ("shmem", "workingset_refault_file"),
// or -1 when absent.
long long group_stat(const ScenarioParams& params, const std::string& key);

}  // namespace oomlab::repro::kit
