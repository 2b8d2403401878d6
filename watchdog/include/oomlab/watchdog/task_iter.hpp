// The full scan's task list from a BPF task iterator (iter/task, kernel
// 5.8+, BTF): one read() returns what /proc/PID/task/TID/stat says of every
// task, without a /proc file per task (bpf/task_iter.bpf.c writes it).
//
// The program is loaded by a short-lived child (fork): libbpf parses the
// kernel's BTF to relocate it, several MB that would otherwise stay in the
// daemon's peak resident set. The child creates the iterator's link, hands
// its fd back over a socketpair (SCM_RIGHTS) and exits; the daemon only
// calls bpf(BPF_ITER_CREATE) on that fd for each scan and reads the new fd.
// Nothing is pinned: the program goes away with the daemon's last fd.
#pragma once
#include <cstddef>
#include <string>
#include <vector>

#include "oomlab/watchdog/task_sample.hpp"

struct oomlab_task_record;

namespace oomlab::watchdog {

class TaskIter {
 public:
  TaskIter() = default;
  ~TaskIter();
  TaskIter(const TaskIter&) = delete;
  TaskIter& operator=(const TaskIter&) = delete;

  // Loads the iterator (in a child) and checks that its pids are ours (the
  // daemon's own task must be listed under getpid(): not so in a pid
  // namespace other than the initial one). False with the reason.
  bool open(std::string& why);
  bool is_open() const { return link_fd_ >= 0; }
  void close();   // back to no iterator (its program is unloaded with the link)

  struct Pass {
    std::size_t kthreads = 0;  // listed, not returned
    std::size_t dropped = 0;   // did not fit in max
  };
  // Appends every user task (kernel threads counted, not appended), in the
  // iterator's order (by tid). False when the iterator cannot be read.
  bool read(std::vector<TaskSample>& out, std::size_t max, Pass& pass);

 private:
  template <typename F>
  bool for_each_record(F&& f);  // one pass of the iterator, f(const oomlab_task_record&)

  int link_fd_ = -1;
  std::vector<char> buf_;
};

// The /proc meanings of a record, as fs/proc/array.c derives them:
// the state letter, the start time in clock ticks, the pending signals'
// low 31 bits; wchan, kind and delays are left for the scan to fill.
void to_sample(const oomlab_task_record& r, TaskSample& t);
// task_state_index(): "RSDTtXZPI" from __state and exit_state.
char task_state_letter(unsigned state, unsigned exit_state);

}  // namespace oomlab::watchdog
