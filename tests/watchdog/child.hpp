// A background process for the e2e tests: started (optionally inside a
// memory cgroup, before exec so nothing runs outside it), its first stdout
// line awaited, and always killed and reaped by the destructor.
#pragma once
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <sys/types.h>
#include <variant>
#include <vector>

#include "oomlab/formats/watchdog_log.hpp"

namespace oomlab::cgroups {
class MemoryCgroup;
}

namespace wdtest {

class Child {
 public:
  // stderr goes to err_path when given (the daemon's log), else inherited.
  Child(std::vector<std::string> argv, oomlab::cgroups::MemoryCgroup* cg = nullptr, std::string err_path = "");
  ~Child();
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;

  pid_t pid() const { return pid_; }
  // The first line on stdout ("" on timeout or EOF).
  std::string wait_line(std::chrono::milliseconds timeout);
  bool running();  // not exited (a zombie counts as exited)
  // SIGTERM, then SIGKILL after grace; the exit code, 128+sig for a signal.
  int stop(std::chrono::milliseconds grace = std::chrono::seconds(5));
  int status() const { return status_; }

 private:
  pid_t pid_ = -1;
  int out_fd_ = -1;
  int status_ = -1;
  bool reaped_ = false;
};

std::string bin(const std::string& name);  // OOMLAB_BIN_DIR/name
std::string slurp(const std::string& path);
// The watchdog's --json-log through its one codec (formats/watchdog_log.hpp),
// as the runner and the analyzer read it: a renamed field breaks the build,
// not silently a test. Blank lines skipped; a line that does not decode is a
// test failure (the watchdog writes whole lines), except a last one without
// its newline yet (read while the daemon writes it).
std::vector<oomlab::formats::WatchdogRecord> watchdog_records(const std::string& path);
// The payloads of type T (formats::WdKill, ...) of those records, in order.
template <typename T>
std::vector<T> payloads(const std::vector<oomlab::formats::WatchdogRecord>& records) {
  std::vector<T> out;
  for (const auto& r : records)
    if (const T* p = std::get_if<T>(&r.payload)) out.push_back(*p);
  return out;
}

void poll_pause();  // sleeps 100 ms

// Polls pred every 100 ms until it holds or `timeout` passed; returns its
// last value. Tests wait for the event they check, not for a fixed time
// that a slow or loaded machine can overrun.
template <typename Pred>
bool wait_for(Pred pred, std::chrono::milliseconds timeout) {
  const auto end = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (pred()) return true;
    if (std::chrono::steady_clock::now() >= end) return false;
    poll_pause();
  }
}
// A copy of OOMLAB_BIN_DIR/name at dir/name, mode 0755, for a test that runs
// it as an unprivileged user: that user may not traverse the build tree (a
// checkout under /root or in a 0700 temp dir). `dir` must be traversable
// (mode 0755 or more). Returns the copy's path.
std::string world_exec_copy(const std::string& name, const std::string& dir);

// A private temp directory (mkdtemp under /tmp) removed with everything in
// it when the test ends, however it ends (a failed ASSERT returns early).
class TempDir {
 public:
  explicit TempDir(const std::string& prefix);
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string operator/(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// Why an e2e test that builds an mmap-lock stall (a FUSE-backed mapping) in
// a memory group cannot run on this machine; "" when it can (root, /dev/fuse).
std::string lock_stall_unavailable();

// A fresh memory group "<prefix>-..." limited to max_bytes for one test,
// deleted with everything in it when the pointer goes; nullptr with *why
// when this machine cannot make one.
std::unique_ptr<oomlab::cgroups::MemoryCgroup> test_group(const std::string& prefix, std::uint64_t max_bytes, std::string* why);

}  // namespace wdtest
