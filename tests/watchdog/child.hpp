// A background process for the e2e tests: started (optionally inside a
// memory cgroup, before exec so nothing runs outside it), its first stdout
// line awaited, and always killed and reaped by the destructor.
#pragma once
#include <chrono>
#include <string>
#include <sys/types.h>
#include <vector>

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

}  // namespace wdtest
