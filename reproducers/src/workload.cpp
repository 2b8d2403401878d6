#include "workload.hpp"

#include "oomlab/common/oom_protection.hpp"

#include <csignal>
#include <cstdio>
#include <fcntl.h>
#include <sys/prctl.h>
#include <unistd.h>

namespace oomlab::repro {

WorkloadChild fork_workload(Scenario& scenario, const ScenarioParams& params, const std::string& log_path,
                            bool own_process_group) {
  int go[2];
  if (pipe2(go, O_CLOEXEC) != 0) return {};
  std::fflush(stdout);
  std::fflush(stderr);
  const pid_t runner = getpid();
  pid_t pid = fork();
  if (pid < 0) {
    close(go[0]), close(go[1]);
    return {};
  }
  if (pid == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != runner) _exit(127);  // the runner died before prctl
    // The runner's handlers (cleanup, stop flag) must not run in here.
    for (int sig : {SIGINT, SIGTERM, SIGHUP, SIGALRM, SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT, SIGPIPE, SIGCHLD})
      signal(sig, SIG_DFL);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    prctl(PR_SET_CHILD_SUBREAPER, 0);
    if (own_process_group) setpgid(0, 0);
    // A runner protected from the OOM killer (-1000: a guest's or a unit's
    // measuring instrument) must not hand that to the workload, which the
    // scenario needs killable like any process.
    drop_inherited_oom_protection();
    int log = open(log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (log >= 0) {
      dup2(log, 1);
      dup2(log, 2);
    }
    int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (devnull >= 0) dup2(devnull, 0);
    close(go[1]);
    char c = 0;
    while (read(go[0], &c, 1) < 0) {
    }
    if (c != 'g') _exit(126);  // the runner gave up (could not move us into the group)
    close(go[0]);
    int rc = 1;
    try {
      rc = scenario.run_workload(params);
    } catch (const std::exception& e) {
      std::fprintf(stderr, "oomlab-repro: %s: %s\n", std::string(scenario.name()).c_str(), e.what());
    }
    std::fflush(stdout);
    std::fflush(stderr);
    _exit(rc);
  }
  close(go[0]);
  return {pid, go[1]};
}

bool release_workload(WorkloadChild& child) {
  char c = 'g';
  bool ok = write(child.go_fd, &c, 1) == 1;
  close(child.go_fd);
  child.go_fd = -1;
  return ok;
}

}  // namespace oomlab::repro
