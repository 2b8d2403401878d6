// A memory PSI trigger (/proc/pressure/memory): its fd becomes POLLPRI-ready
// when tasks stalled on memory for `stall` within `window`. oomlab-trace uses
// it to attach the costly mmap_lock tracepoints only under pressure.
#pragma once
#include <chrono>
#include <string>

namespace oomlab::tracer {

class PsiTrigger {
 public:
  // PLATFORM.md: the window must be a multiple of 2 s on the build machines.
  PsiTrigger(std::chrono::microseconds stall, std::chrono::microseconds window,
             const char* path = "/proc/pressure/memory");
  ~PsiTrigger();
  PsiTrigger(const PsiTrigger&) = delete;
  PsiTrigger& operator=(const PsiTrigger&) = delete;
  bool ok() const { return fd_ >= 0; }
  const std::string& error() const { return error_; }
  int fd() const { return fd_; }

 private:
  int fd_ = -1;
  std::string error_;
};

}  // namespace oomlab::tracer
