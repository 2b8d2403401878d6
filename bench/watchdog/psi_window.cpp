#include "psi_window.hpp"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <poll.h>
#include <stdexcept>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "oomlab/cgroups/cleanup.hpp"
#include "oomlab/cgroups/hierarchy.hpp"
#include "oomlab/cgroups/memory_cgroup.hpp"
#include "oomlab/common/clock.hpp"
#include "oomlab/common/dirent64.hpp"
#include "oomlab/common/procfs.hpp"
#include "oomlab/common/psi_trigger.hpp"
#include "oomlab/common/subprocess.hpp"
#include "oomlab/facts/proc_stat.hpp"
#include "oomlab/facts/proc_status.hpp"
#include "oomlab/facts/psi.hpp"

namespace oomlab::bench {
namespace {

constexpr std::size_t kLimit = 32u << 20, kAnon = 24u << 20, kFile = 64u << 20;
constexpr double kBurstCapS = 6.0;
// The watchdog's own trigger (watchdog/src/engine.cpp): 150 ms of "some"
// stall in a 2 s window.
constexpr std::chrono::microseconds kStall{150000}, kWindow{2000000};

// Read by the signal handler: plain storage.
char g_file[128];
volatile pid_t g_child = 0;

// ns on CPU of every thread (schedstat: the ticks of stat are 10 ms, coarser
// than a quiet daemon's whole window).
std::uint64_t sched_ns(pid_t pid) {
  std::uint64_t total = 0;
  std::string task_dir = "/proc/" + std::to_string(pid) + "/task";
  int dir = open(task_dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir < 0) return 0;
  alignas(8) char dents[8192];
  long got;
  while ((got = syscall(SYS_getdents64, dir, dents, sizeof dents)) > 0) {
    for (long off = 0; off < got;) {
      auto* d = reinterpret_cast<Dirent64*>(dents + off);
      off += d->d_reclen;
      if (d->d_name[0] < '0' || d->d_name[0] > '9') continue;
      auto s = read_proc_file(task_dir + "/" + d->d_name + "/schedstat", 256);
      if (s) total += std::strtoull(s->c_str(), nullptr, 10);
    }
  }
  close(dir);
  return total;
}

// utime + stime of the whole process, in ticks (what the brief's "CPU = utime+stime" reads).
std::uint64_t stat_ticks(pid_t pid) {
  auto s = read_proc_file("/proc/" + std::to_string(pid) + "/stat", 4096);
  facts::ProcStat st;
  if (!s || !facts::parse_proc_stat(*s, st) || st.fields < 15) return 0;
  return st.utime + st.stime;
}

std::uint64_t peak_rss_kb(pid_t pid) {
  auto s = read_proc_file("/proc/" + std::to_string(pid) + "/status", 4096);
  facts::ProcStatus st;
  return s && facts::parse_proc_status(*s, st) ? st.vm_hwm_kb : 0;
}

// The watchdog's counters from its control socket (asked outside the
// windows: answering costs the daemon CPU too).
struct Counters {
  double psi = -1, group_psi = -1, settled = -1, scans = -1, full = -1, probes = -1;
};

double metric(const std::string& text, const std::string& name) {
  auto pos = text.find("\n" + name + " ");
  return pos == std::string::npos ? -1 : std::atof(text.c_str() + pos + name.size() + 2);
}

Counters counters(const Daemon& d, const char* watchdog_bin) {
  Counters c;
  if (d.sock.empty()) return c;
  ProcessSpec spec({std::string(watchdog_bin), "metrics", "--socket", d.sock});
  spec.timeout = std::chrono::seconds(5);
  auto r = run_process(spec);
  c.psi = metric(r.out, "oomlab_watchdog_psi_events_total");
  c.group_psi = metric(r.out, "oomlab_watchdog_group_psi_events_total");
  c.settled = metric(r.out, "oomlab_watchdog_psi_events_settled_total");
  c.scans = metric(r.out, "oomlab_watchdog_scans_total");
  c.full = metric(r.out, "oomlab_watchdog_full_scans_total");
  c.probes = metric(r.out, "oomlab_watchdog_group_probes_total");
  return c;
}

double loadavg1() {
  auto s = read_proc_file("/proc/loadavg", 256);
  return s ? std::atof(s->c_str()) : -1;
}

// The burst's data file, empty: the child writes it.
void make_file(char* path) {
  std::snprintf(path, sizeof g_file, "/var/tmp/oomlab-bench-psi-%d.dat", static_cast<int>(getpid()));
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) {
    std::string why = std::string("cannot create ") + path + ": " + std::strerror(errno);
    path[0] = 0;
    throw std::runtime_error(why);
  }
  close(fd);
}

// The burst child: waits on `go` until it is in the group, then holds kAnon
// bytes and rewrites the file 1 MiB at a time until it is killed (or the
// cap passes). Cgroup v1 has no per-group dirty throttling: the group's
// reclaim meets its own dirty pages and waits for their writeback, which
// PSI counts as memory stall (a re-read page cache thrashes too, but on this
// fast disk it stalled only 50-140 ms a second, under the trigger's rate).
pid_t spawn_squeezer(int go, int go_write) {
  pid_t p = fork();
  if (p == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    close(go_write);
    char c;
    if (read(go, &c, 1) != 1) _exit(3);
    std::vector<char> hold(kAnon);
    for (std::size_t off = 0; off < kAnon; off += 4096) hold[off] = 1;
    static char buf[1 << 20];
    std::memset(buf, 'y', sizeof buf);
    int fd = open(g_file, O_WRONLY | O_CLOEXEC);
    if (fd < 0) _exit(4);
    std::int64_t end = monotonic_us() + static_cast<std::int64_t>(2 * kBurstCapS * 1e6);
    for (std::size_t n = 1; monotonic_us() < end; ++n) {
      if (write(fd, buf, sizeof buf) != static_cast<ssize_t>(sizeof buf)) _exit(5);
      if (n % (kFile / sizeof buf) == 0) lseek(fd, 0, SEEK_SET);
    }
    _exit(hold[0] == 1 ? 0 : 6);
  }
  return p;
}

// Polls the triggers until `until_us` (monotonic) or, when stop_on_group,
// the group's first event. Counts every event.
void wait_events(int sys_fd, int group_fd, std::int64_t until_us, bool stop_on_group, int& sys_events,
                 int& group_events, bool* group_fired = nullptr) {
  for (;;) {
    std::int64_t left = until_us - monotonic_us();
    if (left <= 0) return;
    pollfd p[2] = {{sys_fd, POLLPRI, 0}, {group_fd, POLLPRI, 0}};
    int n = poll(p, 2, static_cast<int>(std::min<std::int64_t>(left / 1000 + 1, 1000)));
    if (n < 0 && errno != EINTR) return;
    if (n <= 0) continue;
    if (p[0].revents & POLLPRI) ++sys_events;
    if (p[1].revents & POLLPRI) {
      ++group_events;
      if (group_fired) *group_fired = true;
      if (stop_on_group) return;
    }
    if ((p[0].revents | p[1].revents) & (POLLERR | POLLNVAL)) return;
  }
}

}  // namespace

