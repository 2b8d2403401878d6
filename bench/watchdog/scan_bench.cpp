// oomlab-bench-watchdog: the watchdog's costs against named baselines, in
// one run on one machine.
//   1. One scan over ~N tasks (N spawned sleeping processes plus the
//      system's): oomlab::watchdog::Sampler::scan versus a minimal
//      hand-written loop reading /proc/PID/stat for every pid.
//      Goal: ratio <= 1.2.
//   2. Idle CPU of oomlab-watchdog --period 1s versus earlyoom (default
//      settings, -r 0), run side by side for the same wall time, from
//      /proc/PID/schedstat (ns on CPU, every thread). Goal: ratio <= 0.2.
// --quick: 200 tasks, 7 reps, 5 s idle window (the CTest entry).
// Spawned processes die with the bench (PDEATHSIG) and are reaped on exit.
#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <string>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <vector>

#include "oomlab/common/clock.hpp"
#include "oomlab/common/procfs.hpp"
#include "oomlab/common/subprocess.hpp"
#include "oomlab/watchdog/sampler.hpp"

namespace {

std::vector<pid_t> children;

struct Dirent64 {
  unsigned long ino;
  long off;
  unsigned short reclen;
  unsigned char type;
  char name[];
};

void reap_all() {
  for (pid_t p : children) kill(p, SIGKILL);
  for (pid_t p : children) waitpid(p, nullptr, 0);
  children.clear();
}

void on_signal(int) {
  reap_all();
  _exit(130);
}

pid_t spawn_sleeper() {
  pid_t p = fork();
  if (p == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    for (;;) pause();
  }
  return p;
}

pid_t spawn(const std::vector<std::string>& argv) {
  pid_t p = fork();
  if (p == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    int null = open("/dev/null", O_WRONLY);
    dup2(null, 1);
    dup2(null, 2);
    std::vector<char*> a;
    for (auto& s : argv) a.push_back(const_cast<char*>(s.c_str()));
    a.push_back(nullptr);
    execv(a[0], a.data());
    _exit(127);
  }
  return p;
}

// The baseline: what any /proc monitor must do at least once per period.
std::size_t handwritten_stat_loop() {
  static char dents[64 * 1024];
  static char buf[4096];
  std::size_t n = 0, blocked = 0;
  int dir = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  for (;;) {
    long got = syscall(SYS_getdents64, dir, dents, sizeof dents);
    if (got <= 0) break;
    for (long off = 0; off < got;) {
      auto* d = reinterpret_cast<Dirent64*>(dents + off);
      off += d->reclen;
      if (d->name[0] < '1' || d->name[0] > '9') continue;
      char path[64];
      std::snprintf(path, sizeof path, "/proc/%s/stat", d->name);
      int fd = open(path, O_RDONLY | O_CLOEXEC);
      if (fd < 0) continue;
      ssize_t r = read(fd, buf, sizeof buf - 1);
      close(fd);
      if (r <= 0) continue;
      buf[r] = 0;
      const char* close_paren = std::strrchr(buf, ')');
      if (close_paren && close_paren[2] == 'D') ++blocked;
      ++n;
    }
  }
  close(dir);
  return n + (blocked > n ? 1 : 0);  // keep the state check from being optimised out
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

double minimum(const std::vector<double>& v) { return *std::min_element(v.begin(), v.end()); }

std::uint64_t cpu_ns_all_threads(pid_t pid) {
  // /proc/PID/stat utime+stime is in ticks (too coarse for idle daemons);
  // schedstat of each task is in ns.
  std::uint64_t total = 0;
  std::string task_dir = "/proc/" + std::to_string(pid) + "/task";
  int dir = open(task_dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir < 0) return 0;
  char dents[8192];
  long got;
  while ((got = syscall(SYS_getdents64, dir, dents, sizeof dents)) > 0) {
    for (long off = 0; off < got;) {
      auto* d = reinterpret_cast<Dirent64*>(dents + off);
      off += d->reclen;
      if (d->name[0] < '0' || d->name[0] > '9') continue;
      auto s = oomlab::read_proc_file(task_dir + "/" + d->name + "/schedstat", 256);
      if (s) total += std::strtoull(s->c_str(), nullptr, 10);
    }
  }
  close(dir);
  return total;
}

// One value from the daemon's Prometheus text (its control socket).
double metric(const std::string& sock, const std::string& name) {
  oomlab::ProcessSpec spec({std::string(OOMLAB_WATCHDOG_BIN), "metrics", "--socket", sock});
  spec.timeout = std::chrono::seconds(5);
  auto r = oomlab::run_process(spec);
  auto pos = r.out.find("\n" + name + " ");
  return pos == std::string::npos ? -1 : std::atof(r.out.c_str() + pos + name.size() + 2);
}

}  // namespace

int main(int argc, char** argv) {
  bool quick = false;
  int tasks = 2000;
  std::string watchdog_bin, earlyoom_bin = "/usr/bin/earlyoom";
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--help") {
      std::puts("usage: oomlab-bench-watchdog [--quick] [--tasks N] [--watchdog PATH] [--earlyoom PATH]");
      return 0;
    } else if (a == "--quick") {
      quick = true;
      tasks = 200;
    } else if (a == "--tasks" && i + 1 < argc) {
      tasks = std::atoi(argv[++i]);
    } else if (a == "--watchdog" && i + 1 < argc) {
      watchdog_bin = argv[++i];
    } else if (a == "--earlyoom" && i + 1 < argc) {
      earlyoom_bin = argv[++i];
    } else {
      std::fprintf(stderr, "oomlab-bench-watchdog: unknown argument %s\n", a.c_str());
      return 2;
    }
  }
  if (watchdog_bin.empty()) {
    char self[4096];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    self[n > 0 ? n : 0] = 0;
    watchdog_bin = std::string(self).substr(0, std::string(self).rfind('/')) + "/oomlab-watchdog";
  }
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);

  // 1. scan cost
  for (int i = 0; i < tasks; ++i) children.push_back(spawn_sleeper());
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  oomlab::watchdog::Sampler sampler("/proc", 1 << 16, true);
  std::vector<oomlab::watchdog::TaskSample> out;
  sampler.scan(out);  // warm: page cache of /proc dentries, the reserve
  handwritten_stat_loop();
  int reps = quick ? 7 : 21;
  std::vector<double> ours, base;
  std::size_t sampled = 0, processes = 0, detailed = 0;
  for (int r = 0; r < reps; ++r) {
    // Alternate the order: whichever runs second finds warmer dentries.
    for (int which = 0; which < 2; ++which) {
      std::int64_t t0 = oomlab::monotonic_us();
      if ((which ^ r) & 1) {
        auto stats = sampler.scan(out);
        sampled = stats.tasks;
        detailed = stats.detailed;
        ours.push_back((oomlab::monotonic_us() - t0) / 1e3);
      } else {
        processes = handwritten_stat_loop();
        base.push_back((oomlab::monotonic_us() - t0) / 1e3);
      }
    }
  }
  reap_all();
  std::printf("scan: %zu processes / %zu tasks (%zu blocked or dying: wchan/stack read), %d reps alternating\n"
              "  hand-written /proc/PID/stat loop: median %.2f ms, min %.2f ms\n"
              "  watchdog Sampler::scan:           median %.2f ms, min %.2f ms\n"
              "  ratio: median %.2f, min %.2f (goal <= 1.2)\n",
              processes, sampled, detailed, reps, median(base), minimum(base), median(ours), minimum(ours),
              median(ours) / median(base), minimum(ours) / minimum(base));

  // 2. idle CPU
  struct stat st;
  if (::stat(earlyoom_bin.c_str(), &st) != 0) {
    std::printf("idle: %s not installed, skipped\n", earlyoom_bin.c_str());
    return 0;
  }
  pid_t eo = spawn({earlyoom_bin, "-r", "0"});
  std::string sock = "/tmp/oomlab-bench-watchdog-" + std::to_string(getpid()) + ".sock";
  pid_t wd = spawn({watchdog_bin, "--period", "1s", "--socket", sock, "--no-self-protect"});
  children = {eo, wd};
  std::this_thread::sleep_for(std::chrono::seconds(2));  // past start-up work
  // Queries outside the window: answering them costs the daemon CPU too.
  double scans0 = metric(sock, "oomlab_watchdog_scans_total"), psi0 = metric(sock, "oomlab_watchdog_psi_events_total");
  std::uint64_t e0 = cpu_ns_all_threads(eo), w0 = cpu_ns_all_threads(wd);
  int window = quick ? 5 : 30;
  std::this_thread::sleep_for(std::chrono::seconds(window));
  std::uint64_t e1 = cpu_ns_all_threads(eo), w1 = cpu_ns_all_threads(wd);
  double scans1 = metric(sock, "oomlab_watchdog_scans_total"), psi1 = metric(sock, "oomlab_watchdog_psi_events_total");
  reap_all();
  ::unlink(sock.c_str());
  double e_us = (e1 - e0) / 1e3 / window, w_us = (w1 - w0) / 1e3 / window;
  std::printf("idle: %d s window; earlyoom %.1f us CPU/s, oomlab-watchdog --period 1s %.1f us CPU/s; ratio %.2f (goal <= 0.2)\n",
              window, e_us, w_us, e_us > 0 ? w_us / e_us : 0.0);
  std::printf("  during the window the watchdog ran %.0f full scans after %.0f PSI memory-pressure events\n"
              "  (other load on the machine); /proc/pressure/memory now: %s",
              scans1 - scans0, psi1 - psi0, oomlab::read_proc_file("/proc/pressure/memory", 512).value_or("?\n").c_str());
  return 0;
}
