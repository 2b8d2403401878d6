#include "oomlab/common/kmsg.hpp"

#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <unistd.h>

namespace oomlab {

std::optional<KmsgRecord> parse_kmsg_record(std::string_view raw) {
  std::size_t semi = raw.find(';');
  if (semi == std::string_view::npos) return std::nullopt;
  std::string_view prefix = raw.substr(0, semi);
  std::uint64_t fields[3] = {0, 0, 0};
  for (int i = 0; i < 3; ++i) {
    std::size_t comma = prefix.find(',');
    std::string_view f = prefix.substr(0, comma);
    auto [p, ec] = std::from_chars(f.data(), f.data() + f.size(), fields[i]);
    if (ec != std::errc() || p != f.data() + f.size()) return std::nullopt;
    if (comma == std::string_view::npos) {
      if (i < 2) return std::nullopt;
      break;
    }
    prefix.remove_prefix(comma + 1);
  }
  KmsgRecord r;
  r.level = static_cast<int>(fields[0] & 7);
  r.seq = fields[1];
  r.usec = fields[2];
  std::string_view msg = raw.substr(semi + 1);
  std::size_t nl = msg.find('\n');
  if (nl != std::string_view::npos) msg = msg.substr(0, nl);
  r.message.assign(msg);
  return r;
}

std::string format_dmesg_line(const KmsgRecord& r) {
  char ts[40];
  std::snprintf(ts, sizeof ts, "[%5llu.%06llu] ", static_cast<unsigned long long>(r.usec / 1'000'000),
                static_cast<unsigned long long>(r.usec % 1'000'000));
  return ts + r.message;
}

KmsgReader::KmsgReader(Start start, const char* path) {
  fd_ = ::open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd_ < 0) {
    error_ = std::string("cannot open ") + path + ": " + std::strerror(errno);
    return;
  }
  if (start == Start::Now) ::lseek(fd_, 0, SEEK_END);
}

KmsgReader::~KmsgReader() {
  if (fd_ >= 0) ::close(fd_);
}

std::optional<KmsgRecord> KmsgReader::next() {
  if (fd_ < 0) return std::nullopt;
  for (;;) {
    ssize_t n = ::read(fd_, buf_, sizeof buf_ - 1);
    if (n > 0) {
      if (auto r = parse_kmsg_record(std::string_view(buf_, static_cast<std::size_t>(n)))) return r;
      continue;  // malformed record: skip it
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EPIPE) {  // ring buffer wrapped past us
      ++lost_;
      continue;
    }
    return std::nullopt;  // EAGAIN (nothing new) or a real error
  }
}

}  // namespace oomlab