struct SqueezeGroup::Impl {
  cgroups::MemoryCgroup group;
  std::string scope, watch_dir, pressure_path;
};

namespace {
cgroups::MemoryCgroup make_group() {
  cgroups::CreateOptions opt;
  opt.parent = "";  // <root>/oomlab-bench-psi-<pid>-<starttime>-<seq>
  opt.prefix = "oomlab-bench-psi";
  opt.limits.max_bytes = kLimit;
  opt.pressure_twin = true;  // v1: the cgroup2 twin carries the group's memory.pressure
  opt.freezer_twin = false;  // one child of ours at a time: SIGKILL and waitpid suffice
  return cgroups::MemoryCgroup::create(opt);
}
}  // namespace

SqueezeGroup::SqueezeGroup() {
  if (!cgroups::host_hierarchy().has_memory()) throw std::runtime_error("no memory cgroup controller");
  std::string why;
  if (!cgroups::start_guardian(&why)) throw std::runtime_error(why);
  impl_ = std::make_unique<Impl>(Impl{make_group(), {}, {}, {}});
  const std::string& pp = impl_->group.pressure_path();
  if (pp.empty()) throw std::runtime_error("the group has no memory.pressure (no cgroup2 mount)");
  impl_->pressure_path = pp;
  impl_->watch_dir = pp.substr(0, pp.rfind('/'));
  impl_->scope = "/" + impl_->group.name();
  make_file(g_file);
}

