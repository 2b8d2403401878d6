#include "oomlab/facts/guard_kills.hpp"

namespace oomlab::facts {
namespace {

bool starts(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

// Leading decimal digits of s as a pid; consumes them.
std::optional<pid_t> take_pid(std::string_view& s) {
  std::uint64_t v = 0;
  std::size_t n = 0;
  while (n < s.size() && n < 11 && s[n] >= '0' && s[n] <= '9') v = v * 10 + static_cast<unsigned>(s[n++] - '0');
  if (n == 0 || v == 0 || v > 0x7fffffff) return std::nullopt;
  s.remove_prefix(n);
  return static_cast<pid_t>(v);
}

// "SIGTERM"/"SIGKILL"... at the start of s; consumes it.
std::string take_signal(std::string_view& s) {
  if (!starts(s, "SIG")) return {};
  std::size_t n = 3;
  while (n < s.size() && s[n] >= 'A' && s[n] <= 'Z') ++n;
  if (n == 3) return {};
  std::string sig(s.substr(0, n));
  s.remove_prefix(n);
  return sig;
}

}  // namespace

std::optional<GuardKill> parse_earlyoom_kill(std::string_view m) {
  if (!starts(m, "sending ")) return std::nullopt;
  m.remove_prefix(8);
  GuardKill k;
  k.signal = take_signal(m);
  if (k.signal.empty() || !starts(m, " to process ")) return std::nullopt;
  m.remove_prefix(12);
  auto pid = take_pid(m);
  if (!pid) return std::nullopt;
  k.pid = *pid;
  if (starts(m, " uid ")) {
    m.remove_prefix(5);
    std::size_t n = 0;
    while (n < m.size() && n < 11 && m[n] >= '0' && m[n] <= '9') ++n;
    if (n == 0) return std::nullopt;
    m.remove_prefix(n);
  }
  // ` "NAME": ...`: the name is quoted and may hold spaces and quotes; it
  // ends at the last `": ` (or a final quote).
  if (!starts(m, " \"")) return std::nullopt;
  m.remove_prefix(2);
  std::size_t end = m.rfind("\": ");
  if (end == std::string_view::npos) end = !m.empty() && m.back() == '"' ? m.size() - 1 : std::string_view::npos;
  if (end == std::string_view::npos) return std::nullopt;
  k.comm.assign(m.substr(0, end));
  return k;
}

bool is_earlyoom_dry_run(std::string_view m) { return starts(m, "dryrun, not actually sending"); }

std::optional<std::int64_t> parse_earlyoom_exited_ms(std::string_view m) {
  constexpr std::string_view kHead = "process exited after ";
  if (!starts(m, kHead)) return std::nullopt;
  m.remove_prefix(kHead.size());
  std::int64_t whole = 0, frac = 0, scale = 1000;
  std::size_t n = 0;
  for (; n < m.size() && n < 9 && m[n] >= '0' && m[n] <= '9'; ++n) whole = whole * 10 + (m[n] - '0');
  if (n == 0) return std::nullopt;
  if (n < m.size() && m[n] == '.')
    for (++n; n < m.size() && m[n] >= '0' && m[n] <= '9'; ++n)
      if (scale > 1) frac = frac * 10 + (m[n] - '0'), scale /= 10;
  if (m.substr(n, 7) != " second") return std::nullopt;
  while (scale > 1) frac *= 10, scale /= 10;   // "0.2" -> 200
  return whole * 1000 + frac;
}

std::optional<GuardKill> parse_systemd_oomd_kill(std::string_view m) {
  if (!starts(m, "Killed /")) return std::nullopt;
  std::size_t due = m.find(" due to ");
  if (due == std::string_view::npos) return std::nullopt;
  GuardKill k;
  k.cgroup.assign(m.substr(7, due - 7));
  k.reason.assign(trim(m.substr(due + 8)));
  if (!k.reason.empty() && k.reason.back() == '.') k.reason.pop_back();
  k.signal = "SIGKILL";   // oomd kills a whole cgroup with SIGKILL
  return k;
}

std::optional<GuardKill> NohangKills::feed(std::string_view m) {
  std::string_view t = trim(m);
  if (starts(t, "PID:")) {
    t.remove_prefix(4);
    t = trim(t);
    auto pid = take_pid(t);
    if (!pid || !starts(t, ", name: ")) return std::nullopt;
    t.remove_prefix(8);
    std::size_t comma = t.find(", ");
    pending_ = GuardKill{};
    pending_.pid = *pid;
    pending_.comm.assign(t.substr(0, comma));
    return std::nullopt;
  }
  if (starts(t, "Sending ") && t.size() > 8) {
    std::string_view rest = t.substr(8);
    std::string sig = take_signal(rest);
    if (sig.empty() || rest != " to the victim" || pending_.pid == 0) return std::nullopt;
    GuardKill k = std::move(pending_);
    k.signal = std::move(sig);
    pending_ = GuardKill{};
    return k;
  }
  return std::nullopt;
}

std::optional<SyslogTag> split_syslog_tag(std::string_view m) {
  std::size_t open = m.find('[');
  if (open == 0 || open == std::string_view::npos || open > 64) return std::nullopt;
  std::size_t close = m.find("]: ", open);
  if (close == std::string_view::npos || close - open > 11 || close == open + 1) return std::nullopt;
  for (std::size_t i = open + 1; i < close; ++i)
    if (m[i] < '0' || m[i] > '9') return std::nullopt;
  for (std::size_t i = 0; i < open; ++i)
    if (m[i] == ' ') return std::nullopt;
  return SyslogTag{m.substr(0, open), m.substr(close + 3)};
}

}  // namespace oomlab::facts
