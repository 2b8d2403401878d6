#include "oomlab/watchdog/holders.hpp"

#include <algorithm>
#include <cstdio>
#include <dirent.h>
#include <fcntl.h>
#include <map>
#include <set>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <tuple>
#include <unistd.h>

#include "oomlab/watchdog/cgroup_view.hpp"

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_pidfd_getfd
#define SYS_pidfd_getfd 438
#endif

namespace oomlab::watchdog {
namespace {

constexpr std::uint64_t kPage = 4096;

bool starts_with(std::string_view s, std::string_view p) { return s.size() >= p.size() && s.compare(0, p.size(), p) == 0; }

// A mount point as /proc/self/mounts escapes it ("\040" for a space).
std::string unescape_mount(std::string_view m) {
  std::string out;
  for (std::size_t i = 0; i < m.size(); ++i) {
    if (m[i] == '\\' && i + 3 < m.size() && m[i + 1] >= '0' && m[i + 1] <= '3') {
      out += static_cast<char>((m[i + 1] - '0') * 64 + (m[i + 2] - '0') * 8 + (m[i + 3] - '0'));
      i += 3;
    } else {
      out += m[i];
    }
  }
  return out;
}

bool under(std::string_view path, std::string_view mnt) {
  if (mnt == "/") return !path.empty() && path[0] == '/';
  return starts_with(path, mnt) && path.size() > mnt.size() && path[mnt.size()] == '/';
}

std::optional<std::uint64_t> real_pipe_unread(pid_t pid, int fd) {
  // A copy of the holder's descriptor (root, same as ptrace attach) and
  // FIONREAD on it: takes the pipe's mutex, never the holder's mmap lock.
  int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
  if (pidfd < 0) return std::nullopt;
  int copy = static_cast<int>(::syscall(SYS_pidfd_getfd, pidfd, fd, 0));
  ::close(pidfd);
  if (copy < 0) return std::nullopt;
  int unread = 0;
  int rc = ::ioctl(copy, FIONREAD, &unread);
  ::close(copy);
  if (rc != 0 || unread < 0) return std::nullopt;
  return static_cast<std::uint64_t>(unread);
}

std::string mib(std::uint64_t bytes) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f MiB", static_cast<double>(bytes) / (1 << 20));
  return buf;
}

}  // namespace

HolderProbes real_holder_probes() {
  HolderProbes p;
  p.stat_fd = [](const std::string& path, struct stat& st) { return ::stat(path.c_str(), &st) == 0; };
  p.pipe_unread = real_pipe_unread;
  return p;
}

std::vector<std::string> tmpfs_mounts(std::string_view mounts_text) {
  std::vector<std::string> out;
  for_each_mount(mounts_text, [&](std::string_view mnt, std::string_view fstype) {
    if (fstype != "tmpfs" || starts_with(mnt, "/sys/") || mnt == "/sys") return;
    std::string m = unescape_mount(mnt);
    if (std::find(out.begin(), out.end(), m) == out.end()) out.push_back(std::move(m));
  });
  return out;
}

bool is_shmem_link(std::string_view link, const std::vector<std::string>& tmpfs) {
  if (starts_with(link, "/memfd:") || starts_with(link, "/SYSV") || starts_with(link, "/dev/shm/")) return true;
  for (const auto& m : tmpfs)
    if (under(link, m)) return true;
  return false;
}

std::uint64_t pipe_inode(std::string_view link) {
  if (!starts_with(link, "pipe:[") || link.back() != ']') return 0;
  std::uint64_t v = 0;
  for (char c : link.substr(6, link.size() - 7)) {
    if (c < '0' || c > '9') return 0;
    v = v * 10 + static_cast<std::uint64_t>(c - '0');
  }
  return v;
}

