// Streaming line splitter over a file descriptor: one fixed buffer, one pass.
// A line longer than the cap is cut (the head is kept, the rest skipped up to
// the next newline) and counted, so a 100 MB line costs no more memory than a
// short one. NUL bytes inside a line are replaced by spaces and counted.
#pragma once
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace oomlab::analyzer {

class LineReader {
 public:
  LineReader(int fd, std::size_t max_line);

  // The next line without its '\n' (and without a trailing '\r'); valid until
  // the next call. nullopt at end of input. Throws std::system_error on a read
  // error (EISDIR, EIO...).
  std::optional<std::string_view> next();

  std::uint64_t bytes() const { return bytes_; }
  std::uint64_t truncated_lines() const { return truncated_; }
  std::uint64_t nul_bytes() const { return nuls_; }

 private:
  bool fill();
  std::string_view finish_line(char* begin, std::size_t len);

  int fd_;
  std::size_t max_line_;
  std::vector<char> buf_;
  std::size_t start_ = 0, end_ = 0;
  bool eof_ = false;
  bool skipping_ = false;   // inside the tail of an over-long line
  std::uint64_t bytes_ = 0, truncated_ = 0, nuls_ = 0;
};

}  // namespace oomlab::analyzer
