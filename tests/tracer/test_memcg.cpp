#include "test_memcg.hpp"

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstring>
#include <fstream>
#include <sstream>
#include <sys/stat.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

#include "oomlab/common/procfs.hpp"

namespace oomlab::test {
namespace {

// "/sys/fs/cgroup/memory/<own v1 path>" or "/sys/fs/cgroup/<own v2 path>".
std::string own_memcg_dir(bool& v2) {
  std::ifstream in("/proc/self/cgroup");
  std::string line, unified;
  while (std::getline(in, line)) {
    auto first = line.find(':'), second = line.find(':', first + 1);
    if (first == std::string::npos || second == std::string::npos) continue;
    std::string controllers = line.substr(first + 1, second - first - 1), path = line.substr(second + 1);
    std::stringstream list(controllers);
    for (std::string c; std::getline(list, c, ',');)
      if (c == "memory" && access("/sys/fs/cgroup/memory/cgroup.procs", F_OK) == 0) {
        v2 = false;
        return "/sys/fs/cgroup/memory" + (path == "/" ? "" : path);
      }
    if (controllers.empty()) unified = path;
  }
  auto controllers = read_proc_file("/sys/fs/cgroup/cgroup.controllers");
  if (controllers && controllers->find("memory") != std::string::npos) {
    v2 = true;
    return "/sys/fs/cgroup" + (unified == "/" ? "" : unified);
  }
  return "";
}

}  // namespace

TestMemcg::TestMemcg(const std::string& name, std::uint64_t limit_bytes) {
  bool v2 = false;
  std::string parent = own_memcg_dir(v2);
  if (parent.empty()) {
    error_ = "no memory cgroup controller mounted";
    return;
  }
  path_ = parent + "/" + name + "-" + std::to_string(getpid());
  if (mkdir(path_.c_str(), 0755) != 0) {
    error_ = "mkdir " + path_ + ": " + std::strerror(errno);
    return;
  }
  created_ = true;
  const std::string limit_file = path_ + (v2 ? "/memory.max" : "/memory.limit_in_bytes");
  if (int err = write_control_file(limit_file, std::to_string(limit_bytes))) {
    error_ = "write " + limit_file + ": " + std::strerror(err);
    return;
  }
  if (v2) write_control_file(path_ + "/memory.swap.max", "0");
}

bool TestMemcg::add(pid_t pid) {
  return created_ && write_control_file(path_ + "/cgroup.procs", std::to_string(pid)) == 0;
}

TestMemcg::~TestMemcg() {
  if (!created_) return;
  // Kill and wait for everything inside first: rmdir of a populated group fails.
  for (int attempt = 0; attempt < 100; attempt++) {
    auto procs = read_proc_file(path_ + "/cgroup.procs");
    if (!procs || procs->empty()) break;
    std::stringstream list(*procs);
    for (pid_t pid; list >> pid;) kill(pid, SIGKILL);
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  for (int attempt = 0; attempt < 50 && rmdir(path_.c_str()) != 0 && errno == EBUSY; attempt++)
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
}

void Child::start() {
  if (pipe(release_fd_) != 0) return;
  pid_ = fork();
  if (pid_ == 0) {
    setpgid(0, 0);
    close(release_fd_[1]);
  } else {
    close(release_fd_[0]);
  }
}

void Child::wait_release() {
  char c;
  while (read(release_fd_[0], &c, 1) < 0 && errno == EINTR) {
  }
  close(release_fd_[0]);
}

void Child::release() {
  if (release_fd_[1] >= 0) {
    (void)!write(release_fd_[1], "x", 1);
    close(release_fd_[1]);
    release_fd_[1] = -1;
  }
}

int Child::wait_exit(int timeout_ms) {
  if (pid_ <= 0 || reaped_) return -1;
  for (int waited = 0; waited <= timeout_ms; waited += 10) {
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      reaped_ = true;
      return status;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return -1;
}

void Child::kill_and_reap() {
  if (release_fd_[1] >= 0) close(release_fd_[1]);
  release_fd_[1] = -1;
  if (pid_ <= 0 || reaped_) return;
  kill(-pid_, SIGKILL);
  kill(pid_, SIGKILL);
  waitpid(pid_, nullptr, 0);
  reaped_ = true;
}

}  // namespace oomlab::test
