// A writer for the "newc" cpio format the kernel unpacks as its initramfs
// (Documentation/driver-api/early-userspace/buffer-format.rst). Written here
// rather than by piping `find | cpio` so that device nodes (/dev/console) can
// go into the image without root and without touching the host's /dev.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>

namespace oomlab::vm {

class CpioWriter {
 public:
  // Paths are relative to the archive root, without a leading "/".
  void add_dir(std::string_view path, std::uint32_t mode = 0755);
  void add_file(std::string_view path, std::string_view content, std::uint32_t mode = 0644);
  void add_symlink(std::string_view path, std::string_view target);
  void add_char_device(std::string_view path, std::uint32_t major, std::uint32_t minor, std::uint32_t mode = 0600);
  // Appends the trailer and returns the archive. The writer is empty afterwards.
  std::string finish();

  std::size_t entries() const { return next_ino_ - 1; }

 private:
  void add_entry(std::string_view path, std::uint32_t mode, std::string_view data,
                 std::uint32_t rdev_major = 0, std::uint32_t rdev_minor = 0);
  std::string out_;
  std::uint32_t next_ino_ = 1;
};

// One entry read back from an archive (tests, and `oomlab-vm` never needs more).
struct CpioEntry {
  std::string path;
  std::uint32_t mode = 0;
  std::uint32_t rdev_major = 0, rdev_minor = 0;
  std::string data;
};

// Calls fn(entry) for each entry up to the trailer. Returns false when the
// archive is malformed.
template <class Fn>
bool for_each_cpio_entry(std::string_view archive, Fn&& fn);
bool parse_cpio_entry(std::string_view archive, std::size_t& offset, CpioEntry& out, bool& trailer);

template <class Fn>
bool for_each_cpio_entry(std::string_view archive, Fn&& fn) {
  std::size_t offset = 0;
  CpioEntry e;
  bool trailer = false;
  while (offset < archive.size()) {
    if (!parse_cpio_entry(archive, offset, e, trailer)) return false;
    if (trailer) return true;
    fn(e);
  }
  return false;
}

}  // namespace oomlab::vm
