#include "oomlab/common/procfs_once.hpp"

#include <cerrno>
#include <fcntl.h>
#include <stdexcept>
#include <string>
#include <unistd.h>

#include "oomlab/common/procfs.hpp"

namespace oomlab {

long read_proc_file_once(const char* path, char* buf, std::size_t cap) {
  if (is_mmap_lock_proc_path(path))
    throw std::logic_error(std::string("refusing to read ") + path + ": it blocks behind the mmap lock");
  int fd = ::open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  ssize_t n;
  do {
    n = ::read(fd, buf, cap);
  } while (n < 0 && errno == EINTR);
  ::close(fd);
  return n < 0 ? -1 : static_cast<long>(n);
}

}  // namespace oomlab
