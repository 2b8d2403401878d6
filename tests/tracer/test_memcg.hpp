// A throwaway memory cgroup for the tracer's root tests: created under the
// test's own memory cgroup (v1 here; v2 when that is what the machine has),
// with a small limit; the destructor kills whatever is left in it and
// removes it, so no test leaves a cgroup or a process behind.
#pragma once
#include <cstdint>
#include <string>
#include <sys/types.h>
#include <unistd.h>

namespace oomlab::test {

class TestMemcg {
 public:
  explicit TestMemcg(const std::string& name, std::uint64_t limit_bytes);
  ~TestMemcg();
  TestMemcg(const TestMemcg&) = delete;
  TestMemcg& operator=(const TestMemcg&) = delete;

  bool ok() const { return error_.empty(); }
  const std::string& error() const { return error_; }
  const std::string& path() const { return path_; }
  bool add(pid_t pid);

 private:
  std::string path_;
  std::string error_;
  bool created_ = false;
};

// Forks a child that waits until released, then runs work() and _exits(0).
// The child is in its own process group; kill_and_reap() cleans it up.
class Child {
 public:
  template <typename F>
  explicit Child(F work) {
    start();
    if (pid_ == 0) {
      wait_release();
      work();
      _exit(0);
    }
  }
  ~Child() { kill_and_reap(); }
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;

  pid_t pid() const { return pid_; }
  void release();
  // Waits up to timeout_ms for the exit; returns the wait status or -1.
  int wait_exit(int timeout_ms);
  void kill_and_reap();

 private:
  void start();
  void wait_release();
  pid_t pid_ = -1;
  int release_fd_[2] = {-1, -1};
  bool reaped_ = false;
};

}  // namespace oomlab::test