std::vector<HeldObject> find_held(const std::vector<pid_t>& pids, const std::string& proc_root,
                                  const std::vector<std::string>& tmpfs, const HolderProbes& probes,
                                  std::size_t max_fds) {
  std::vector<HeldObject> out;
  std::map<std::tuple<int, std::uint64_t, std::uint64_t>, std::size_t> index;
  char link[4096];
  for (pid_t pid : pids) {
    const std::string dir = proc_root + "/" + std::to_string(pid) + "/fd";
    DIR* d = ::opendir(dir.c_str());
    if (!d) continue;  // gone, or not ours to read
    std::size_t seen = 0;
    while (dirent* e = ::readdir(d)) {
      if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
      if (++seen > max_fds) break;
      const std::string path = dir + "/" + e->d_name;
      ssize_t n = ::readlink(path.c_str(), link, sizeof link - 1);
      if (n <= 0) continue;
      std::string_view name(link, static_cast<std::size_t>(n));
      HeldKind kind;
      std::uint64_t dev = 0, ino = pipe_inode(name);
      std::optional<std::uint64_t> bytes;
      bool probed = false;
      if (ino) {
        kind = HeldKind::Pipe;
      } else if (is_shmem_link(name, tmpfs)) {
        kind = HeldKind::Shmem;
        struct stat st{};
        if (probes.stat_fd && probes.stat_fd(path, st)) {
          if (!S_ISREG(st.st_mode)) continue;  // a socket or directory on tmpfs holds no pages
          dev = st.st_dev;
          ino = st.st_ino;
          bytes = static_cast<std::uint64_t>(st.st_blocks) * 512;
          probed = true;
        } else {
          ino = std::hash<std::string_view>{}(name);  // same name, same object
        }
      } else {
        continue;
      }
      auto key = std::make_tuple(static_cast<int>(kind), dev, ino);
      auto [it, fresh] = index.try_emplace(key, out.size());
      if (fresh) {
        HeldObject& o = out.emplace_back();
        o.kind = kind;
        o.name.assign(name);
        o.dev = dev;
        o.ino = ino;
        if (probed) o.bytes = bytes;
      }
      HeldObject& o = out[it->second];
      if (o.holders.empty() || o.holders.back() != pid) o.holders.push_back(pid);
      // A pipe is read once (both ends show the same buffer).
      if (kind == HeldKind::Pipe && !o.bytes && probes.pipe_unread) o.bytes = probes.pipe_unread(pid, std::atoi(e->d_name));
    }
    ::closedir(d);
  }
  for (auto& o : out) {
    std::sort(o.holders.begin(), o.holders.end());
    o.holders.erase(std::unique(o.holders.begin(), o.holders.end()), o.holders.end());
  }
  return out;
}

std::vector<Holding> holdings_of(const std::vector<HeldObject>& objects) {
  std::map<std::vector<pid_t>, Holding> by;
  for (const HeldObject& o : objects) {
    Holding& h = by[o.holders];
    h.holders = o.holders;
    std::uint64_t b = o.bytes ? *o.bytes : kPage;  // an unreadable one counts one page
    if (!o.bytes) h.all_known = false;
    h.bytes += b;
    (o.kind == HeldKind::Pipe ? h.pipes : h.files) += 1;
    // The name shown: the largest shmem file, else the largest pipe.
    const bool file = o.kind == HeldKind::Shmem, had_file = h.files > (file ? 1u : 0u);
    if (h.largest.empty() || (file && !had_file) || (file == had_file && b > h.largest_bytes)) {
      h.largest = o.name;
      h.largest_bytes = b;
    }
  }
  std::vector<Holding> out;
  for (auto& [holders, h] : by) out.push_back(std::move(h));
  std::stable_sort(out.begin(), out.end(), [](const Holding& a, const Holding& b) { return a.bytes > b.bytes; });
  return out;
}

std::string describe(const Holding& h) {
  std::string s = mib(h.bytes) + (h.all_known ? "" : " or more") + " in ";
  if (h.files == 1) s += h.largest;
  else if (h.files > 1) s += std::to_string(h.files) + " shmem files (largest " + h.largest + ")";
  if (h.files && h.pipes) s += " and ";
  if (h.pipes) s += std::to_string(h.pipes) + " pipe(s)";
  return s;
}

std::vector<UnheldFile> unheld_tmpfs_files(const std::vector<std::string>& tmpfs, const std::vector<HeldObject>& held,
                                           std::uint64_t min_bytes, std::size_t max_entries) {
  std::set<std::pair<std::uint64_t, std::uint64_t>> known;
  for (const auto& o : held)
    if (o.kind == HeldKind::Shmem && o.bytes) known.insert({o.dev, o.ino});
  std::vector<UnheldFile> out;
  for (const std::string& mnt : tmpfs) {
    std::size_t budget = max_entries;
    std::vector<std::string> dirs{mnt};
    for (std::size_t level = 0; level < 2 && !dirs.empty(); ++level) {
      std::vector<std::string> next;
      for (const std::string& dir : dirs) {
        DIR* d = ::opendir(dir.c_str());
        if (!d) continue;
        while (dirent* e = ::readdir(d)) {
          if (budget == 0) break;
          --budget;
          if (e->d_name[0] == '.' && (e->d_name[1] == 0 || (e->d_name[1] == '.' && e->d_name[2] == 0))) continue;
          struct stat st{};
          if (::fstatat(::dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) continue;
          std::string path = (dir == "/" ? "" : dir) + "/" + e->d_name;
          if (S_ISDIR(st.st_mode)) {
            next.push_back(std::move(path));
          } else if (S_ISREG(st.st_mode)) {
            auto bytes = static_cast<std::uint64_t>(st.st_blocks) * 512;
            if (bytes >= min_bytes && !known.count({st.st_dev, st.st_ino})) out.push_back({std::move(path), bytes});
          }
        }
        ::closedir(d);
      }
      dirs = std::move(next);
    }
  }
  std::sort(out.begin(), out.end(), [](const UnheldFile& a, const UnheldFile& b) { return a.bytes > b.bytes; });
  return out;
}

}  // namespace oomlab::watchdog
