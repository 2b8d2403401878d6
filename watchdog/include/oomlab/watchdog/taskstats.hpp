// Per-task delay accounting through the kernel's taskstats genetlink family
// (Documentation/accounting/taskstats.rst, delay-accounting.rst): how long a
// thread has waited in memory reclaim, on thrashing page-ins, in compaction,
// on swap-in and on block I/O. A task that loops in reclaim while runnable
// never shows a memory wchan; the growth of these totals still shows it.
//
// The kernel fills the counters only while kernel.task_delayacct is 1 (or
// the kernel booted with `delayacct`), answers TASKSTATS_CMD_GET only to
// CAP_NET_ADMIN, and registers the family in the initial network namespace
// only. libnl-genl builds and parses the messages.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <sys/types.h>

struct nl_sock;

namespace oomlab::watchdog {

struct DelayTotals {
  std::uint64_t reclaim_ns = 0;    // freepages_delay_total: direct and memcg reclaim
  std::uint64_t thrashing_ns = 0;  // waiting for refaults of workingset pages
  std::uint64_t compact_ns = 0;    // memory compaction
  std::uint64_t swapin_ns = 0;     // swap-in
  std::uint64_t blkio_ns = 0;      // block I/O, file page-ins among it
  // Time lost to memory shortage itself (not blkio: that is also plain I/O).
  std::uint64_t memory_ns() const { return reclaim_ns + thrashing_ns + compact_ns + swapin_ns; }
};

// The totals by name, in report order (docs/FORMATS.md: NAME_delay=Nms).
struct DelayField {
  const char* name;
  std::uint64_t DelayTotals::*ns;
};
inline constexpr DelayField kDelayFields[] = {{"reclaim", &DelayTotals::reclaim_ns},
                                              {"thrashing", &DelayTotals::thrashing_ns},
                                              {"compact", &DelayTotals::compact_ns},
                                              {"swapin", &DelayTotals::swapin_ns},
                                              {"blkio", &DelayTotals::blkio_ns}};
// Whole ms one total grew from `from` to `to` (0 if it went back).
inline std::uint64_t grown_ms(const DelayTotals& from, const DelayTotals& to, const DelayField& f) {
  return to.*f.ns > from.*f.ns ? (to.*f.ns - from.*f.ns) / 1000000 : 0;
}

class TaskstatsClient {
 public:
  // A client that answered a query for the calling thread, or nullptr with
  // why_not saying what is missing (no family: CONFIG_TASKSTATS off or not
  // the initial network namespace; EPERM: no CAP_NET_ADMIN).
  static std::unique_ptr<TaskstatsClient> open(std::string& why_not);
  ~TaskstatsClient();
  TaskstatsClient(const TaskstatsClient&) = delete;
  TaskstatsClient& operator=(const TaskstatsClient&) = delete;

  // The totals of one thread (tid). False when it is gone, the kernel
  // refused, or no answer came within 400 ms.
  bool query(pid_t tid, DelayTotals& out);
  std::uint64_t queries() const { return queries_; }

 private:
  TaskstatsClient(nl_sock* sock, int family) : sock_(sock), family_(family) {}
  int receive_reply(pid_t tid, DelayTotals& out);
  nl_sock* sock_;
  int family_;
  std::uint64_t queries_ = 0;
};

// Where kernel.task_delayacct is under proc_root.
std::string task_delayacct_path(const std::string& proc_root);
// The sysctl at path: 1 on, 0 off, -1 unreadable. Allocates nothing (the
// sampler reads it every scan).
int read_task_delayacct_at(const char* path);
inline int read_task_delayacct(const std::string& proc_root) {
  return read_task_delayacct_at(task_delayacct_path(proc_root).c_str());
}
// Sets it; false with err on failure (no CAP_SYS_ADMIN, read-only /proc/sys).
bool write_task_delayacct(const std::string& proc_root, bool on, std::string& err);

}  // namespace oomlab::watchdog
