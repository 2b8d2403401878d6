// The kernel log during a run: every record (for the report and the
// analyzer) and the OOM kills that hit this run's group.
#pragma once
#include <cstdint>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <sys/types.h>
#include <vector>

#include "oomlab/repro/timeline.hpp"

namespace oomlab {
class KmsgReader;
struct KmsgRecord;
}

namespace oomlab::repro {

class KernelLogWatch {
 public:
  // t0_us: CLOCK_MONOTONIC of the workload start; group: its cgroup path
  // relative to the hierarchy root ("oomlab/repro-..."), "" when none.
  KernelLogWatch(std::int64_t t0_us, std::string group);
  ~KernelLogWatch();
  bool ok() const;
  std::string status() const;  // "ok" or why not
  int fd() const;              // pollable (POLLIN) when records are pending; -1 if !ok()

  // Reads every pending record and feeds it.
  void poll(const std::set<pid_t>& our_pids);
  // One record. A kill counts as ours when the kernel's oom-kill: line names
  // the group, or when the victim is one of `our_pids` (every task sampled in
  // the group) and no oom-kill: line gave it to another group. The second
  // rule is not only for runs without a group: the oom-kill: line is part of
  // the OOM report header, which the kernel ratelimits (10 per 5 s), while
  // the "Killed process" line always comes - a run that starts right after
  // another run's burst of OOM kills gets its first kills without a header.
  void feed(const KmsgRecord& r, const std::set<pid_t>& our_pids);

  // The run's slice of the kernel log: every line, except the OOM reports
  // of other groups (a concurrent run, another memcg's OOM) - a report, from
  // its "invoked oom-killer:" line to its "Killed process" line, is held
  // until its oom-kill: line names a memcg, then kept (ours, or one that
  // names none) or left out; lines that belong to no OOM report stay. The
  // kernel prints one report at a time (oom_lock), so a report is a run of
  // consecutive records. Call finish() after the last poll: it keeps a
  // report still held.
  void finish();
  const std::vector<KernelLine>& lines() const { return lines_; }
  std::uint64_t other_groups_lines() const { return other_groups_lines_; }  // left out of lines()
  std::vector<OomKill>& kills() { return kills_; }
  const std::vector<OomKill>& kills() const { return kills_; }
  std::uint64_t dropped() const;  // not kept (over the bound) or overwritten before read

 private:
  std::unique_ptr<KmsgReader> reader_;
  std::int64_t t0_us_;
  std::string group_;
  std::set<pid_t> group_victims_;  // pids named by an oom-kill: line for our group
  std::set<pid_t> other_victims_;  // ... for another group
  std::vector<KernelLine> lines_;
  std::vector<OomKill> kills_;
  std::uint64_t dropped_ = 0;
  // An OOM report being held (see finish()): its lines and whose it is.
  enum class Owner { unknown, ours, theirs };
  std::vector<KernelLine> report_;
  bool in_report_ = false;
  Owner owner_ = Owner::unknown;
  std::uint64_t other_groups_lines_ = 0;
  void keep(KernelLine l);
  void close_report();
};

}  // namespace oomlab::repro
