#include "oomlab/common/subprocess.hpp"

#include "oomlab/common/clock.hpp"

#include <cerrno>
#include <climits>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <poll.h>
#include <stdexcept>
#include <sys/wait.h>
#include <system_error>
#include <unistd.h>

namespace oomlab {
namespace {

[[noreturn]] void throw_errno(const char* what) { throw std::system_error(errno, std::generic_category(), what); }

struct Pipe {
  int rd = -1, wr = -1;
  Pipe() {
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) throw_errno("pipe2");
    rd = fds[0];
    wr = fds[1];
  }
  ~Pipe() { close_both(); }
  void close_rd() { if (rd >= 0) ::close(rd), rd = -1; }
  void close_wr() { if (wr >= 0) ::close(wr), wr = -1; }
  void close_both() { close_rd(); close_wr(); }
};

// Only async-signal-safe calls between fork and exec: the parent may have
// threads (the runner's samplers, gtest).
[[noreturn]] void exec_child(const ProcessSpec& spec, char* const* argv, Pipe& in, Pipe& out, Pipe& err) {
  setpgid(0, 0);
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
  signal(SIGPIPE, SIG_DFL);
  dup2(in.rd, 0);
  dup2(out.wr, 1);
  dup2(err.wr, 2);
  if (!spec.cwd.empty() && chdir(spec.cwd.c_str()) != 0) {
    const char msg[] = "run_process: cannot chdir\n";
    (void)!write(2, msg, sizeof msg - 1);
    _exit(127);
  }
  execvp(argv[0], argv);
  const char* why = strerror(errno);  // not strictly AS-safe; glibc's is fine for known errnos
  (void)!write(2, "run_process: cannot execute ", 28);
  (void)!write(2, argv[0], strlen(argv[0]));
  (void)!write(2, ": ", 2);
  (void)!write(2, why, strlen(why));
  (void)!write(2, "\n", 1);
  _exit(127);
}

}  // namespace

ProcessResult run_process(const ProcessSpec& spec) {
  if (spec.argv.empty()) throw std::invalid_argument("run_process: empty argv");
  std::vector<char*> argv;
  for (const auto& a : spec.argv) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  // setenv is not safe after fork: prepare the environment before, in the
  // parent, by building a new environ array.
  std::vector<std::string> env_store;
  for (char** e = environ; *e; ++e) {
    std::string_view kv(*e);
    bool overridden = false;
    for (const auto& [k, v] : spec.env)
      if (kv.size() > k.size() && kv.substr(0, k.size()) == k && kv[k.size()] == '=') overridden = true;
    if (!overridden) env_store.emplace_back(kv);
  }
  for (const auto& [k, v] : spec.env) env_store.push_back(k + "=" + v);
  std::vector<char*> envp;
  for (auto& s : env_store) envp.push_back(s.data());
  envp.push_back(nullptr);

  Pipe in, out, err;
  pid_t pid = fork();
  if (pid < 0) throw_errno("fork");
  if (pid == 0) {
    environ = envp.data();
    exec_child(spec, argv.data(), in, out, err);
  }
  setpgid(pid, pid);  // also from the parent: no race with a timeout kill
  in.close_rd();
  out.close_wr();
  err.close_wr();
  fcntl(in.wr, F_SETFL, O_NONBLOCK);

  ProcessResult result;
  std::size_t written = 0;
  if (spec.stdin_data.empty()) in.close_wr();
  const std::int64_t deadline = spec.timeout.count() > 0 ? monotonic_ms() + spec.timeout.count() : 0;
  char buf[65536];
  while (out.rd >= 0 || err.rd >= 0) {
    pollfd fds[3];
    int n = 0;
    int i_out = -1, i_err = -1, i_in = -1;
    if (out.rd >= 0) i_out = n, fds[n++] = {out.rd, POLLIN, 0};
    if (err.rd >= 0) i_err = n, fds[n++] = {err.rd, POLLIN, 0};
    if (in.wr >= 0) i_in = n, fds[n++] = {in.wr, POLLOUT, 0};
    int wait_ms = -1;
    if (deadline) {
      std::int64_t left = deadline - monotonic_ms();
      if (left <= 0) {
        result.timed_out = true;
        kill(-pid, SIGKILL);
        break;
      }
      wait_ms = static_cast<int>(std::min<std::int64_t>(left, INT_MAX));
    }
    int rc = poll(fds, n, wait_ms);
    if (rc < 0) {
      if (errno == EINTR) continue;
      kill(-pid, SIGKILL);
      break;
    }
    auto drain = [&](int idx, Pipe& p, std::string& into) {
      if (idx < 0 || !(fds[idx].revents & (POLLIN | POLLHUP | POLLERR))) return;
      ssize_t got = read(p.rd, buf, sizeof buf);
      if (got > 0) into.append(buf, static_cast<std::size_t>(got));
      else if (got == 0 || errno != EINTR) p.close_rd();
    };
    drain(i_out, out, result.out);
    drain(i_err, err, result.err);
    if (i_in >= 0 && (fds[i_in].revents & (POLLOUT | POLLERR | POLLHUP))) {
      ssize_t put = write(in.wr, spec.stdin_data.data() + written, spec.stdin_data.size() - written);
      if (put > 0) written += static_cast<std::size_t>(put);
      if ((put < 0 && errno != EAGAIN && errno != EINTR) || written == spec.stdin_data.size()) in.close_wr();
    }
  }
  in.close_wr();
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
  // Grandchildren that outlived the child (daemonised helpers) die with it.
  kill(-pid, SIGKILL);
  if (WIFEXITED(status)) result.exit_code = WEXITSTATUS(status);
  else if (WIFSIGNALED(status)) result.signal = WTERMSIG(status);
  return result;
}

std::string self_exe_dir() {
  char path[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", path, sizeof path - 1);
  if (n <= 0) return ".";
  std::string p(path, static_cast<std::size_t>(n));
  auto slash = p.rfind('/');
  return slash == std::string::npos ? "." : p.substr(0, slash);
}

}  // namespace oomlab
