#include "oomlab/common/oom_protection.hpp"

#include <fcntl.h>
#include <unistd.h>

namespace oomlab {

bool drop_inherited_oom_protection(const char* path) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  char buf[16] = {};
  ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (n <= 0) return false;
  if (buf[0] != '-') return true;  // 0 or positive: the caller's choice stays
  fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
  if (fd < 0) return false;
  bool ok = write(fd, "0\n", 2) == 2;
  close(fd);
  return ok;
}

}  // namespace oomlab
