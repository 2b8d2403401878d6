#include "watchdog_companion.hpp"

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "oomlab/common/clock.hpp"
#include "oomlab/facts/cgroup_hierarchy.hpp"
#include "oomlab/formats/watchdog_log.hpp"

namespace oomlab::repro {
namespace {

volatile pid_t g_watchdog_pid = 0;

std::string describe(int status) {
  if (WIFEXITED(status)) return "exit " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return "signal " + std::to_string(WTERMSIG(status)) + " (" + strsignal(WTERMSIG(status)) + ")";
  return "status " + std::to_string(status);
}

constexpr std::size_t kMaxEvents = 2000;

}  // namespace

pid_t watchdog_emergency_pid() { return g_watchdog_pid; }

std::vector<std::string> WatchdogCompanion::command(const std::string& exe, const std::string& group_name,
                                                    const std::string& pressure_path, const std::string& json_log,
                                                    const std::vector<std::string>& extra) {
  // The desktop profile's thresholds (warn 5 s, kill 10 s) fit a run of
  // tens of seconds; the server profile would act only after a minute.
  std::vector<std::string> argv{exe,          "run",    "--profile", "desktop", "--scope", "/" + group_name,
                                "--json-log", json_log, "--socket",  ""};
  if (!pressure_path.empty()) {
    argv.push_back("--watch-cgroup");
    argv.push_back(pressure_path.substr(0, pressure_path.rfind('/')));
  }
  argv.insert(argv.end(), extra.begin(), extra.end());
  return argv;
}

bool WatchdogCompanion::start(const std::vector<std::string>& argv, const std::string& log_path, std::string* why) {
  if (access(argv[0].c_str(), X_OK) != 0) {
    *why = "oomlab-watchdog not found next to oomlab-repro (" + argv[0] + ")";
    return false;
  }
  std::vector<char*> cargv;
  for (const std::string& a : argv) cargv.push_back(const_cast<char*>(a.c_str()));
  cargv.push_back(nullptr);
  const int log_fd = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (log_fd < 0) {
    *why = "cannot create " + log_path + ": " + std::strerror(errno);
    return false;
  }
  const pid_t parent = getpid();
  const pid_t pid = fork();
  if (pid < 0) {
    *why = std::string("fork: ") + std::strerror(errno);
    ::close(log_fd);
    return false;
  }
  if (pid == 0) {
    // Its own process group: a terminal's Ctrl-C reaches the runner, which
    // stops the watchdog after the teardown (so its last lines are written).
    setpgid(0, 0);
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (getppid() != parent) _exit(1);  // the runner died before prctl
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    for (int sig : {SIGINT, SIGTERM, SIGHUP, SIGALRM, SIGPIPE}) signal(sig, SIG_DFL);
    dup2(log_fd, 1);
    dup2(log_fd, 2);
    int null_fd = ::open("/dev/null", O_RDONLY);
    if (null_fd >= 0) dup2(null_fd, 0);
    execv(cargv[0], cargv.data());
    _exit(127);
  }
  ::close(log_fd);
  pid_ = pid;
  g_watchdog_pid = pid;
  return true;
}

void WatchdogCompanion::exited(int status) {
  early_exit_ = describe(status) + " before the end of the run";
  pid_ = -1;
  g_watchdog_pid = 0;
}

std::string WatchdogCompanion::stop(std::chrono::milliseconds grace) {
  if (pid_ <= 0) return early_exit_.empty() ? "not running" : early_exit_;
  kill(pid_, SIGTERM);
  int status = 0;
  const std::int64_t deadline = monotonic_ms() + grace.count();
  std::string how;
  for (;;) {
    pid_t r = waitpid(pid_, &status, WNOHANG);
    if (r == pid_) {
      how = describe(status) + " after SIGTERM";
      break;
    }
    if (r < 0 && errno != EINTR) {
      how = "already reaped";
      break;
    }
    if (monotonic_ms() >= deadline) {
      kill(pid_, SIGKILL);
      while (waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
      }
      how = "did not exit within " + std::to_string(grace.count()) + " ms of SIGTERM: killed";
      break;
    }
    usleep(10 * 1000);
  }
  pid_ = -1;
  g_watchdog_pid = 0;
  return how;
}

WatchdogCompanion::~WatchdogCompanion() {
  if (pid_ > 0) stop(std::chrono::milliseconds(2000));
}

void fold_watchdog_log(const std::string& json_log, std::int64_t t0_us, const std::string& group,
                       WatchdogSection& out) {
  std::ifstream in(json_log);
  const std::int64_t t0_ms = t0_us / 1000;
  std::vector<pid_t> other_kills;   // their killed: lines go too
  for (std::string text; std::getline(in, text);) {
    if (text.empty()) continue;
    auto r = formats::decode_watchdog_record(text);
    if (!r) {
      ++out.bad_lines;
      continue;
    }
    if (!group.empty()) {
      const std::string& cg = formats::payload_cgroup(r->payload);
      const auto* done = std::get_if<formats::WdKilled>(&r->payload);
      if (!cg.empty() && !facts::in_cgroup(cg, group)) {
        if (const auto* kill = std::get_if<formats::WdKill>(&r->payload)) other_kills.push_back(kill->pid);
        ++out.other_group_events;
        continue;
      }
      if (done && std::find(other_kills.begin(), other_kills.end(), done->pid) != other_kills.end()) {
        ++out.other_group_events;
        continue;
      }
    }
    WatchdogEvent e;
    e.t_ms = r->mono_ms - t0_ms;
    e.type = r->type;
    e.line = r->line;
    if (std::holds_alternative<formats::WdInfo>(r->payload)) ++out.stall_reports;
    if (const auto* kill = std::get_if<formats::WdKill>(&r->payload)) {
      WatchdogKill k;
      k.t_ms = e.t_ms;
      k.pid = kill->pid;
      k.comm = kill->comm;
      k.cgroup = kill->cgroup;
      k.reason = kill->reason;
      k.rss_kb = static_cast<std::int64_t>(kill->rss_kb);
      k.dry_run = kill->dry_run;
      out.kills.push_back(k);
    } else if (const auto* done = std::get_if<formats::WdKilled>(&r->payload)) {
      for (auto it = out.kills.rbegin(); it != out.kills.rend(); ++it)
        if (it->pid == done->pid) {
          it->kill_to_exit_ms = done->kill_to_exit_ms;
          it->kill_to_freed_ms = done->kill_to_freed_ms;
          it->freed_kb = done->freed_kb;
          it->freed_by = done->freed_by;
          break;
        }
    } else if (const auto* sum = std::get_if<formats::WdKmsgSummary>(&r->payload)) {
      out.kmsg_withheld += sum->withheld;
    }
    if (out.events.size() < kMaxEvents) out.events.push_back(std::move(e));
    else ++out.events_dropped;
  }
}

}  // namespace oomlab::repro
