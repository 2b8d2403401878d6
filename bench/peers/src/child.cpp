#include "child.hpp"

#include <cerrno>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <system_error>
#include <unistd.h>

#include "oomlab/common/clock.hpp"

#include "oomlab/common/oom_protection.hpp"

namespace oomlab::peers {

Child::Child(const std::vector<std::string>& argv) {
  if (argv.empty()) throw std::system_error(EINVAL, std::generic_category(), "empty argv");
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) throw std::system_error(errno, std::generic_category(), "pipe2");
  pid_t parent = getpid();
  pid_ = fork();
  if (pid_ < 0) {
    int e = errno;
    close(fds[0]), close(fds[1]);
    throw std::system_error(e, std::generic_category(), "fork");
  }
  if (pid_ == 0) {
    // Only async-signal-safe calls until exec.
    setpgid(0, 0);
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(127);
    // The guard starts where a service starts (0), not at the harness's
    // -1000 (the test VM's shell); its own choice (the watchdog's
    // self-protection, earlyoom -p) applies after exec.
    drop_inherited_oom_protection();
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    int devnull = open("/dev/null", O_RDONLY);
    if (devnull >= 0) dup2(devnull, 0);
    dup2(fds[1], 1);
    dup2(fds[1], 2);
    execvp(args[0], args.data());
    const char msg[] = "peers: cannot execute the command\n";
    (void)!write(2, msg, sizeof msg - 1);
    _exit(127);
  }
  setpgid(pid_, pid_);  // also from the parent: no race with an early stop()
  close(fds[1]);
  out_fd_ = fds[0];
  fcntl(out_fd_, F_SETFL, fcntl(out_fd_, F_GETFL) | O_NONBLOCK);
}

Child::~Child() {
  if (!reaped_) stop(500);
  if (out_fd_ >= 0) close(out_fd_);
}

void Child::drain_buffer(bool flush_partial) {
  std::int64_t now = realtime_ms();
  std::size_t start = 0;
  for (std::size_t nl; (nl = partial_.find('\n', start)) != std::string::npos; start = nl + 1)
    lines_.push_back({now, partial_.substr(start, nl - start)});
  partial_.erase(0, start);
  if (flush_partial && !partial_.empty()) {
    lines_.push_back({now, partial_});
    partial_.clear();
  }
}

void Child::pump(int timeout_ms) {
  if (out_fd_ < 0) return;
  pollfd p{out_fd_, POLLIN, 0};
  if (poll(&p, 1, timeout_ms) <= 0) return;
  char buf[8192];
  for (;;) {
    ssize_t n = read(out_fd_, buf, sizeof buf);
    if (n > 0) {
      partial_.append(buf, static_cast<std::size_t>(n));
      continue;
    }
    if (n == 0) {  // every writer closed
      close(out_fd_);
      out_fd_ = -1;
      drain_buffer(true);
      return;
    }
    if (errno == EINTR) continue;
    break;  // EAGAIN
  }
  drain_buffer(false);
}

bool Child::exited() {
  if (reaped_) return true;
  int st = 0;
  if (waitpid(pid_, &st, WNOHANG) == pid_) {
    reaped_ = true;
    status_ = st;
  }
  return reaped_;
}

void Child::stop(int grace_ms) {
  if (!exited()) {
    kill(-pid_, SIGTERM);
    for (int waited = 0; waited < grace_ms && !exited(); waited += 20) pump(20);
    if (!exited()) {
      kill(-pid_, SIGKILL);
      int st = 0;
      while (waitpid(pid_, &st, 0) < 0 && errno == EINTR) {
      }
      reaped_ = true;
      status_ = st;
    }
  }
  kill(-pid_, SIGKILL);  // whatever the leader left in its group (helpers, threads' children)
  for (int i = 0; i < 5 && out_fd_ >= 0; ++i) pump(20);
  drain_buffer(true);
}

}  // namespace oomlab::peers
