#include "oomlab/facts/kernel_lines.hpp"

#include <cstdlib>

namespace oomlab::facts {
namespace {

// The decimal number right after `key` in s (0: none).
std::uint64_t number_after(std::string_view s, std::string_view key) {
  std::size_t p = s.find(key);
  if (p == std::string_view::npos) return 0;
  std::uint64_t v = 0;
  for (p += key.size(); p < s.size() && s[p] >= '0' && s[p] <= '9'; ++p) v = v * 10 + static_cast<std::uint64_t>(s[p] - '0');
  return v;
}

// The leading decimal pid of s, 0 if none.
pid_t leading_pid(std::string_view s) {
  long v = 0;
  std::size_t i = 0;
  for (; i < s.size() && i < 10 && s[i] >= '0' && s[i] <= '9'; ++i) v = v * 10 + (s[i] - '0');
  return i == 0 ? 0 : static_cast<pid_t>(v);
}

// The value of "key=" up to the next ',' (or the end).
std::string value_of(std::string_view s, std::string_view key) {
  for (std::size_t p = s.find(key); p != std::string_view::npos; p = s.find(key, p + 1)) {
    if (p != 0 && s[p - 1] != ',' && s[p - 1] != ':') continue;  // "task_memcg=" is not "memcg="
    std::string_view v = s.substr(p + key.size());
    return std::string(v.substr(0, v.find(',')));
  }
  return {};
}

}  // namespace

std::optional<KilledProcess> parse_killed_process(std::string_view m) {
  KilledProcess k;
  std::size_t p = m.find("Killed process ");
  std::size_t skip = 15;
  if (p == std::string_view::npos) {
    p = m.find("Kill process ");  // before 4.x: "Kill process N (comm) score S or sacrifice child"
    skip = 13;
    if (p == std::string_view::npos) return std::nullopt;
    k.selection_only = true;
  }
  std::string_view rest = m.substr(p + skip);
  k.pid = leading_pid(rest);
  if (k.pid <= 0) return std::nullopt;
  std::size_t open = rest.find('(');
  std::size_t close = rest.rfind(") ");
  if (close == std::string_view::npos && !rest.empty() && rest.back() == ')') close = rest.size() - 1;
  if (open != std::string_view::npos && close != std::string_view::npos && close > open)
    k.comm = std::string(rest.substr(open + 1, close - open - 1));
  std::string_view tail = close == std::string_view::npos ? rest : rest.substr(close);
  k.total_vm_kb = number_after(tail, "total-vm:");
  k.anon_rss_kb = number_after(tail, "anon-rss:");
  k.file_rss_kb = number_after(tail, "file-rss:");
  k.shmem_rss_kb = number_after(tail, "shmem-rss:");
  return k;
}

std::optional<OomKillSummary> parse_oom_kill_summary(std::string_view m) {
  std::size_t at = m.find("oom-kill:");
  if (at == std::string_view::npos) return std::nullopt;
  m.remove_prefix(at + 9);
  OomKillSummary s;
  std::size_t p = m.find(",pid=");
  if (p == std::string_view::npos) return std::nullopt;
  s.pid = leading_pid(m.substr(p + 5));
  if (s.pid <= 0) return std::nullopt;
  s.oom_memcg = value_of(m, "oom_memcg=");
  s.task_memcg = value_of(m, "task_memcg=");
  return s;
}

bool OomKillSummary::in_group(std::string_view group) const {
  if (group.empty()) return false;
  const std::string want = "/" + std::string(group);
  auto inside = [&](const std::string& memcg) {
    return memcg.compare(0, want.size(), want) == 0 && (memcg.size() == want.size() || memcg[want.size()] == '/');
  };
  return inside(oom_memcg) || inside(task_memcg);
}

std::optional<pid_t> parse_oom_kill_in_group(std::string_view m, std::string_view group) {
  auto s = parse_oom_kill_summary(m);
  if (!s || !s->in_group(group)) return std::nullopt;
  return s->pid;
}

std::optional<pid_t> parse_oom_reaped(std::string_view m) {
  std::size_t p = m.find("oom_reaper: reaped process ");
  if (p == std::string_view::npos) return std::nullopt;
  pid_t pid = leading_pid(m.substr(p + 27));
  if (pid <= 0) return std::nullopt;
  return pid;
}

std::optional<Suppressed> parse_ratelimit_suppressed(std::string_view m) {
  Suppressed s;
  // "printk: NAME: N output lines suppressed due to ratelimiting"
  if (std::size_t p = m.find(" output lines suppressed due to ratelimiting"); p != std::string_view::npos) {
    std::string_view head = m.substr(0, p);
    if (head.substr(0, 8) == "printk: ") head.remove_prefix(8);
    std::size_t colon = head.rfind(": ");
    if (colon == std::string_view::npos) return std::nullopt;
    s.who = std::string(head.substr(0, colon));
    std::string_view n = head.substr(colon + 2);
    if (n.empty() || leading_pid(n) <= 0 || n.find_first_not_of("0123456789") != std::string_view::npos) return std::nullopt;
    s.lines = std::strtoull(std::string(n).c_str(), nullptr, 10);
    return s;
  }
  // "FUNC: N callbacks suppressed"
  if (std::size_t p = m.find(" callbacks suppressed"); p != std::string_view::npos) {
    std::string_view head = m.substr(0, p);
    std::size_t colon = head.rfind(": ");
    if (colon == std::string_view::npos) return std::nullopt;
    std::string_view n = head.substr(colon + 2);
    if (n.empty() || n.find_first_not_of("0123456789") != std::string_view::npos) return std::nullopt;
    s.who = std::string(head.substr(0, colon));
    s.lines = std::strtoull(std::string(n).c_str(), nullptr, 10);
    return s;
  }
  return std::nullopt;
}

}  // namespace oomlab::facts
