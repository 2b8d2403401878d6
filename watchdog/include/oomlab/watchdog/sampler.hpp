// One pass over every task in /proc. Reads only files that never take the
// target's mmap lock (stat, wchan, stack: see common/procfs.hpp), through
// oomlab::read_proc_file_into, into memory allocated once at construction:
// the scan itself never allocates, so it runs when the system cannot.
//
// Cost model: one stat read per process; the task/ directory is listed only
// for multi-threaded processes; wchan (and the stack, when wchan says
// nothing) only for tasks that are blocked (D) or dying. With a taskstats
// client and kernel.task_delayacct on, one netlink query per blocked, dying
// or running task (running ones capped per scan): a task looping in reclaim
// is runnable, and only its delay totals show where its time goes. (Each
// query allocates its netlink messages inside libnl: with delay accounting
// on, the scan is no longer allocation-free.)
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "oomlab/watchdog/task_sample.hpp"

namespace oomlab::watchdog {

struct ScanStats {
  std::size_t tasks = 0;      // sampled
  std::size_t dropped = 0;    // did not fit in max_tasks
  std::size_t detailed = 0;   // wchan/stack read
  std::size_t delay_queries = 0;  // taskstats queries answered
  bool delayacct = false;     // kernel.task_delayacct was on and queried
  std::int64_t duration_us = 0;
};

class Sampler {
 public:
  Sampler(std::string proc_root, std::size_t max_tasks, bool read_stack);

  // Replaces out's contents (capacity is reserved once; never grows).
  ScanStats scan(std::vector<TaskSample>& out);

  // Samples only these processes (and their threads) the way scan() samples
  // each task, without delay accounting: the idle probe of the watched
  // groups (group_probe.hpp). Replaces out's contents.
  ScanStats sample(const std::vector<pid_t>& pids, std::vector<TaskSample>& out);

  std::size_t capacity() const { return max_tasks_; }

  // Delay accounting through c (owned by the caller, used on the scan's
  // thread only); nullptr turns it off. At most max_running runnable tasks
  // are queried per scan (blocked and dying ones always).
  void set_taskstats(TaskstatsClient* c, std::size_t max_running = 64) {
    taskstats_ = c;
    max_running_queries_ = max_running;
  }

 private:
  void sample_process(pid_t pid, std::vector<TaskSample>& out, ScanStats& stats);
  void inspect(TaskSample& t, ScanStats& stats);  // detail and delays of one task (not ours)
  void add_detail(TaskSample& t, ScanStats& stats);
  void add_delays(TaskSample& t, ScanStats& stats);

  std::string proc_root_;
  std::size_t max_tasks_;
  bool read_stack_;
  pid_t self_;
  std::vector<char> dents_proc_, dents_task_;  // getdents64 buffers
  std::vector<char> text_;                     // file contents
  std::string delayacct_path_;                 // kernel.task_delayacct under proc_root_
  TaskstatsClient* taskstats_ = nullptr;
  std::size_t max_running_queries_ = 64;
  std::size_t running_queries_ = 0;            // in this scan
  bool delayacct_on_ = false;                  // kernel.task_delayacct, read per scan
};

// Kernel threads, zombies and the watchdog itself are never stall
// candidates; a blocked or dying user task is.
bool needs_detail(const TaskSample& t);

}  // namespace oomlab::watchdog
