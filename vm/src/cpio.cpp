#include "cpio.hpp"

#include <algorithm>
#include <cstdio>
#include <sys/stat.h>

namespace oomlab::vm {
namespace {

constexpr std::size_t kHeaderSize = 110;  // "070701" + 13 fields of 8 hex digits

void pad4(std::string& s) {
  while (s.size() % 4 != 0) s.push_back('\0');
}

std::size_t round4(std::size_t n) { return (n + 3) & ~std::size_t{3}; }

bool hex_field(std::string_view header, int index, std::uint32_t& out) {
  out = 0;
  for (char c : header.substr(6 + 8 * static_cast<std::size_t>(index), 8)) {
    int v = (c >= '0' && c <= '9') ? c - '0' : (c >= 'a' && c <= 'f') ? c - 'a' + 10 : (c >= 'A' && c <= 'F') ? c - 'A' + 10 : -1;
    if (v < 0) return false;
    out = out * 16 + static_cast<std::uint32_t>(v);
  }
  return true;
}

}  // namespace

void CpioWriter::add_entry(std::string_view path, std::uint32_t mode, std::string_view data,
                           std::uint32_t rdev_major, std::uint32_t rdev_minor) {
  while (!path.empty() && path.front() == '/') path.remove_prefix(1);
  char header[kHeaderSize + 1];
  // ino mode uid gid nlink mtime filesize devmajor devminor rdevmajor rdevminor namesize check.
  // mtime 0 and uid/gid 0: the image depends only on its content, so it can be cached by hash.
  std::snprintf(header, sizeof header, "070701%08X%08X%08X%08X%08X%08X%08zX%08X%08X%08X%08X%08zX%08X",
                next_ino_++, mode, 0u, 0u, (mode & S_IFMT) == S_IFDIR ? 2u : 1u, 0u, data.size(), 0u, 0u,
                rdev_major, rdev_minor, path.size() + 1, 0u);
  out_.append(header, kHeaderSize);
  out_.append(path);
  out_.push_back('\0');
  pad4(out_);
  out_.append(data);
  pad4(out_);
}

void CpioWriter::add_dir(std::string_view path, std::uint32_t mode) { add_entry(path, S_IFDIR | (mode & 07777), {}); }

void CpioWriter::add_file(std::string_view path, std::string_view content, std::uint32_t mode) {
  add_entry(path, S_IFREG | (mode & 07777), content);
}

void CpioWriter::add_symlink(std::string_view path, std::string_view target) {
  add_entry(path, S_IFLNK | 0777, target);
}

void CpioWriter::add_char_device(std::string_view path, std::uint32_t major, std::uint32_t minor, std::uint32_t mode) {
  add_entry(path, S_IFCHR | (mode & 07777), {}, major, minor);
}

std::string CpioWriter::finish() {
  add_entry("TRAILER!!!", 0, {});
  next_ino_ = 1;
  return std::move(out_);
}

bool parse_cpio_entry(std::string_view archive, std::size_t& offset, CpioEntry& out, bool& trailer) {
  if (archive.size() - offset < kHeaderSize) return false;
  std::string_view header = archive.substr(offset, kHeaderSize);
  if (header.substr(0, 6) != "070701") return false;
  std::uint32_t filesize = 0, namesize = 0;
  if (!hex_field(header, 1, out.mode) || !hex_field(header, 6, filesize) || !hex_field(header, 9, out.rdev_major) ||
      !hex_field(header, 10, out.rdev_minor) || !hex_field(header, 11, namesize) || namesize == 0)
    return false;
  std::size_t name_at = offset + kHeaderSize;
  std::size_t data_at = round4(name_at + namesize);
  std::size_t end = round4(data_at + filesize);
  if (name_at + namesize > archive.size() || data_at + filesize > archive.size()) return false;
  out.path.assign(archive.substr(name_at, namesize - 1));
  out.data.assign(archive.substr(data_at, filesize));
  offset = std::min(end, archive.size());
  trailer = out.path == "TRAILER!!!";
  return true;
}

}  // namespace oomlab::vm
