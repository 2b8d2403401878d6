// Replacing a file so that a reader sees the old content or the new one,
// never a half-written file: node_exporter's textfile collector reads the
// watchdog's metrics file at any moment.
#pragma once
#include <string>
#include <string_view>

namespace oomlab {

// Writes content to "<path>.tmp" (same directory, so rename(2) is atomic;
// the suffix keeps the collector's *.prom glob off it), mode 0644, then
// renames it over path. No fsync: after a power loss the previous content or
// an empty file is acceptable for data rewritten every few seconds.
// Returns "" on success, else a one-line reason naming the file.
std::string replace_file_atomically(const std::string& path, std::string_view content);

}  // namespace oomlab
