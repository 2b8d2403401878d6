// A PSI trigger (Documentation/accounting/psi.rst): the pressure file opened
// O_RDWR and "some STALL_US WINDOW_US" written to it; the fd then becomes
// POLLPRI-ready whenever tasks stalled that long within the window. One home
// for every user: the watchdog (system and --watch-cgroup triggers, handed to
// its event loop with release()), oomlab-trace (attaches the costly
// mmap_lock tracepoints only under pressure) and the watchdog benches.
#pragma once
#include <chrono>
#include <string>

namespace oomlab {

class PsiTrigger {
 public:
  // PLATFORM.md: the window must be a multiple of 2 s on the build machines.
  PsiTrigger(std::chrono::microseconds stall, std::chrono::microseconds window,
             const char* path = "/proc/pressure/memory");
  ~PsiTrigger();
  PsiTrigger(const PsiTrigger&) = delete;
  PsiTrigger& operator=(const PsiTrigger&) = delete;
  bool ok() const { return fd_ >= 0; }
  int fd() const { return fd_; }
  // Why not ok(): the errno, whether the file opened and the kernel refused
  // the trigger (rejected) or it did not open, and one line saying so.
  int error_number() const { return errno_; }
  bool rejected() const { return rejected_; }
  const std::string& error() const { return error_; }
  // What was written: "some 150000 2000000".
  const std::string& spec() const { return spec_; }
  // The fd for the caller to own (an event loop); this object forgets it.
  int release() {
    int fd = fd_;
    fd_ = -1;
    return fd;
  }

 private:
  int fd_ = -1;
  int errno_ = 0;
  bool rejected_ = false;
  std::string spec_;
  std::string error_;
};

}  // namespace oomlab
