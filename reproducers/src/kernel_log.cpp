#include "oomlab/repro/kernel_log.hpp"

#include <cstdlib>

#include "oomlab/common/kmsg.hpp"

namespace oomlab::repro {
namespace {

constexpr std::size_t kMaxLines = 20000;  // the slice stays bounded on a noisy host

std::uint64_t number_after(std::string_view s, std::string_view key) {
  std::size_t p = s.find(key);
  if (p == std::string_view::npos) return 0;
  return std::strtoull(std::string(s.substr(p + key.size(), 24)).c_str(), nullptr, 10);
}

}  // namespace

std::optional<KilledProcess> parse_killed_process(std::string_view m) {
  std::size_t p = m.find("Killed process ");
  std::size_t skip = 15;
  if (p == std::string_view::npos) {
    p = m.find("Kill process ");  // before 4.x: "Kill process N (comm) score S or sacrifice child"
    skip = 13;
    if (p == std::string_view::npos) return std::nullopt;
  }
  std::string_view rest = m.substr(p + skip);
  char* end = nullptr;
  std::string digits(rest.substr(0, 12));
  long pid = std::strtol(digits.c_str(), &end, 10);
  if (pid <= 0 || end == digits.c_str()) return std::nullopt;
  KilledProcess k;
  k.pid = static_cast<pid_t>(pid);
  std::size_t open = rest.find('(');
  std::size_t close = rest.rfind(") ");
  if (close == std::string_view::npos && !rest.empty() && rest.back() == ')') close = rest.size() - 1;
  if (open != std::string_view::npos && close != std::string_view::npos && close > open)
    k.comm = std::string(rest.substr(open + 1, close - open - 1));
  k.anon_rss_kb = number_after(rest, "anon-rss:");
  return k;
}

std::optional<pid_t> parse_oom_kill_in_group(std::string_view m, std::string_view group) {
  if (m.find("oom-kill:") == std::string_view::npos || group.empty()) return std::nullopt;
  std::string want = "memcg=/" + std::string(group);
  bool ours = false;
  for (std::size_t p = m.find(want); p != std::string_view::npos; p = m.find(want, p + 1)) {
    char next = p + want.size() < m.size() ? m[p + want.size()] : ',';
    if (next == ',' || next == '/') ours = true;
  }
  if (!ours) return std::nullopt;
  std::size_t p = m.find(",pid=");
  if (p == std::string_view::npos) return std::nullopt;
  long pid = std::strtol(std::string(m.substr(p + 5, 12)).c_str(), nullptr, 10);
  if (pid <= 0) return std::nullopt;
  return static_cast<pid_t>(pid);
}

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
    if (auto victim = parse_oom_kill_in_group(r->message, group_)) group_victims_.insert(*victim);
    if (auto k = parse_killed_process(r->message)) {
      if (r->message.find("Kill process ") != std::string::npos) continue;  // the choice, not the kill
      bool ours = group_victims_.count(k->pid) || (group_.empty() && our_pids.count(k->pid));
      if (!ours) continue;
      OomKill kill;
      kill.t_ms = t_ms, kill.pid = k->pid, kill.comm = k->comm, kill.anon_rss_kb = k->anon_rss_kb, kill.source = "kmsg";
      kills_.push_back(kill);
    }
  }
}

}  // namespace oomlab::repro
