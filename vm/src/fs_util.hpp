// Small file and text helpers the harness needs in several places.
#pragma once
#include "oomlab/common/html.hpp"
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace oomlab::vm {

// Whole file, or nullopt when it cannot be read.
std::optional<std::string> read_file(const std::string& path);
// Writes to PATH.tmp.PID then renames: readers never see half a file, and two
// harnesses filling the same cache do not corrupt each other. Throws.
void write_file_atomic(const std::string& path, std::string_view content);
// Throws std::runtime_error with the path and errno.
std::string read_file_or_throw(const std::string& path);

// 64-bit FNV-1a, incremental: cache keys for kernels and initramfs images.
class Fnv64 {
 public:
  void add(std::string_view data);
  void add_field(std::string_view data);  // length-prefixed: "ab"+"c" != "a"+"bc"
  std::string hex() const;

 private:
  std::uint64_t h_ = 0xcbf29ce484222325ull;
};

// Quotes for a POSIX shell: 'it'\''s'.
std::string shell_quote(std::string_view s);

// Escapes &, <, >, " for HTML text and attributes.
using oomlab::html_escape;  // common/html.hpp

}  // namespace oomlab::vm
