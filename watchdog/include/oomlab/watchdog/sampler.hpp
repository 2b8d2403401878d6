// One pass over every task in /proc (or, with use_task_iter, over the BPF
// task iterator's list, /proc read only for blocked and dying tasks). Reads only files that never take the
// target's mmap lock (stat, wchan, stack: see common/procfs.hpp), through
// oomlab::read_proc_file_into, into memory allocated once at construction:
// the scan itself never allocates, so it runs when the system cannot.
//
// Cost model: one stat read per process; the task/ directory is listed only
// for multi-threaded processes; wchan (and the stack, when wchan says
// nothing) only for tasks that are blocked (D) or dying. Measured on a
// 230-task host the scan was ~85% kernel time spent opening, generating and
// closing /proc files and listing /proc, so between scans it keeps:
// - each process's stat file open (pread at offset 0 regenerates it; the
//   fd pins the process, so once it is gone the read fails with ESRCH and a
//   new process with the same pid is opened afresh), up to kMaxKeptFds;
// - which processes are kernel threads: never stall candidates, and a pid
//   stays a kernel thread for its whole life, so they are not read again;
// - the last pid the kernel allocated (/proc/loadavg): while it has not
//   moved no task was created, and /proc is not listed again (tasks that
//   exit show as failed reads).
// Each kept fd costs the kernel ~4 kB (its seq_file buffer). With a taskstats
// client and kernel.task_delayacct on, one netlink query per blocked, dying
// or running task (running ones capped per scan): a task looping in reclaim
// is runnable, and only its delay totals show where its time goes. (Each
// query allocates its netlink messages inside libnl: with delay accounting
// on, the scan is no longer allocation-free.)
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "oomlab/watchdog/task_iter.hpp"
#include "oomlab/watchdog/task_sample.hpp"

namespace oomlab::watchdog {

struct ScanStats {
  std::size_t tasks = 0;      // sampled, plus the kernel threads known from earlier scans (not re-read)
  std::size_t dropped = 0;    // did not fit in max_tasks
  std::size_t detailed = 0;   // wchan/stack read
  std::size_t delay_queries = 0;  // taskstats queries answered
  bool delayacct = false;     // kernel.task_delayacct was on and queried
  bool listed = false;        // /proc was listed (a task was created since the last scan)
  bool bpf = false;           // the task list came from the BPF task iterator
  std::int64_t duration_us = 0;
};

class Sampler {
 public:
  Sampler(std::string proc_root, std::size_t max_tasks, bool read_stack);
  ~Sampler();
  Sampler(const Sampler&) = delete;
  Sampler& operator=(const Sampler&) = delete;

  static constexpr std::size_t kMaxKeptFds = 1024;

  // Replaces out's contents (capacity is reserved once; never grows).
  ScanStats scan(std::vector<TaskSample>& out);

  // Samples only these processes (and their threads) the way scan() samples
  // each task: the idle probe of the watched groups (group_probe.hpp,
  // without delay accounting) and the engine's follow-up scans of what it
  // tracks (with). Replaces out's contents.
  ScanStats sample(const std::vector<pid_t>& pids, std::vector<TaskSample>& out, bool with_delays = false);

  std::size_t capacity() const { return max_tasks_; }

  // scan() takes its task list from the BPF task iterator (task_iter.hpp)
  // instead of /proc: one read() for every task's stat fields; /proc is
  // then read only for the blocked and dying tasks' wchan and stack. Only
  // for the real /proc (a test's proc root has no iterator). False, with
  // the reason, when it cannot be loaded: scan() keeps reading /proc.
  bool use_task_iter(std::string& why);
  // After use_task_iter: "" when the iterator lists every process /proc
  // shows, else what it lacks (--scan auto then keeps /proc).
  std::string task_iter_misses();
  void use_proc() { iter_.close(); }   // full scans read /proc again
  // After use_task_iter: scan() also lists /proc (when a task was created
  // since the last listing) and reads, as a /proc scan does, the processes
  // the iterator lacks (task_iter_misses): the iterator's speed for the
  // rest, and no process /proc shows goes unseen.
  void complete_from_proc() { complete_from_proc_ = true; }
  bool task_iter() const { return iter_.is_open(); }

  // Delay accounting through c (owned by the caller, used on the scan's
  // thread only); nullptr turns it off. At most max_running runnable tasks
  // are queried per scan (blocked and dying ones always).
  void set_taskstats(TaskstatsClient* c, std::size_t max_running = 64) {
    taskstats_ = c;
    max_running_queries_ = max_running;
  }

  // A process seen by the last scan (sorted by pid, as /proc lists them).
  struct Known {
    pid_t pid = 0;
    int fd = -1;  // its stat, open; -1: opened by path at each scan
    bool kthread = false;
  };

 private:
  // Samples one process (k.fd reused or opened); false when it is gone.
  bool sample_known(Known& k, std::vector<TaskSample>& out, ScanStats& stats);
  void forget(Known& k);
  bool tasks_created();  // the last allocated pid moved (or cannot be read)
  bool scan_iter(std::vector<TaskSample>& out, ScanStats& stats);
  // complete_from_proc: appends the processes /proc shows beyond the
  // iterator's (out, sorted by tgid, on entry), keeping /proc's order.
  void add_missing(std::vector<TaskSample>& out, ScanStats& stats);
  bool complete_from_proc_ = false;
  bool listed_once_ = false;
  void sample_process(pid_t pid, std::vector<TaskSample>& out, ScanStats& stats);
  // The process sampled (detail, delays), then its other threads.
  void sample_parsed(TaskSample& proc, std::vector<TaskSample>& out, ScanStats& stats);
  void inspect(TaskSample& t, ScanStats& stats);  // detail and delays of one task (not ours)
  void add_detail(TaskSample& t, ScanStats& stats);
  void add_delays(TaskSample& t, ScanStats& stats);

  std::string proc_root_;
  std::size_t max_tasks_;
  bool read_stack_;
  pid_t self_;
  // /proc/PID/stat read by path and parsed into t (tgid = pid); false when
  // gone. (A scan's kept fds go through sample_known instead; both judge a
  // kernel thread by TaskSample::kernel_thread.)
  bool read_process_stat(pid_t pid, TaskSample& t);
  std::vector<char> dents_proc_, dents_task_;  // getdents64 buffers
  std::vector<char> text_;                     // file contents
  std::string delayacct_path_;                 // kernel.task_delayacct under proc_root_
  TaskstatsClient* taskstats_ = nullptr;
  std::size_t max_running_queries_ = 64;
  std::size_t running_queries_ = 0;            // in this scan
  bool delayacct_on_ = false;                  // kernel.task_delayacct, read per scan
  int proc_fd_ = -1;                           // proc_root_, listed by lseek + getdents
  std::string loadavg_path_;
  long last_pid_ = -1;                         // from loadavg at the last listing
  std::vector<Known> known_, next_;            // the processes of the last scan, the next one's
  std::size_t kept_fds_ = 0;
  std::size_t fd_cap_;                         // kMaxKeptFds, or less under a low RLIMIT_NOFILE
  TaskIter iter_;
};

// Kernel threads, zombies and the watchdog itself are never stall
// candidates; a blocked or dying user task is.
bool needs_detail(const TaskSample& t);

}  // namespace oomlab::watchdog
