#include "oomlab/facts/kernel_lines.hpp"

#include "oomlab/facts/cgroup_hierarchy.hpp"

#include <cstdlib>

namespace oomlab::facts {
namespace {

// The text right after the first whole `key`: one at the start of s or
// after one of `before` ("file-rss:" is not "rss:", "task_memcg=" is not
// "memcg="); nullopt without one. Every key lookup below goes through here.
std::optional<std::string_view> after_key(std::string_view s, std::string_view key, std::string_view before) {
  for (std::size_t p = s.find(key); p != std::string_view::npos; p = s.find(key, p + 1)) {
    if (p != 0 && before.find(s[p - 1]) == std::string_view::npos) continue;
    return s.substr(p + key.size());
  }
  return std::nullopt;
}

// The value of the leading decimal digits of v, at most `max` of them;
// nullopt when v does not start with a digit.
std::optional<std::uint64_t> leading_digits(std::string_view v, std::size_t max) {
  std::size_t i = 0;
  std::uint64_t n = 0;
  for (; i < v.size() && i < max && v[i] >= '0' && v[i] <= '9'; ++i) n = n * 10 + static_cast<std::uint64_t>(v[i] - '0');
  if (i == 0) return std::nullopt;
  return n;
}

// The key/value separators of a kill line's tail ("total-vm:N, anon-rss:N").
constexpr std::string_view kFieldBefore = " ,:";

// The decimal number right after the whole key; nullopt when the key or its
// digits are missing.
std::optional<std::uint64_t> number_after(std::string_view s, std::string_view key) {
  auto v = after_key(s, key, kFieldBefore);
  return v ? leading_digits(*v, 19) : std::nullopt;
}

// The same, signed and within int ("score -5" can be).
std::optional<int> int_after(std::string_view s, std::string_view key) {
  auto v = after_key(s, key, kFieldBefore);
  if (!v) return std::nullopt;
  const bool neg = !v->empty() && v->front() == '-';
  auto n = leading_digits(neg ? v->substr(1) : *v, 10);
  if (!n || *n > 0x7fffffff) return std::nullopt;
  return static_cast<int>(neg ? -static_cast<long long>(*n) : static_cast<long long>(*n));
}

// The leading decimal pid of s, 0 if none or out of range.
pid_t leading_pid(std::string_view s) {
  auto n = leading_digits(s, 10);
  return !n || *n > 0x7fffffff ? 0 : static_cast<pid_t>(*n);
}

// The value of "key=" (after a ',' or ':') up to the next ',' outside
// parentheses (or the end).
std::string value_of(std::string_view s, std::string_view key) {
  auto v = after_key(s, key, ",:");
  if (!v) return {};
  std::size_t e = 0;
  for (int depth = 0; e < v->size(); ++e) {
    if ((*v)[e] == '(') ++depth;
    else if ((*v)[e] == ')' && depth > 0) --depth;
    else if ((*v)[e] == ',' && depth == 0) break;
  }
  return std::string(v->substr(0, e));
}

// "N (comm)..." at the start of s: the comm ends at the last `end` (") "
// on a kill line, ")," on the reaper's) or else at a final ')'. What
// follows the comm goes to *tail.
bool pid_and_comm(std::string_view s, std::string_view end, pid_t& pid, std::string& comm, std::string_view* tail) {
  pid = leading_pid(s);
  const std::size_t open = s.find(" (");
  if (pid <= 0 || open == std::string_view::npos || s.find_first_not_of("0123456789") != open) return false;
  std::size_t close = s.rfind(end);
  if ((close == std::string_view::npos || close < open + 2) && s.back() == ')') close = s.size() - 1;
  if (close == std::string_view::npos || close < open + 2) return false;
  comm.assign(s.substr(open + 2, close - open - 2));
  if (tail) *tail = s.substr(close + 1);
  return true;
}

}  // namespace

std::optional<KilledProcess> parse_killed_process(std::string_view m) {
  KilledProcess k;
  std::size_t p = m.find("Killed process ");
  std::size_t skip = 15;
  if (p == std::string_view::npos) {
    // Before 4.19: "Kill process N (comm) score S or sacrifice child";
    // 2.6.3x: "kill process N (comm) score S or a child".
    p = m.find("Kill process ");
    if (p == std::string_view::npos) p = m.find("kill process ");
    skip = 13;
    if (p == std::string_view::npos) return std::nullopt;
    k.selection_only = true;
  }
  std::string_view tail;
  if (!pid_and_comm(m.substr(p + skip), ") ", k.pid, k.comm, &tail)) return std::nullopt;
  if (k.selection_only) {
    k.score = int_after(tail, "score ");
    return k;
  }
  k.total_vm_kb = number_after(tail, "total-vm:");
  if (!k.total_vm_kb) k.total_vm_kb = number_after(tail, "vsz:");   // 2.6.3x
  k.anon_rss_kb = number_after(tail, "anon-rss:");
  k.file_rss_kb = number_after(tail, "file-rss:");
  k.shmem_rss_kb = number_after(tail, "shmem-rss:");
  k.pgtables_kb = number_after(tail, "pgtables:");
  k.uid = int_after(tail, "UID:");
  return k;
}

std::optional<OomKillSummary> parse_oom_kill_summary(std::string_view m) {
  auto s = parse_oom_kill_keys(m);
  if (!s || s->pid <= 0) return std::nullopt;
  return s;
}

std::optional<OomKillSummary> parse_oom_kill_keys(std::string_view m) {
  std::size_t at = m.find("oom-kill:");
  if (at == std::string_view::npos) return std::nullopt;
  m.remove_prefix(at + 9);
  OomKillSummary s;
  if (std::size_t p = m.find(",pid="); p != std::string_view::npos) s.pid = leading_pid(m.substr(p + 5));
  s.constraint = value_of(m, "constraint=");
  s.nodemask = value_of(m, "nodemask=");
  s.cpuset = value_of(m, "cpuset=");
  s.task = value_of(m, "task=");
  s.oom_memcg = value_of(m, "oom_memcg=");
  s.task_memcg = value_of(m, "task_memcg=");
  return s;
}

bool OomKillSummary::in_group(std::string_view group) const {
  if (group.empty()) return false;
  const std::string want = "/" + std::string(group);
  return in_cgroup(oom_memcg, want) || in_cgroup(task_memcg, want);
}

std::optional<pid_t> parse_oom_kill_in_group(std::string_view m, std::string_view group) {
  auto s = parse_oom_kill_summary(m);
  if (!s || !s->in_group(group)) return std::nullopt;
  return s->pid;
}

std::optional<OomReaperLine> parse_oom_reaper(std::string_view m) {
  std::size_t p = m.find("oom_reaper: ");
  if (p == std::string_view::npos) return std::nullopt;
  m.remove_prefix(p + 12);
  OomReaperLine r;
  if (m.substr(0, 15) == "reaped process ") {
    m.remove_prefix(15);
  } else if (m.substr(0, 19) == "unable to reap pid:") {
    m.remove_prefix(19);
    r.failed = true;
  } else {
    return std::nullopt;
  }
  if (!pid_and_comm(m, "),", r.pid, r.comm, nullptr)) return std::nullopt;
  return r;
}

std::optional<pid_t> parse_oom_reaped(std::string_view m) {
  auto r = parse_oom_reaper(m);
  if (!r || r->failed) return std::nullopt;
  return r->pid;
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
