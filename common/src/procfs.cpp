#include "oomlab/common/procfs.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <stdexcept>
#include <unistd.h>

namespace oomlab {
namespace {

constexpr std::string_view kForbidden[] = {
    "cmdline", "environ", "maps", "smaps", "smaps_rollup", "numa_maps", "mem", "pagemap",
};

bool all_digits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s)
    if (c < '0' || c > '9') return false;
  return true;
}

}  // namespace

bool is_mmap_lock_proc_path(std::string_view path) {
  constexpr std::string_view prefix = "/proc/";
  if (path.substr(0, prefix.size()) != prefix) return false;
  path.remove_prefix(prefix.size());
  // <pid>/... ; "self" and "thread-self" are our own process.
  std::size_t slash = path.find('/');
  if (slash == std::string_view::npos) return false;
  if (!all_digits(path.substr(0, slash))) return false;
  path.remove_prefix(slash + 1);
  if (path.substr(0, 5) == "task/") {
    path.remove_prefix(5);
    slash = path.find('/');
    if (slash == std::string_view::npos) return false;
    path.remove_prefix(slash + 1);
  }
  while (!path.empty() && path.back() == '/') path.remove_suffix(1);
  for (auto f : kForbidden)
    if (path == f) return true;
  return false;
}

long read_proc_file_into(const char* path, char* buf, std::size_t cap) {
  if (is_mmap_lock_proc_path(path))
    throw std::logic_error(std::string("refusing to read ") + path + ": it blocks behind the mmap lock");
  int fd = ::open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  std::size_t len = 0;
  while (len < cap) {
    ssize_t n = ::read(fd, buf + len, cap - len);
    if (n < 0) {
      if (errno == EINTR) continue;
      ::close(fd);
      return -1;
    }
    if (n == 0) break;
    len += static_cast<std::size_t>(n);
  }
  ::close(fd);
  return static_cast<long>(len);
}

std::optional<std::string> read_proc_file(const std::string& path, std::size_t max_bytes) {
  if (is_mmap_lock_proc_path(path))
    throw std::logic_error("refusing to read " + path + ": it blocks behind the mmap lock");
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  // The string grows with what the file holds, never to max_bytes up front: a
  // 1 MiB cap would otherwise touch 1 MiB that the mlocked watchdog keeps
  // resident (malloc keeps a freed block that size in its arena) for a
  // /proc/self/mounts of a few kB.
  std::string out;
  char chunk[4096];
  while (out.size() < max_bytes) {
    ssize_t n = ::read(fd, chunk, std::min(sizeof chunk, max_bytes - out.size()));
    if (n < 0) {
      if (errno == EINTR) continue;
      ::close(fd);
      return std::nullopt;
    }
    if (n == 0) break;
    out.append(chunk, static_cast<std::size_t>(n));
  }
  ::close(fd);
  return out;
}

int write_control_file(const std::string& path, std::string_view value) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) return errno;
  ssize_t n;
  do {
    n = ::write(fd, value.data(), value.size());
  } while (n < 0 && errno == EINTR);
  int err = n < 0 ? errno : (static_cast<std::size_t>(n) == value.size() ? 0 : EIO);
  ::close(fd);
  return err;
}

}  // namespace oomlab
