#include "oomlab/analyzer/line_reader.hpp"

#include <cerrno>
#include <cstring>
#include <system_error>
#include <unistd.h>

namespace oomlab::analyzer {

namespace {
constexpr std::size_t kChunk = 1 << 20;  // read size: large enough to amortise syscalls
}

LineReader::LineReader(int fd, std::size_t max_line)
    : fd_(fd), max_line_(max_line < 64 ? 64 : max_line), buf_(kChunk + 2 * max_line_) {}

bool LineReader::fill() {
  if (eof_) return false;
  for (;;) {
    ssize_t n = ::read(fd_, buf_.data() + end_, buf_.size() - end_);
    if (n > 0) {
      // NUL bytes (serial noise, binary junk) would end C strings downstream:
      // replace them once per chunk rather than once per line.
      char* p = buf_.data() + end_;
      char* const e = p + n;
      while ((p = static_cast<char*>(std::memchr(p, '\0', static_cast<std::size_t>(e - p)))) != nullptr) {
        *p++ = ' ';
        ++nuls_;
      }
      end_ += static_cast<std::size_t>(n);
      bytes_ += static_cast<std::uint64_t>(n);
      return true;
    }
    if (n == 0) {
      eof_ = true;
      return false;
    }
    if (errno == EINTR) continue;
    throw std::system_error(errno, std::generic_category(), "read");
  }
}

std::string_view LineReader::finish_line(char* begin, std::size_t len) {
  if (len > max_line_) {
    len = max_line_;
    ++truncated_;
  }
  while (len > 0 && begin[len - 1] == '\r') --len;
  return {begin, len};
}

std::optional<std::string_view> LineReader::next() {
  for (;;) {
    char* base = buf_.data();
    if (start_ < end_) {
      auto* nl = static_cast<char*>(std::memchr(base + start_, '\n', end_ - start_));
      if (nl != nullptr) {
        std::size_t begin = start_;
        start_ = static_cast<std::size_t>(nl - base) + 1;
        if (skipping_) {  // end of an over-long line whose head we already returned
          skipping_ = false;
          continue;
        }
        return finish_line(base + begin, static_cast<std::size_t>(nl - base) - begin);
      }
    }
    std::size_t pending = end_ - start_;
    if (skipping_) {
      start_ = end_ = 0;
      if (!fill()) return std::nullopt;
      continue;
    }
    if (pending >= max_line_) {  // over-long line: hand out its head, skip the rest
      char* head = base + start_;
      start_ = end_ = 0;  // the head stays valid until the next call refills the buffer
      skipping_ = true;
      ++truncated_;
      return finish_line(head, max_line_);
    }
    if (start_ > 0) {
      std::memmove(base, base + start_, pending);
      start_ = 0;
      end_ = pending;
    }
    if (!fill()) {
      if (end_ == start_) return std::nullopt;
      std::size_t begin = start_;
      start_ = end_;
      return finish_line(base + begin, end_ - begin);
    }
  }
}

}  // namespace oomlab::analyzer
