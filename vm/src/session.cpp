#include "session.hpp"

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <deque>
#include <fcntl.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <system_error>
#include <unistd.h>

#include "oomlab/common/clock.hpp"
#include "qemu.hpp"

namespace oomlab::vm {
namespace {

// How long the sysrq dumps get before the kill, and the pause between a BREAK
// and its letter (the kernel takes the first character after a BREAK within
// 5 s as the sysrq command; qemu must see them as separate writes).
constexpr std::int64_t kDumpBudgetMs = 9000;
constexpr std::int64_t kBreakToLetterMs = 300;
constexpr std::int64_t kBetweenDumpsMs = 2500;

[[noreturn]] void throw_errno(const char* what) { throw std::system_error(errno, std::generic_category(), what); }

struct Fd {
  int fd = -1;
  Fd() = default;
  explicit Fd(int f) : fd(f) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() { reset(); }
  void reset() {
    if (fd >= 0) close(fd);
    fd = -1;
  }
};

// Blocks the termination signals for the life of a session and restores the
// previous mask after; they are read from a signalfd in the poll loop.
struct SignalGuard {
  sigset_t old{};
  Fd sfd;
  SignalGuard() {
    sigset_t set;
    sigemptyset(&set);
    for (int s : {SIGINT, SIGTERM, SIGHUP}) sigaddset(&set, s);
    if (sigprocmask(SIG_BLOCK, &set, &old) != 0) throw_errno("sigprocmask");
    sfd.fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
    if (sfd.fd < 0) throw_errno("signalfd");
  }
  ~SignalGuard() { sigprocmask(SIG_SETMASK, &old, nullptr); }
};

struct PendingWrite {
  std::int64_t at_ms;
  std::string bytes;
  std::string letter;  // for the record, empty for a BREAK
};

}  // namespace

const char* to_string(SessionEnd e) {
  switch (e) {
    case SessionEnd::exited: return "exited";
    case SessionEnd::stalled: return "stalled";
    case SessionEnd::timed_out: return "timed_out";
    case SessionEnd::interrupted: return "interrupted";
  }
  return "?";
}

SessionResult run_session(const SessionConfig& cfg) {
  SessionResult res;
  SignalGuard signals;
  int in_pipe[2], out_pipe[2];
  if (pipe2(in_pipe, O_CLOEXEC) != 0) throw_errno("pipe");
  Fd in_r(in_pipe[0]), in_w(in_pipe[1]);
  if (pipe2(out_pipe, O_CLOEXEC) != 0) throw_errno("pipe");
  Fd out_r(out_pipe[0]), out_w(out_pipe[1]);
  Fd err_fd(open(cfg.stderr_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  if (err_fd.fd < 0) throw_errno(("open " + cfg.stderr_path).c_str());
  Fd log_fd(open(cfg.serial_log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  if (log_fd.fd < 0) throw_errno(("open " + cfg.serial_log_path).c_str());

  std::vector<char*> argv;
  for (const auto& a : cfg.argv) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  const pid_t parent = getpid();
  const std::int64_t start = monotonic_ms();

  pid_t pid = fork();
  if (pid < 0) throw_errno("fork");
  if (pid == 0) {
    // Child: only async-signal-safe calls until exec.
    setpgid(0, 0);
    prctl(PR_SET_PDEATHSIG, SIGKILL);  // the harness killed by SIGKILL takes qemu along
    if (getppid() != parent) _exit(127);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    signal(SIGPIPE, SIG_DFL);
    dup2(in_pipe[0], 0);
    dup2(out_pipe[1], 1);
    dup2(err_fd.fd, 2);
    execvp(argv[0], argv.data());
    const char msg[] = "oomlab-vm: cannot execute qemu: ";
    (void)!write(2, msg, sizeof msg - 1);
    (void)!write(2, strerror(errno), strlen(strerror(errno)));
    _exit(127);
  }
  setpgid(pid, pid);
  in_r.reset();
  out_w.reset();
  // A write to a qemu that just died must not kill the harness.
  struct sigaction ign{}, old_pipe{};
  ign.sa_handler = SIG_IGN;
  sigaction(SIGPIPE, &ign, &old_pipe);

  std::int64_t last_output = start;
  std::deque<PendingWrite> writes;
  bool dumping = false;
  std::int64_t kill_at = -1;
  bool killed = false;
  std::string pending_line;  // for the boot marker across reads
  auto kill_qemu = [&] {
    if (!killed) kill(-pid, SIGKILL);
    killed = true;
  };
  auto start_dumps = [&](SessionEnd why, std::int64_t now) {
    dumping = true;
    res.end = why;
    std::int64_t t = now;
    for (const char* letter : {"t", "w", "m"}) {
      writes.push_back({t, kSerialBreak, ""});
      writes.push_back({t + kBreakToLetterMs, letter, letter});
      t += kBetweenDumpsMs;
    }
    kill_at = std::min(t + 1000, start + cfg.timeout.count() + 1000);
  };

  for (;;) {
    std::int64_t now = monotonic_ms();
    if (!killed) {
      // Silence counts only once init runs: a TCG guest on a busy host can
      // print nothing for a minute while booting, and still boot.
      const bool booted = res.boot_ms >= 0 || cfg.boot_marker.empty();
      if (!dumping && booted && now - last_output >= cfg.stall_timeout.count()) start_dumps(SessionEnd::stalled, now);
      if (!dumping && now >= start + cfg.timeout.count() - kDumpBudgetMs) start_dumps(SessionEnd::timed_out, now);
      while (!writes.empty() && writes.front().at_ms <= now) {
        const auto& w = writes.front();
        if (write(in_w.fd, w.bytes.data(), w.bytes.size()) < 0 && errno != EINTR) writes.clear();
        else {
          if (!w.letter.empty()) res.sysrq_sent.push_back(w.letter);
          writes.pop_front();
        }
      }
      if (kill_at >= 0 && now >= kill_at) kill_qemu();
    }
    std::int64_t wake = killed ? now + 1000 : start + cfg.timeout.count();
    if (!killed && !dumping) wake = std::min<std::int64_t>(wake, start + cfg.timeout.count() - kDumpBudgetMs);
    if (!killed && !dumping && res.boot_ms >= 0) wake = std::min<std::int64_t>(wake, last_output + cfg.stall_timeout.count());
    if (!writes.empty()) wake = std::min(wake, writes.front().at_ms);
    if (kill_at >= 0 && !killed) wake = std::min(wake, kill_at);
    pollfd fds[2] = {{out_r.fd, POLLIN, 0}, {signals.sfd.fd, POLLIN, 0}};
    int n = poll(fds, 2, static_cast<int>(std::max<std::int64_t>(0, wake - now) + 1));
    if (n < 0 && errno != EINTR) {
      kill_qemu();
      break;
    }
    if (n > 0 && (fds[1].revents & POLLIN)) {
      signalfd_siginfo si{};
      if (read(signals.sfd.fd, &si, sizeof si) == sizeof si) {
        res.signal = static_cast<int>(si.ssi_signo);
        res.end = SessionEnd::interrupted;
        kill_qemu();
      }
    }
    if (n > 0 && (fds[0].revents & (POLLIN | POLLHUP))) {
      char buf[65536];
      ssize_t got = read(out_r.fd, buf, sizeof buf);
      if (got < 0 && errno == EINTR) continue;
      if (got <= 0) break;  // qemu closed its stdout: it exited (or was killed)
      std::string chunk;
      chunk.reserve(static_cast<std::size_t>(got));
      for (ssize_t i = 0; i < got; ++i)
        if (buf[i] != '\r') chunk.push_back(buf[i]);
      res.serial += chunk;
      (void)!write(log_fd.fd, chunk.data(), chunk.size());
      if (cfg.echo_console) (void)!write(2, chunk.data(), chunk.size());
      last_output = monotonic_ms();
      if (res.boot_ms < 0 && !cfg.boot_marker.empty()) {
        pending_line += chunk;
        if (pending_line.find(cfg.boot_marker) != std::string::npos) res.boot_ms = last_output - start;
        else if (auto nl = pending_line.rfind('\n'); nl != std::string::npos) pending_line.erase(0, nl + 1);
      }
    }
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  kill(-pid, SIGKILL);  // anything qemu left in its group
  sigaction(SIGPIPE, &old_pipe, nullptr);
  res.elapsed_ms = monotonic_ms() - start;
  res.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  if (auto err = [&]() -> std::string {
        std::string s;
        int fd = open(cfg.stderr_path.c_str(), O_RDONLY | O_CLOEXEC);
        if (fd < 0) return s;
        char buf[4096];
        ssize_t got;
        while ((got = read(fd, buf, sizeof buf)) > 0 && s.size() < 65536) s.append(buf, static_cast<std::size_t>(got));
        close(fd);
        return s;
      }();
      !err.empty())
    res.qemu_stderr = err;
  return res;
}

}  // namespace oomlab::vm
