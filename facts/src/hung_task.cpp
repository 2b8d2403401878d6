#include "oomlab/facts/hung_task.hpp"

#include <array>
#include <utility>

namespace oomlab::facts {
namespace {

constexpr std::string_view kInfoTask = "INFO: task ";

std::optional<pid_t> to_pid(std::string_view s) {
  if (s.empty() || s.size() > 10) return std::nullopt;
  std::uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + static_cast<unsigned>(c - '0');
  }
  if (v == 0 || v > 0x7fffffff) return std::nullopt;
  return static_cast<pid_t>(v);
}

// "COMM:PID", the pid after the last colon.
bool split_task(std::string_view s, pid_t& pid, std::string& comm) {
  std::size_t colon = s.rfind(':');
  if (colon == std::string_view::npos || colon == 0) return false;
  auto p = to_pid(s.substr(colon + 1));
  if (!p) return false;
  pid = *p;
  comm.assign(s.substr(0, colon));
  return true;
}

// " <reader>" / " <writer>" at the end of s: removed, the word returned.
std::string take_role(std::string_view& s) {
  for (std::string_view role : {"reader", "writer"}) {
    std::string tail = " <" + std::string(role) + ">";
    if (s.size() > tail.size() && s.substr(s.size() - tail.size()) == tail) {
      s.remove_suffix(tail.size());
      return std::string(role);
    }
  }
  return {};
}

std::string_view trim_end(std::string_view s) {
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '.')) s.remove_suffix(1);
  return s;
}

struct LockPhrase {
  std::string_view text;   // after the waiter
  BlockerLock lock;
};
constexpr std::array<LockPhrase, 3> kLocks{{
    {"blocked on a mutex", BlockerLock::Mutex},
    {"blocked on a semaphore", BlockerLock::Semaphore},
    {"blocked on an rw-semaphore", BlockerLock::RwSemaphore},
}};

}  // namespace

const char* blocker_lock_name(BlockerLock l) {
  switch (l) {
    case BlockerLock::Mutex: return "mutex";
    case BlockerLock::Semaphore: return "semaphore";
    case BlockerLock::RwSemaphore: return "rwsem";
  }
  return "lock";
}

std::optional<HungTaskHeader> parse_hung_task_header(std::string_view m) {
  if (m.substr(0, kInfoTask.size()) != kInfoTask) return std::nullopt;
  m.remove_prefix(kInfoTask.size());
  HungTaskHeader h;
  // "blocked for more than", "blocked in I/O wait for more than" (6.x, a
  // task in io_schedule), "can't die for more than".
  std::size_t more = m.find(" for more than ");
  if (more == std::string_view::npos) return std::nullopt;
  std::size_t at = m.rfind(" blocked", more);
  if (at == std::string_view::npos || more - at > 32) {
    at = m.rfind(" can't die", more);
    if (at == std::string_view::npos || at + 10 != more) return std::nullopt;
    h.cant_die = true;
  }
  if (!split_task(m.substr(0, at), h.pid, h.comm)) return std::nullopt;
  std::string_view rest = m.substr(more + 15);
  std::uint64_t secs = 0;
  std::size_t digits = 0;
  for (; digits < rest.size() && digits < 12 && rest[digits] >= '0' && rest[digits] <= '9'; ++digits)
    secs = secs * 10 + static_cast<unsigned>(rest[digits] - '0');
  if (digits > 0) h.blocked_s = secs;
  return h;
}

std::optional<HungTaskBlocker> parse_hung_task_blocker(std::string_view m) {
  if (m.substr(0, kInfoTask.size()) != kInfoTask) return std::nullopt;
  m.remove_prefix(kInfoTask.size());
  for (const LockPhrase& ph : kLocks) {
    // The phrase is preceded by the waiter ("COMM:PID", "COMM:PID is" or
    // "COMM:PID <reader>") and followed by ", but ..." or " likely ...".
    for (std::size_t at = m.find(ph.text); at != std::string_view::npos; at = m.find(ph.text, at + 1)) {
      if (at == 0 || m[at - 1] != ' ') continue;
      std::string_view after = m.substr(at + ph.text.size());
      if (!after.empty() && after.front() != ',' && after.front() != ' ') continue;   // "a mutexfoo"
      HungTaskBlocker b;
      b.lock = ph.lock;
      std::string_view waiter = m.substr(0, at - 1);
      if (waiter.size() > 3 && waiter.substr(waiter.size() - 3) == " is") waiter.remove_suffix(3);
      else b.waits_as = take_role(waiter);
      if (!split_task(waiter, b.pid, b.comm)) continue;
      if (after.substr(0, 6) == ", but ") return b;   // owner not found
      constexpr std::string_view kBy[] = {" likely owned by task ", " likely last held by task "};
      for (std::string_view by : kBy) {
        if (after.substr(0, by.size()) != by) continue;
        std::string_view owner = trim_end(after.substr(by.size()));
        b.owner_as = take_role(owner);
        if (!split_task(owner, b.owner_pid, b.owner_comm)) return std::nullopt;
        return b;
      }
    }
  }
  return std::nullopt;
}

}  // namespace oomlab::facts
