#include "oomlab/watchdog/group_probe.hpp"

#include <algorithm>
#include <dirent.h>
#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "oomlab/common/dirent64.hpp"
#include "oomlab/watchdog/cgroup_view.hpp"

namespace oomlab::watchdog {
namespace {

constexpr int kMaxDepth = 8;
constexpr std::size_t kMaxDirs = 256;

// The pids of dirfd/cgroup.procs, parsed as they are read (a small buffer on
// the stack whatever the group's size).
void read_procs(int dirfd, std::vector<pid_t>& out) {
  int fd = ::openat(dirfd, "cgroup.procs", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return;
  char buf[2048];
  PidListParser parse;
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n <= 0) break;
    parse.feed(buf, static_cast<std::size_t>(n), out);
  }
  parse.finish(out);
  ::close(fd);
}

void walk(int dirfd, int depth, std::size_t& dirs, std::vector<pid_t>& out) {
  read_procs(dirfd, out);
  if (depth >= kMaxDepth) return;
  alignas(8) char dents[2048];
  for (;;) {
    long n = ::syscall(SYS_getdents64, dirfd, dents, sizeof dents);
    if (n <= 0) return;
    for (long off = 0; off < n;) {
      auto* d = reinterpret_cast<Dirent64*>(dents + off);
      off += d->d_reclen;
      if (d->d_type != DT_DIR || d->d_name[0] == '.') continue;
      if (++dirs > kMaxDirs) return;
      int sub = ::openat(dirfd, d->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      if (sub < 0) continue;
      walk(sub, depth + 1, dirs, out);
      ::close(sub);
    }
  }
}

bool noisy(StallKind k) { return k == StallKind::Io || k == StallKind::Exit; }

}  // namespace

void list_group_pids(const std::vector<std::string>& dirs, std::vector<pid_t>& out) {
  std::size_t seen = 0;
  for (const std::string& dir : dirs) {
    int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) continue;
    ++seen;
    walk(fd, 0, seen, out);
    ::close(fd);
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
}

std::vector<std::string> probe_dirs(const std::string& memory_root, const std::string& scope,
                                    const std::vector<std::string>& watch_dirs,
                                    const std::vector<std::string>& watched_cgroups) {
  std::vector<std::string> out;
  const bool scoped = !scope.empty() && scope != "/";
  if (scoped) out.push_back(memory_root + scope);
  for (std::size_t i = 0; i < watch_dirs.size(); ++i) {
    const std::string cg = i < watched_cgroups.size() ? watched_cgroups[i] : std::string();
    // Its processes are the scope's (the cgroup2 twin of the v1 memory group,
    // or the very same directory on a v2 host): listed once is enough.
    if (scoped && !cg.empty() && in_cgroup(cg, scope)) continue;
    if (std::find(out.begin(), out.end(), watch_dirs[i]) == out.end()) out.push_back(watch_dirs[i]);
  }
  return out;
}

bool ProbeRule::wants_scan(const std::vector<TaskSample>& samples) {
  next_.clear();
  bool want = false;
  for (const TaskSample& t : samples) {
    if (t.kind == StallKind::None) continue;
    if (!noisy(t.kind)) {
      want = true;
      continue;
    }
    std::pair<pid_t, std::uint64_t> key{t.tid, t.starttime};
    next_.push_back(key);
    if (std::binary_search(noisy_.begin(), noisy_.end(), key)) want = true;
  }
  std::sort(next_.begin(), next_.end());
  std::swap(noisy_, next_);
  return want;
}

bool stall_goes_on(const PsiTotals& at_event, const PsiTotals& later) {
  const std::int64_t elapsed_ms = later.ms - at_event.ms;
  if (elapsed_ms <= 0 || later.groups_us.size() != at_event.groups_us.size()) return true;
  // Half the trigger's rate (150 ms in 2 s): 3.75% of the time that passed.
  const std::uint64_t enough_us = static_cast<std::uint64_t>(elapsed_ms) * 1000 * 3 / 80;
  auto grew = [enough_us](std::uint64_t before, std::uint64_t after) {
    constexpr std::uint64_t unread = PsiTotals::kUnread;
    return before == unread || after == unread || after < before || after - before >= enough_us;
  };
  if (grew(at_event.system_us, later.system_us)) return true;
  for (std::size_t i = 0; i < later.groups_us.size(); ++i)
    if (grew(at_event.groups_us[i], later.groups_us[i])) return true;
  return false;
}

void StallAttribution::note(std::int64_t now_ms, std::uint64_t system_us, const std::vector<std::uint64_t>& groups_us) {
  // A ring whose entries keep their vectors: no allocation once it is full.
  if (ring_.size() < kKeep) ring_.emplace_back();
  else std::rotate(ring_.begin(), ring_.begin() + 1, ring_.end());
  Reading& r = ring_.back();
  r.ms = now_ms;
  r.system_us = system_us;
  r.groups_us.assign(groups_us.begin(), groups_us.end());
}

bool StallAttribution::explains(std::int64_t now_ms, std::uint64_t system_us,
                                const std::vector<std::uint64_t>& groups_us, std::int64_t window_ms,
                                std::int64_t max_age_ms) {
  const Reading* base = nullptr;
  for (auto it = ring_.rbegin(); it != ring_.rend(); ++it)
    if (now_ms - it->ms >= window_ms) {
      base = &*it;
      break;
    }
  bool explained = false;
  if (base && now_ms - base->ms <= max_age_ms && base->system_us != 0 && system_us >= base->system_us &&
      groups_us.size() == base->groups_us.size()) {
    std::uint64_t grown = 0;
    bool ok = true;
    for (std::size_t i = 0; i < groups_us.size(); ++i) {
      if (groups_us[i] < base->groups_us[i]) ok = false;
      else grown += groups_us[i] - base->groups_us[i];
    }
    explained = ok && system_us - base->system_us <= grown + grown / 8 + kSlackUs;
  }
  note(now_ms, system_us, groups_us);
  return explained;
}

}  // namespace oomlab::watchdog