SqueezeGroup::~SqueezeGroup() {
  if (g_file[0]) unlink(g_file);
  g_file[0] = 0;
  if (impl_ && (!impl_->group.kill_all_and_wait(std::chrono::seconds(5)) || !impl_->group.remove()))
    std::printf("squeeze: could not remove %s (the handle retries at exit)\n", impl_->group.path().c_str());
}

const std::string& SqueezeGroup::scope() const { return impl_->scope; }
const std::string& SqueezeGroup::watch_dir() const { return impl_->watch_dir; }
const std::string& SqueezeGroup::pressure_path() const { return impl_->pressure_path; }

void squeeze_emergency_cleanup() {
  pid_t c = g_child;
  if (c > 0) kill(c, SIGKILL);
  if (g_file[0]) unlink(g_file);
}

std::uint64_t group_some_us(const std::string& path) {
  auto s = read_proc_file(path, 512);
  auto r = s ? facts::parse_psi(*s) : std::nullopt;
  return r ? r->some_total_us : 0;
}

double SqueezeGroup::burst(int group_fd, bool& event, std::uint64_t& stall_us) {
  const std::uint64_t stall0 = group_some_us(impl_->pressure_path);
  int go[2];
  if (pipe2(go, O_CLOEXEC) != 0) throw std::runtime_error("pipe2 failed");
  pid_t child = spawn_squeezer(go[0], go[1]);
  g_child = child;
  close(go[0]);
  try {
    impl_->group.move_process(child);
  } catch (...) {
    close(go[1]);
    kill(child, SIGKILL);
    waitpid(child, nullptr, 0);
    g_child = 0;
    throw;
  }
  std::int64_t b0 = monotonic_us();
  if (write(go[1], "g", 1) != 1) std::printf("squeeze: could not start the child\n");
  close(go[1]);
  int sys_unused = 0, group_events = 0;
  event = false;
  // Only the group's fd matters here; the caller counts the system's events.
  wait_events(-1, group_fd, b0 + static_cast<std::int64_t>(kBurstCapS * 1e6), true, sys_unused, group_events, &event);
  kill(child, SIGKILL);
  waitpid(child, nullptr, 0);
  g_child = 0;
  stall_us = group_some_us(impl_->pressure_path) - stall0;
  return (monotonic_us() - b0) / 1e6;
}

