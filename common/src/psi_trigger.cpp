#include "oomlab/common/psi_trigger.hpp"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <unistd.h>

namespace oomlab {

PsiTrigger::PsiTrigger(std::chrono::microseconds stall, std::chrono::microseconds window, const char* path)
    : spec_("some " + std::to_string(stall.count()) + " " + std::to_string(window.count())) {
  fd_ = ::open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
  if (fd_ < 0) {
    errno_ = errno;
    error_ = std::string("cannot open ") + path + ": " + std::strerror(errno_);
    return;
  }
  // the trigger is the whole write including the terminating NUL
  if (::write(fd_, spec_.c_str(), spec_.size() + 1) < 0) {
    errno_ = errno;
    rejected_ = true;
    error_ = "PSI trigger \"" + spec_ + "\" rejected: " + std::strerror(errno_);
    ::close(fd_);
    fd_ = -1;
  }
}

PsiTrigger::~PsiTrigger() {
  if (fd_ >= 0) ::close(fd_);
}

}  // namespace oomlab
