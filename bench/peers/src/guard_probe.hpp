// Watches a guard from outside while it runs: its CPU time, its peak RSS and
// whether any of its threads sat in uninterruptible sleep (D) - the sign of a
// guard blocked on a /proc file behind a held mmap lock. Reads only stat,
// status and wchan (read_proc_file refuses the files that could block us).
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <sys/types.h>

#include "oomlab/formats/peers_runs.hpp"

namespace oomlab::peers {

// cpu_ms, peak_rss_kb (VmHWM), longest_d_ms (longest run of consecutive
// samples with a thread in D) and d_wchan: a field group of runs.json.
using GuardCost = formats::PeersGuardCost;

class GuardProbe {
 public:
  explicit GuardProbe(pid_t pid) : pid_(pid) {}
  // One sample; now_ms is monotonic. Cheap: one stat per thread.
  void sample(std::int64_t now_ms);
  const GuardCost& cost() const { return cost_; }

 private:
  pid_t pid_;
  GuardCost cost_;
  std::map<pid_t, std::int64_t> d_since_;  // tid -> first sample seen in D
};

// Fields of /proc/PID/stat after the comm: state and the CPU times in ticks
// (exposed for the tests). False when the text does not parse.
struct StatFields {
  char state = '?';
  std::uint64_t utime = 0, stime = 0, cutime = 0, cstime = 0;
};
bool parse_stat(const std::string& text, StatFields& out);

}  // namespace oomlab::peers
