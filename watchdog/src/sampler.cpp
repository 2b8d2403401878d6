#include "oomlab/watchdog/sampler.hpp"

#include <cstdio>
#include <cstring>
#include <algorithm>
#include <cstdlib>
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "oomlab/common/clock.hpp"
#include "oomlab/common/dirent64.hpp"
#include "oomlab/common/procfs_once.hpp"
#include "oomlab/facts/wait_kind.hpp"

namespace oomlab::watchdog {
namespace {

pid_t to_pid(const char* name) {
  pid_t v = 0;
  if (!*name) return 0;
  for (; *name; ++name) {
    if (*name < '0' || *name > '9') return 0;
    v = v * 10 + (*name - '0');
  }
  return v;
}

// Calls f(pid) for every numeric entry of the directory fd (read from its
// start), with getdents64 into buf (no DIR*: opendir allocates).
template <typename F>
void for_each_pid_entry_at(int fd, std::vector<char>& buf, F&& f) {
  if (::lseek(fd, 0, SEEK_SET) != 0) return;
  for (;;) {
    long n = ::syscall(SYS_getdents64, fd, buf.data(), buf.size());
    if (n <= 0) break;
    for (long off = 0; off < n;) {
      auto* d = reinterpret_cast<Dirent64*>(buf.data() + off);
      if (pid_t pid = to_pid(d->d_name)) f(pid);
      off += d->d_reclen;
    }
  }
}

template <typename F>
void for_each_pid_entry(const char* dir, std::vector<char>& buf, F&& f) {
  int fd = ::open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;
  for_each_pid_entry_at(fd, buf, f);
  ::close(fd);
}

// Room left for everything else the daemon opens (sockets, PSI triggers,
// the kernel log, victim pidfds, libproc2's reads).
std::size_t kept_fd_cap(std::size_t most) {
  struct rlimit rl {};
  if (::getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY) return most;
  return rl.rlim_cur > 256 ? std::min<std::size_t>(most, rl.rlim_cur - 256) : 0;
}

}  // namespace

bool needs_detail(const TaskSample& t) {
  if (t.kernel_thread() || t.state == 'Z' || t.state == 'X') return false;
  return t.state == 'D' || t.dying() || t.exiting();
}

Sampler::Sampler(std::string proc_root, std::size_t max_tasks, bool read_stack)
    : proc_root_(std::move(proc_root)),
      max_tasks_(max_tasks),
      read_stack_(read_stack),
      self_(::getpid()),
      dents_proc_(64 * 1024),
      dents_task_(16 * 1024),
      text_(8 * 1024),
      delayacct_path_(task_delayacct_path(proc_root_)),
      loadavg_path_(proc_root_ + "/loadavg"),
      fd_cap_(kept_fd_cap(kMaxKeptFds)) {}

Sampler::~Sampler() {
  for (Known& k : known_) forget(k);
  if (proc_fd_ >= 0) ::close(proc_fd_);
}

void Sampler::forget(Known& k) {
  if (k.fd < 0) return;
  ::close(k.fd);
  k.fd = -1;
  --kept_fds_;
}

bool Sampler::tasks_created() {
  // "0.50 0.40 0.30 2/300 12345": the last pid allocated in our namespace;
  // any new process or thread moves it (a wrap back to the same value would
  // take pid_max allocations between two scans).
  char buf[128];
  long n = read_proc_file_once(loadavg_path_.c_str(), buf, sizeof buf - 1);
  long pid = -1;
  if (n > 0) {
    buf[n] = 0;
    const char* last = std::strrchr(buf, ' ');
    char* end = nullptr;
    if (last) pid = std::strtol(last + 1, &end, 10);
    if (!last || end == last + 1) pid = -1;
  }
  bool moved = pid < 0 || pid != last_pid_;
  last_pid_ = pid;
  return moved;
}

ScanStats Sampler::scan(std::vector<TaskSample>& out) {
  ScanStats stats;
  std::int64_t t0 = monotonic_us();
  out.clear();
  if (out.capacity() < max_tasks_) out.reserve(max_tasks_);  // first scan only
  // Read every scan: an administrator may switch it at any time, and while
  // it is off the totals stand still (queries would only cost).
  delayacct_on_ = taskstats_ && read_task_delayacct_at(delayacct_path_.c_str()) == 1;
  running_queries_ = 0;
  stats.delayacct = delayacct_on_;
  if (iter_.is_open() && scan_iter(out, stats)) {
    if (complete_from_proc_) add_missing(out, stats);
    stats.duration_us = monotonic_us() - t0;
    return stats;
  }
  out.clear();  // the iterator failed midway: /proc, as without it
  if (proc_fd_ < 0) proc_fd_ = ::open(proc_root_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (proc_fd_ < 0) return stats;
  stats.listed = tasks_created() || known_.empty();
  if (stats.listed) {
    // Merge the listing (ascending pids) with the processes known: a known
    // one keeps its open stat, one no longer listed is gone.
    if (next_.capacity() < known_.size() + 1024) next_.reserve(known_.size() + 1024);
    next_.clear();
    std::size_t cur = 0;
    for_each_pid_entry_at(proc_fd_, dents_proc_, [&](pid_t pid) {
      while (cur < known_.size() && known_[cur].pid < pid) forget(known_[cur++]);
      Known k;
      k.pid = pid;
      if (cur < known_.size() && known_[cur].pid == pid) k = known_[cur++];
      if (sample_known(k, out, stats)) next_.push_back(k);
      else forget(k);
    });
    while (cur < known_.size()) forget(known_[cur++]);
    std::swap(known_, next_);
  } else {
    std::size_t keep = 0;
    for (Known& k : known_) {
      if (sample_known(k, out, stats)) known_[keep++] = k;
      else forget(k);
    }
    known_.resize(keep);
  }
  stats.tasks += out.size();
  stats.duration_us = monotonic_us() - t0;
  return stats;
}

bool Sampler::read_process_stat(pid_t pid, TaskSample& t) {
  char path[96];
  std::snprintf(path, sizeof path, "%s/%d/stat", proc_root_.c_str(), pid);
  long n = read_proc_file_once(path, text_.data(), text_.size() - 1);
  if (n <= 0 || !parse_stat(std::string_view(text_.data(), static_cast<std::size_t>(n)), t)) return false;  // gone
  t.tgid = pid;
  return true;
}

bool Sampler::use_task_iter(std::string& why) {
  if (proc_root_ != "/proc") {
    why = "the proc root is " + proc_root_ + ", not /proc";
    return false;
  }
  return iter_.open(why);
}

std::string Sampler::task_iter_misses() {
  // The iterator lists the tasks of this daemon's pid namespace; /proc may
  // show more (a /proc of a parent namespace, processes that entered from
  // outside, as `docker exec` does). A source that misses processes /proc
  // has would miss their stalls: /proc, listed before and after one
  // iterator read (a process that came or went in between is no miss),
  // must hold no process the iterator lacks.
  auto list_proc = [this] {
    std::vector<pid_t> pids;
    for_each_pid_entry(proc_root_.c_str(), dents_proc_, [&pids](pid_t pid) { pids.push_back(pid); });
    std::sort(pids.begin(), pids.end());
    return pids;
  };
  const std::vector<pid_t> before = list_proc();
  std::vector<TaskSample> tasks;
  TaskIter::Pass pass;
  if (!iter_.read(tasks, max_tasks_, pass)) return "the BPF task iterator could not be read";
  const std::vector<pid_t> after = list_proc();
  std::vector<pid_t> listed;
  for (const TaskSample& t : tasks) listed.push_back(t.tgid);
  std::sort(listed.begin(), listed.end());
  std::size_t missing = 0;
  pid_t example = 0;
  for (pid_t pid : before) {
    if (!std::binary_search(after.begin(), after.end(), pid) || std::binary_search(listed.begin(), listed.end(), pid)) continue;
    // Kernel threads are counted, not listed (the same test as a scan's).
    if (TaskSample t; read_process_stat(pid, t) && t.kernel_thread()) continue;
    if (!missing++) example = pid;
  }
  if (missing == 0) return {};
  return "the BPF task iterator lacks " + std::to_string(missing) + " of /proc's processes (e.g. pid " +
         std::to_string(example) + ": another pid namespace?)";
}

namespace {
// /proc's order: processes by pid, each one's threads after it, by tid.
bool proc_order(const TaskSample& a, const TaskSample& b) {
  if (a.tgid != b.tgid) return a.tgid < b.tgid;
  if ((a.tid == a.tgid) != (b.tid == b.tgid)) return a.tid == a.tgid;
  return a.tid < b.tid;
}
}  // namespace

bool Sampler::scan_iter(std::vector<TaskSample>& out, ScanStats& stats) {
  TaskIter::Pass pass;
  if (!iter_.read(out, max_tasks_, pass)) return false;
  // /proc's order, which the iterator's (by tid) is not.
  std::sort(out.begin(), out.end(), proc_order);
  for (TaskSample& t : out)
    if (t.tgid != self_) inspect(t, stats);
  stats.bpf = true;
  stats.dropped = pass.dropped;
  stats.tasks = out.size() + pass.kthreads;
  return true;
}

void Sampler::add_missing(std::vector<TaskSample>& out, ScanStats& stats) {
  // The iterator's processes, sorted by tgid: out[0, n).
  const std::size_t n = out.size();
  auto listed = [&out, n](pid_t pid) {
    auto it = std::lower_bound(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(n), pid,
                               [](const TaskSample& t, pid_t p) { return t.tgid < p; });
    return it != out.begin() + static_cast<std::ptrdiff_t>(n) && it->tgid == pid;
  };
  const std::size_t tasks = stats.tasks;  // the iterator counted the kernel threads already
  if (proc_fd_ < 0) proc_fd_ = ::open(proc_root_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (proc_fd_ < 0) return;
  // known_ holds only the processes /proc shows and the iterator does not
  // (and kernel threads, never read again). /proc is listed only when a
  // task was created since the last listing: one that enters the pid
  // namespace from outside gets a pid in it too, and moves the last pid.
  if (tasks_created() || !listed_once_) {
    listed_once_ = true;
    stats.listed = true;
    next_.clear();
    std::size_t cur = 0;
    for_each_pid_entry_at(proc_fd_, dents_proc_, [&](pid_t pid) {
      while (cur < known_.size() && known_[cur].pid < pid) forget(known_[cur++]);
      Known k;
      k.pid = pid;
      if (cur < known_.size() && known_[cur].pid == pid) k = known_[cur++];
      if (!k.kthread && listed(pid)) return forget(k);  // the iterator's: read from it
      if (sample_known(k, out, stats)) next_.push_back(k);
      else forget(k);
    });
    while (cur < known_.size()) forget(known_[cur++]);
    std::swap(known_, next_);
  } else {
    std::size_t keep = 0;
    for (Known& k : known_) {
      if (!k.kthread && listed(k.pid)) forget(k);
      else if (sample_known(k, out, stats)) known_[keep++] = k;
      else forget(k);
    }
    known_.resize(keep);
  }
  stats.tasks = tasks + (out.size() - n);
  if (out.size() > n) std::sort(out.begin(), out.end(), proc_order);
}

bool Sampler::sample_known(Known& k, std::vector<TaskSample>& out, ScanStats& stats) {
  if (k.kthread) {
    ++stats.tasks;
    return true;
  }
  long n = -1;
  if (k.fd >= 0) {
    n = ::pread(k.fd, text_.data(), text_.size() - 1, 0);  // ESRCH once the process is gone
  } else {
    char path[32];
    std::snprintf(path, sizeof path, "%d/stat", k.pid);
    int fd = ::openat(proc_fd_, path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return false;
    n = ::read(fd, text_.data(), text_.size() - 1);
    if (n > 0 && kept_fds_ < fd_cap_) {
      k.fd = fd;
      ++kept_fds_;
    } else {
      ::close(fd);
    }
  }
  if (n <= 0) return false;
  TaskSample proc;
  if (!parse_stat(std::string_view(text_.data(), static_cast<std::size_t>(n)), proc)) return false;
  proc.tgid = k.pid;
  if (proc.kernel_thread()) {
    k.kthread = true;
    forget(k);
    ++stats.tasks;
    return true;
  }
  sample_parsed(proc, out, stats);
  return true;
}

ScanStats Sampler::sample(const std::vector<pid_t>& pids, std::vector<TaskSample>& out, bool with_delays) {
  ScanStats stats;
  std::int64_t t0 = monotonic_us();
  out.clear();
  // A probe looks for waits only: a delay stall needs two readings of the
  // same task, and one that loops in reclaim shows in memory PSI anyway.
  delayacct_on_ = with_delays && taskstats_ && read_task_delayacct_at(delayacct_path_.c_str()) == 1;
  running_queries_ = 0;
  stats.delayacct = delayacct_on_;
  for (pid_t pid : pids) sample_process(pid, out, stats);
  stats.tasks = out.size();
  stats.duration_us = monotonic_us() - t0;
  return stats;
}

void Sampler::sample_process(pid_t pid, std::vector<TaskSample>& out, ScanStats& stats) {
  TaskSample proc;
  if (read_process_stat(pid, proc)) sample_parsed(proc, out, stats);
}

void Sampler::sample_parsed(TaskSample& proc, std::vector<TaskSample>& out, ScanStats& stats) {
  const pid_t pid = proc.tgid;
  if (out.size() >= max_tasks_) {
    ++stats.dropped;
    return;
  }
  if (pid != self_) inspect(proc, stats);
  out.push_back(proc);
  // Single-threaded (or a kernel thread): the process stat is the task's.
  // Else it is the leader's: the other threads are read from task/.
  if (proc.num_threads <= 1 || proc.kernel_thread()) return;
  char dir[96];
  std::snprintf(dir, sizeof dir, "%s/%d/task", proc_root_.c_str(), pid);
  const TaskSample& leader = out.back();
  const std::uint64_t rss_pages = leader.rss_pages;
  const int num_threads = leader.num_threads;
  for_each_pid_entry(dir, dents_task_, [&](pid_t tid) {
    if (tid == pid) return;
    if (out.size() >= max_tasks_) {
      ++stats.dropped;
      return;
    }
    char tpath[128];
    std::snprintf(tpath, sizeof tpath, "%s/%d/task/%d/stat", proc_root_.c_str(), pid, tid);
    long m = read_proc_file_once(tpath, text_.data(), text_.size() - 1);
    if (m <= 0) return;
    TaskSample t;
    if (!parse_stat(std::string_view(text_.data(), static_cast<std::size_t>(m)), t)) return;
    t.tgid = pid;
    t.rss_pages = rss_pages;
    t.num_threads = num_threads;
    if (pid != self_) inspect(t, stats);
    out.push_back(t);
  });
}

void Sampler::inspect(TaskSample& t, ScanStats& stats) {
  if (needs_detail(t)) add_detail(t, stats);
  add_delays(t, stats);
}

void Sampler::add_detail(TaskSample& t, ScanStats& stats) {
  ++stats.detailed;
  char path[128];
  std::snprintf(path, sizeof path, "%s/%d/task/%d/wchan", proc_root_.c_str(), t.tgid, t.tid);
  long n = read_proc_file_once(path, t.wchan, sizeof t.wchan - 1);
  t.wchan[n > 0 ? n : 0] = 0;
  if (n <= 0 || (t.wchan[0] == '0' && t.wchan[1] == 0)) std::strcpy(t.wchan, "?");
  t.kind = classify_symbol(t.wchan);
  if (t.kind == StallKind::None && read_stack_ && t.state == 'D') {
    std::snprintf(path, sizeof path, "%s/%d/task/%d/stack", proc_root_.c_str(), t.tgid, t.tid);
    long m = read_proc_file_once(path, text_.data(), text_.size() - 1);
    if (m > 0) t.kind = classify_stack(std::string_view(text_.data(), static_cast<std::size_t>(m)));
  }
  if (t.kind == StallKind::None && (t.dying() || t.exiting())) t.kind = StallKind::Exit;
}

void Sampler::add_delays(TaskSample& t, ScanStats& stats) {
  if (!delayacct_on_ || t.kernel_thread() || t.state == 'Z' || t.state == 'X') return;
  if (!needs_detail(t)) {
    if (t.state != 'R' || running_queries_ >= max_running_queries_) return;
    ++running_queries_;
  }
  if (taskstats_->query(t.tid, t.delays)) {
    t.has_delays = true;
    ++stats.delay_queries;
  }
}

}  // namespace oomlab::watchdog
