#include "oomlab/watchdog/report.hpp"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <utility>
#include <unistd.h>

#include "oomlab/common/clock.hpp"

namespace oomlab::watchdog {
namespace {

void write_all(int fd, std::string_view s) {
  while (!s.empty()) {
    ssize_t n = ::write(fd, s.data(), s.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    s.remove_prefix(static_cast<std::size_t>(n));
  }
}

}  // namespace

std::string format_info(const StallCounts& c) {
  return "MemAlloc-Info: stalling=" + std::to_string(c.stalling) + " dying=" + std::to_string(c.dying) +
         " exiting=" + std::to_string(c.exiting) + " victim=" + std::to_string(c.victim) +
         " oom_count=" + std::to_string(c.oom_count);
}

std::string format_task(const TaskStall& s, std::int64_t now_ms) {
  std::string line = "MemAlloc: ";
  line += s.comm;
  line += "(" + std::to_string(s.tid) + ") tgid=" + std::to_string(s.tgid) + " state=" + s.state +
          " kind=" + kind_name(s.kind);
  line += " delay=" + std::to_string(s.delay_ms(now_ms)) + "ms wchan=" + (s.wchan[0] ? s.wchan : "?");
  line += " cgroup=" + (s.cgroup.empty() ? std::string("?") : s.cgroup);
  if (s.rss_kb) line += " rss=" + std::to_string(s.rss_kb) + "kB";
  if (s.has_delays) {
    // Delay accounting's growth since the stall began: where its time went.
    for (const DelayField& f : kDelayFields)
      if (std::uint64_t ms = grown_ms(s.delays_base, s.delays_now, f))
        line += std::string(" ") + f.name + "_delay=" + std::to_string(ms) + "ms";
  }
  if (!s.gfp.empty()) line += " gfp=" + s.gfp + " order=" + std::to_string(s.order);
  if (s.lock_mode) line += std::string(" mmap_lock=") + s.lock_mode;
  if (s.dying) line += " dying";
  if (s.exiting) line += " exiting";
  if (s.victim) line += " victim";
  return line;
}

std::string format_warn(const TaskStall& s, std::int64_t now_ms) {
  return std::string("warn: stall of ") + s.comm + "(" + std::to_string(s.tid) + ") for " +
         std::to_string(s.delay_ms(now_ms)) + "ms in cgroup " + (s.cgroup.empty() ? "?" : s.cgroup);
}

std::string format_kill(pid_t pid, std::string_view comm, std::string_view cgroup, std::uint64_t rss_kb,
                        int oom_score_adj, std::string_view reason, bool dry_run) {
  std::string line = "kill: pid=" + std::to_string(pid) + " comm=" + std::string(comm) +
                     " cgroup=" + std::string(cgroup) + " rss=" + std::to_string(rss_kb) +
                     "kB oom_score_adj=" + std::to_string(oom_score_adj) + " reason=" + std::string(reason);
  if (dry_run) line += " dry-run";
  return line;
}

std::string format_killed(pid_t pid, std::string_view comm, std::int64_t kill_to_exit_ms,
                          std::int64_t kill_to_freed_ms, std::int64_t freed_kb) {
  return "killed: pid=" + std::to_string(pid) + " comm=" + std::string(comm) +
         " kill_to_exit=" + std::to_string(kill_to_exit_ms) + "ms kill_to_freed=" + std::to_string(kill_to_freed_ms) +
         "ms freed=" + std::to_string(freed_kb) + "kB";
}

std::string format_escalate(std::string_view cgroup, std::string_view reason) {
  return "escalate: cgroup=" + std::string(cgroup) + " reason=" + std::string(reason);
}

Reporter::Reporter(bool kmsg_write, const std::string& kmsg_path, const std::string& json_path)
    : prefix_("oomlab-watchdog[" + std::to_string(::getpid()) + "]: ") {
  if (kmsg_write) {
    kmsg_fd_ = ::open(kmsg_path.c_str(), O_WRONLY | O_CLOEXEC | O_NONBLOCK);
    if (kmsg_fd_ < 0)
      note(kWarning, "cannot write the kernel log " + kmsg_path + " (" + std::strerror(errno) +
                         "): reporting to stderr" + (json_path.empty() ? "" : " and the JSON log") + " only");
  }
  if (!json_path.empty()) {
    json_fd_ = ::open(json_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
    if (json_fd_ < 0) note(kWarning, "cannot open JSON log " + json_path + " (" + std::strerror(errno) + "): skipped");
  }
}

Reporter::~Reporter() {
  if (kmsg_fd_ >= 0) ::close(kmsg_fd_);
  if (json_fd_ >= 0) ::close(json_fd_);
}

bool KmsgBudget::take(std::int64_t now_ms, bool urgent) {
  roll(now_ms);
  const int allowed = urgent ? kBurst : kBurst - kUrgentReserve;
  if (used_ < allowed) {
    ++used_;
    return true;
  }
  ++withheld_;
  ++withheld_total_;
  return false;
}

void KmsgBudget::roll(std::int64_t now_ms) {
  if (window_start_ < 0 || now_ms - window_start_ >= kWindowMs) {
    window_start_ = now_ms;
    used_ = 0;
  }
}

bool KmsgBudget::summary_due(std::int64_t now_ms) const {
  return withheld_ > 0 && (window_start_ < 0 || now_ms - window_start_ >= kWindowMs);
}

std::uint64_t KmsgBudget::take_summary(std::int64_t now_ms) {
  roll(now_ms);
  ++used_;
  return std::exchange(withheld_, 0);
}

void Reporter::write_json(int priority, std::string_view text, formats::WdPayload payload) {
  if (json_fd_ < 0) return;
  formats::WatchdogRecord r;
  r.type = formats::payload_type(payload);
  r.time = utc_iso8601(realtime_ms());
  r.mono_ms = monotonic_ms();
  r.priority = priority;
  r.line = prefix_ + std::string(text);
  r.payload = std::move(payload);
  write_all(json_fd_, formats::encode_watchdog_record(r) + "\n");
}

void Reporter::emit(int priority, std::string_view text, formats::WdPayload payload, bool kmsg) {
  ++lines_;
  std::string line = "<" + std::to_string(priority) + ">" + prefix_;
  line += text;
  line += '\n';
  write_all(2, line);
  if (kmsg_fd_ >= 0 && kmsg) {
    const std::int64_t now = monotonic_ms();
    const bool urgent = std::holds_alternative<formats::WdKill>(payload) ||
                        std::holds_alternative<formats::WdKilled>(payload) ||
                        std::holds_alternative<formats::WdEscalate>(payload);
    if (budget_.summary_due(now)) {
      // One line for what the last window held back: the kernel log says
      // where the rest is instead of a silent gap.
      formats::WdKmsgSummary sum{budget_.take_summary(now), KmsgBudget::kWindowMs};
      std::string text2 = "kmsg: " + std::to_string(sum.withheld) +
                          " line(s) kept out of the kernel log (printk ratelimit: " +
                          std::to_string(KmsgBudget::kBurst) + " per " + std::to_string(KmsgBudget::kWindowMs / 1000) +
                          " s); every line is in the JSON log";
      write_all(kmsg_fd_, "<" + std::to_string(kNotice) + ">" + prefix_ + text2 + "\n");
      write_json(kNotice, text2, sum);
    }
    if (budget_.take(now, urgent)) write_all(kmsg_fd_, line);  // one write = one record
  }
  write_json(priority, text, std::move(payload));
}

void Reporter::note(int priority, std::string_view text) {
  std::string line = "<" + std::to_string(priority) + ">" + prefix_ + std::string(text) + "\n";
  write_all(2, line);
  write_json(priority, text, std::monostate{});
}

}  // namespace oomlab::watchdog
