#include "oomlab/repro/kernel_log.hpp"

#include "oomlab/common/kmsg.hpp"
#include "oomlab/facts/kernel_lines.hpp"
#include "oomlab/facts/oom_report.hpp"

namespace oomlab::repro {

constexpr std::size_t kMaxLines = 20000;  // the slice stays bounded on a noisy host

KernelLogWatch::KernelLogWatch(std::int64_t t0_us, std::string group)
    : reader_(std::make_unique<KmsgReader>(KmsgReader::Start::Now)), t0_us_(t0_us), group_(std::move(group)) {}

KernelLogWatch::~KernelLogWatch() = default;

std::uint64_t KernelLogWatch::dropped() const { return dropped_ + reader_->lost(); }

int KernelLogWatch::fd() const { return reader_->fd(); }

bool KernelLogWatch::ok() const { return reader_->ok(); }

std::string KernelLogWatch::status() const { return ok() ? "ok" : "unavailable: " + reader_->error(); }

void KernelLogWatch::poll(const std::set<pid_t>& our_pids) {
  if (!ok()) return;
  while (auto r = reader_->next()) feed(*r, our_pids);
}

void KernelLogWatch::keep(KernelLine l) {
  if (lines_.size() < kMaxLines) lines_.push_back(std::move(l));
  else ++dropped_;
}

void KernelLogWatch::close_report() {
  if (!in_report_) return;
  if (owner_ == Owner::theirs) other_groups_lines_ += report_.size();
  else
    for (KernelLine& l : report_) keep(std::move(l));
  report_.clear();
  in_report_ = false;
  owner_ = Owner::unknown;
}

void KernelLogWatch::finish() { close_report(); }

void KernelLogWatch::feed(const KmsgRecord& r, const std::set<pid_t>& our_pids) {
  const std::int64_t t_ms = (static_cast<std::int64_t>(r.usec) - t0_us_) / 1000;
  KernelLine line{t_ms, format_dmesg_line(r)};
  // Without a group there is nothing to tell reports apart by: keep all.
  if (!group_.empty() && facts::parse_oom_invocation(r.message)) {
    close_report();
    in_report_ = true;
  }
  // Bounded: a report that never reaches its kill line is kept as it is.
  if (in_report_ && report_.size() >= 4000) close_report();
  if (in_report_) report_.push_back(std::move(line));
  auto summary = facts::parse_oom_kill_summary(r.message);
  if (summary) {
    const bool names_memcg = !(summary->oom_memcg.empty() && summary->task_memcg.empty());
    if (summary->in_group(group_)) {
      group_victims_.insert(summary->pid);
      owner_ = Owner::ours;
    } else if (!group_.empty() && names_memcg) {
      other_victims_.insert(summary->pid);  // named another group (old kernels name none)
      if (owner_ == Owner::unknown) owner_ = Owner::theirs;
    }
  }
  auto k = summary ? std::nullopt : facts::parse_killed_process(r.message);
  const bool kill_line = k && !k->selection_only;  // selection_only: the choice, not the kill
  const bool ours = kill_line && (group_victims_.count(k->pid) || (!other_victims_.count(k->pid) && our_pids.count(k->pid)));
  if (!in_report_) {
    // A kill line outside a report is one whose header the kernel
    // ratelimited (oom_kill_process prints the header and the oom-kill: line
    // under __ratelimit, the "Killed process" line always). With a group, a
    // victim the run never sampled in it was another group's: its line, and
    // the reaper's line after it, are part of that group's story - the
    // analyzer must not read an OOM kill into a run that had none.
    if (!group_.empty() && kill_line && !ours) other_victims_.insert(k->pid);
    auto reaped = facts::parse_oom_reaped(r.message);
    const bool theirs_reaped = reaped && other_victims_.count(*reaped) && !group_victims_.count(*reaped);
    const bool theirs_summary = summary && !(summary->oom_memcg.empty() && summary->task_memcg.empty()) &&
                                !summary->in_group(group_);
    if (!group_.empty() && ((kill_line && !ours) || theirs_reaped || theirs_summary)) ++other_groups_lines_;
    else keep(std::move(line));
  } else if (kill_line) {
    if (ours) owner_ = Owner::ours;
    close_report();  // the kill line ends a report
  }
  if (!ours) return;
  OomKill kill;
  kill.t_ms = t_ms, kill.pid = k->pid, kill.comm = k->comm, kill.anon_rss_kb = k->anon_rss_kb.value_or(0), kill.source = "kmsg";
  kills_.push_back(kill);
}

}  // namespace oomlab::repro
