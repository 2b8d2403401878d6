// The record getdents64(2) fills in (glibc has no declaration of
// linux_dirent64): the watchdog's sampler lists /proc and task/ with it, its
// idle probe a group's subdirectories, the watchdog benches /proc and a
// daemon's task/ - raw syscalls, no DIR* allocation per listing.
#pragma once
#include <cstdint>

namespace oomlab {

struct Dirent64 {
  std::uint64_t d_ino;
  std::int64_t d_off;
  unsigned short d_reclen;
  unsigned char d_type;
  char d_name[];
};

}  // namespace oomlab
