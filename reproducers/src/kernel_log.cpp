#include "oomlab/repro/kernel_log.hpp"

#include "oomlab/common/kmsg.hpp"
#include "oomlab/facts/kernel_lines.hpp"

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

void KernelLogWatch::feed(const KmsgRecord& r, const std::set<pid_t>& our_pids) {
  const std::int64_t t_ms = (static_cast<std::int64_t>(r.usec) - t0_us_) / 1000;
  if (lines_.size() < kMaxLines) lines_.push_back({t_ms, format_dmesg_line(r)});
  else ++dropped_;
  if (auto summary = facts::parse_oom_kill_summary(r.message)) {
    if (auto victim = facts::parse_oom_kill_in_group(r.message, group_)) group_victims_.insert(*victim);
    else if (!group_.empty() && !(summary->oom_memcg.empty() && summary->task_memcg.empty()))
      other_victims_.insert(summary->pid);  // named another group (old kernels name none)
    return;
  }
  auto k = facts::parse_killed_process(r.message);
  if (!k || k->selection_only) return;  // selection_only: the choice, not the kill
  bool ours = group_victims_.count(k->pid) || (!other_victims_.count(k->pid) && our_pids.count(k->pid));
  if (!ours) return;
  OomKill kill;
  kill.t_ms = t_ms, kill.pid = k->pid, kill.comm = k->comm, kill.anon_rss_kb = k->anon_rss_kb, kill.source = "kmsg";
  kills_.push_back(kill);
}

}  // namespace oomlab::repro
