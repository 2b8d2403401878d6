#include "psi_trigger.hpp"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <unistd.h>

namespace oomlab::tracer {

PsiTrigger::PsiTrigger(std::chrono::microseconds stall, std::chrono::microseconds window, const char* path) {
  fd_ = ::open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
  if (fd_ < 0) {
    error_ = std::string("cannot open ") + path + ": " + std::strerror(errno);
    return;
  }
  std::string spec = "some " + std::to_string(stall.count()) + " " + std::to_string(window.count());
  // the trigger is the whole write including the terminating NUL
  if (::write(fd_, spec.c_str(), spec.size() + 1) < 0) {
    error_ = "PSI trigger \"" + spec + "\" rejected: " + std::strerror(errno);
    ::close(fd_);
    fd_ = -1;
  }
}

PsiTrigger::~PsiTrigger() {
  if (fd_ >= 0) ::close(fd_);
}

}  // namespace oomlab::tracer
