#include "child.hpp"

#include <gtest/gtest.h>

#include <csignal>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <poll.h>
#include <sstream>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

#include "oomlab/cgroups/memory_cgroup.hpp"

namespace wdtest {

Child::Child(std::vector<std::string> argv, oomlab::cgroups::MemoryCgroup* cg, std::string err_path) {
  int out[2], go[2];
  if (pipe2(out, O_CLOEXEC) != 0 || pipe2(go, O_CLOEXEC) != 0) throw std::runtime_error("pipe");
  pid_ = fork();
  if (pid_ < 0) throw std::runtime_error("fork");
  if (pid_ == 0) {
    setpgid(0, 0);
    char c;
    if (read(go[0], &c, 1) != 1) _exit(126);  // the parent failed to place us
    dup2(out[1], 1);
    if (!err_path.empty()) {
      int fd = open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      if (fd >= 0) dup2(fd, 2);
    }
    std::vector<char*> args;
    for (auto& a : argv) args.push_back(a.data());
    args.push_back(nullptr);
    execv(args[0], args.data());
    _exit(127);
  }
  close(out[1]);
  close(go[0]);
  out_fd_ = out[0];
  if (cg) {
    try {
      cg->move_process(pid_);
    } catch (...) {
      close(go[1]);
      stop();
      throw;
    }
  }
  if (write(go[1], "x", 1) != 1) {
    // the child died already; stop() reaps it
  }
  close(go[1]);
}

Child::~Child() {
  if (!reaped_) {
    kill(pid_, SIGKILL);
    waitpid(pid_, &status_, 0);
  }
  if (out_fd_ >= 0) close(out_fd_);
}

std::string Child::wait_line(std::chrono::milliseconds timeout) {
  std::string line;
  auto end = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < end) {
    pollfd p{out_fd_, POLLIN, 0};
    if (poll(&p, 1, 50) <= 0) continue;
    char c;
    ssize_t n = read(out_fd_, &c, 1);
    if (n <= 0) break;
    if (c == '\n') return line;
    line += c;
  }
  return "";
}

bool Child::running() {
  if (reaped_) return false;
  int st;
  pid_t r = waitpid(pid_, &st, WNOHANG);
  if (r == pid_) {
    reaped_ = true;
    status_ = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    return false;
  }
  return true;
}

int Child::stop(std::chrono::milliseconds grace) {
  if (!running()) return status_;
  kill(pid_, SIGTERM);
  auto end = std::chrono::steady_clock::now() + grace;
  while (running() && std::chrono::steady_clock::now() < end) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  if (running()) {
    kill(pid_, SIGKILL);
    int st;
    waitpid(pid_, &st, 0);
    reaped_ = true;
    status_ = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
  }
  return status_;
}

std::string bin(const std::string& name) { return std::string(OOMLAB_BIN_DIR) + "/" + name; }

std::string lock_stall_unavailable() {
  if (geteuid() != 0) return "needs root (memory cgroups, FUSE mount)";
  if (::access("/dev/fuse", F_OK) != 0) return "no /dev/fuse: cannot build an mmap-lock stall";
  return {};
}

std::unique_ptr<oomlab::cgroups::MemoryCgroup> test_group(const std::string& prefix, std::uint64_t max_bytes, std::string* why) {
  try {
    oomlab::cgroups::CreateOptions o;
    o.prefix = prefix;
    o.limits.max_bytes = max_bytes;
    return std::make_unique<oomlab::cgroups::MemoryCgroup>(oomlab::cgroups::MemoryCgroup::create(o));
  } catch (const oomlab::cgroups::CgroupError& e) {
    if (why) *why = std::string("no memory cgroup: ") + e.what();
    return nullptr;
  }
}

void poll_pause() { std::this_thread::sleep_for(std::chrono::milliseconds(100)); }

std::string world_exec_copy(const std::string& name, const std::string& dir) {
  namespace fs = std::filesystem;
  const std::string copy = dir + "/" + name;
  fs::copy_file(bin(name), copy, fs::copy_options::overwrite_existing);
  fs::permissions(copy, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                            fs::perms::others_read | fs::perms::others_exec);
  return copy;
}

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::vector<oomlab::formats::WatchdogRecord> watchdog_records(const std::string& path) {
  std::vector<oomlab::formats::WatchdogRecord> out;
  const std::string text = slurp(path);
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (line.empty()) continue;
    std::string why;
    if (auto r = oomlab::formats::decode_watchdog_record(line, &why))
      out.push_back(std::move(*r));
    else if (!in.eof() || text.back() == '\n')  // not the line the daemon is writing now
      ADD_FAILURE() << path << ": " << why << ": " << line;
  }
  return out;
}

TempDir::TempDir(const std::string& prefix) {
  std::string tmpl = "/tmp/" + prefix + "-XXXXXX";
  if (!::mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp " + tmpl + " failed");
  path_ = tmpl;
}

TempDir::~TempDir() {
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

}  // namespace wdtest
