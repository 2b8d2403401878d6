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
  while (auto r = reader_->next()) {
    const std::int64_t t_ms = (static_cast<std::int64_t>(r->usec) - t0_us_) / 1000;
    if (lines_.size() < kMaxLines) lines_.push_back({t_ms, format_dmesg_line(*r)});
    else ++dropped_;
    if (auto victim = facts::parse_oom_kill_in_group(r->message, group_)) group_victims_.insert(*victim);
    if (auto k = facts::parse_killed_process(r->message)) {
      if (k->selection_only) continue;  // the choice, not the kill
      bool ours = group_victims_.count(k->pid) || (group_.empty() && our_pids.count(k->pid));
      if (!ours) continue;
      OomKill kill;
      kill.t_ms = t_ms, kill.pid = k->pid, kill.comm = k->comm, kill.anon_rss_kb = k->anon_rss_kb, kill.source = "kmsg";
      kills_.push_back(kill);
    }
  }
}

}  // namespace oomlab::repro