void run_window(const char* label, const std::vector<Daemon>& daemons, int seconds, int bursts, SqueezeGroup* group) {
  const std::string wd_bin = [&] {
    for (const Daemon& d : daemons)
      if (!d.sock.empty()) {
        char self[4096];
        ssize_t n = readlink(("/proc/" + std::to_string(d.pid) + "/exe").c_str(), self, sizeof self - 1);
        if (n > 0) return std::string(self, static_cast<std::size_t>(n));
      }
    return std::string();
  }();
  if (!group) bursts = 0;
  PsiTrigger sys_trigger(kStall, kWindow);
  std::unique_ptr<PsiTrigger> group_trigger;
  if (group) group_trigger = std::make_unique<PsiTrigger>(kStall, kWindow, group->pressure_path().c_str());
  if (!sys_trigger.ok()) std::printf("%s: the bench's own system trigger: %s\n", label, sys_trigger.error().c_str());
  if (group_trigger && !group_trigger->ok()) {
    std::printf("%s: the bench's group trigger: %s (no bursts)\n", label, group_trigger->error().c_str());
    bursts = 0;
  }
  const int gfd = group_trigger && group_trigger->ok() ? group_trigger->fd() : -1;

  std::vector<Counters> c0, c1;
  for (const Daemon& d : daemons) c0.push_back(counters(d, wd_bin.c_str()));
  std::vector<std::uint64_t> ns0, ns1, t0, t1;
  for (const Daemon& d : daemons) ns0.push_back(sched_ns(d.pid)), t0.push_back(stat_ticks(d.pid));
  const std::int64_t start = monotonic_us(), end = start + seconds * 1000000LL;
  int sys_events = 0, group_events = 0, bursts_with_event = 0;
  double burst_s = 0, group_stall_ms = 0, load_min = 1e9, load_max = 0;
  std::int64_t next_load = start;
  auto sample_load = [&] {
    while (monotonic_us() >= next_load) {
      double l = loadavg1();
      load_min = std::min(load_min, l), load_max = std::max(load_max, l);
      next_load += 10000000;
    }
  };
  const std::int64_t slot = bursts > 0 ? seconds * 1000000LL / bursts : 0;
  for (int b = 0; b <= bursts; ++b) {
    std::int64_t until = b < bursts ? start + b * slot + 500000 : end;
    while (monotonic_us() < until) {
      sample_load();
      wait_events(sys_trigger.fd(), gfd, std::min(until, next_load), false, sys_events, group_events);
    }
    if (b == bursts) break;
    bool event = false;
    std::uint64_t stall_us = 0;
    burst_s += group->burst(gfd, event, stall_us);
    group_stall_ms += stall_us / 1e3;
    if (event) ++group_events, ++bursts_with_event;
  }
  sample_load();
  for (const Daemon& d : daemons) ns1.push_back(sched_ns(d.pid)), t1.push_back(stat_ticks(d.pid));
  const double window_s = (monotonic_us() - start) / 1e6;
  for (const Daemon& d : daemons) c1.push_back(counters(d, wd_bin.c_str()));

  std::printf("%s: %.0f s window, load average (1 min) %.1f-%.1f; system PSI events the bench saw: %d "
              "(its own trigger, some 150 ms / 2 s: the bursts' and other jobs' pressure)\n",
              label, window_s, load_min, load_max, sys_events);
  if (bursts > 0)
    std::printf("  %d burst(s) in %s (%.1f s in all, each ended at the group's first PSI event or %.0f s; "
                "the group's memory PSI some stall %.0f ms): %d with a group event, %d group events in all\n",
                bursts, group->scope().c_str(), burst_s, kBurstCapS, group_stall_ms, bursts_with_event, group_events);
  const double e_us = (ns1[0] - ns0[0]) / 1e3 / window_s;
  const double e_ticks = static_cast<double>(t1[0] - t0[0]);
  const std::uint64_t e_kb = peak_rss_kb(daemons[0].pid);
  const long hz = sysconf(_SC_CLK_TCK);
  for (std::size_t i = 0; i < daemons.size(); ++i) {
    const double us = (ns1[i] - ns0[i]) / 1e3 / window_s;
    const double ticks = static_cast<double>(t1[i] - t0[i]);
    const std::uint64_t kb = peak_rss_kb(daemons[i].pid);
    std::printf("  %-28s %8.1f us CPU/s (%6.2fx earlyoom); utime+stime %4.0f ticks of 1/%ld s (%s); peak RSS %6llu kB (%.2fx)\n",
                daemons[i].name.c_str(), us, e_us > 0 ? us / e_us : 0.0, ticks, hz,
                e_ticks > 0 ? (std::to_string(ticks / e_ticks).substr(0, 5) + "x").c_str() : "earlyoom 0",
                static_cast<unsigned long long>(kb), e_kb > 0 ? static_cast<double>(kb) / static_cast<double>(e_kb) : 0.0);
    if (!daemons[i].sock.empty() && c0[i].psi >= 0 && c1[i].psi >= 0) {
      const double grp = c1[i].group_psi >= 0 && c0[i].group_psi >= 0 ? c1[i].group_psi - c0[i].group_psi : -1;
      // An older build (--baseline) has no settled counter: "?".
      const double settled = c1[i].settled >= 0 && c0[i].settled >= 0 ? c1[i].settled - c0[i].settled : -1;
      std::printf("  %-28s   got %.0f PSI events (%s from the group trigger, %s over at the recheck); %.0f scans, %.0f of every task; %.0f group probes\n",
                  "", c1[i].psi - c0[i].psi, grp >= 0 ? std::to_string(static_cast<int>(grp)).c_str() : "?",
                  settled >= 0 ? std::to_string(static_cast<int>(settled)).c_str() : "?",
                  c1[i].scans - c0[i].scans, c1[i].full - c0[i].full, c1[i].probes - c0[i].probes);
    }
  }
  std::fflush(stdout);
}

}  // namespace oomlab::bench
