// One run: safety checks, a fresh group, the workload, the sampling loop,
// complete teardown, the report. Single-threaded on purpose: the only
// blocking calls are sleeps and reads of /proc files that never wait on the
// workload's mmap lock.
#include "oomlab/repro/runner.hpp"

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <poll.h>
#include <set>
#include <sys/prctl.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include "oomlab/cgroups/cleanup.hpp"
#include "oomlab/cgroups/memory_cgroup.hpp"
#include "oomlab/cgroups/run_groups.hpp"
#include "oomlab/common/clock.hpp"
#include "oomlab/common/procfs.hpp"
#include "oomlab/common/subprocess.hpp"
#include "oomlab/common/units.hpp"
#include "oomlab/facts/proc_stat.hpp"
#include "oomlab/repro/kernel_log.hpp"
#include "oomlab/repro/outcome.hpp"
#include "oomlab/repro/report.hpp"
#include "oomlab/repro/sampler.hpp"
#include "report_files.hpp"
#include "trace_series.hpp"
#include "watchdog_companion.hpp"
#include "workload.hpp"

namespace oomlab::repro {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

volatile sig_atomic_t g_stop_signal = 0;
volatile pid_t g_unsafe_pgid = 0;  // --unsafe-no-cgroup: the workload's process group

void on_stop(int sig) { g_stop_signal = sig; }

// The hard deadline: the loop or the teardown itself is stuck. Kill
// everything we own and leave.
void on_deadline(int) {
  static const char msg[] = "oomlab-repro: hard deadline reached: killing the workload\n";
  if (write(2, msg, sizeof msg - 1) < 0) {
  }
  if (g_unsafe_pgid > 0) kill(-g_unsafe_pgid, SIGKILL);
  if (pid_t wd = watchdog_emergency_pid(); wd > 0) kill(wd, SIGKILL);
  cgroups::emergency_cleanup();
  _exit(exit_code::failed);
}

void install_handlers() {
  struct sigaction sa{};
  sa.sa_handler = on_stop;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = 0;  // no SA_RESTART: the sleep returns early
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGHUP, &sa, nullptr);
  sa.sa_handler = on_deadline;
  sigaction(SIGALRM, &sa, nullptr);
  signal(SIGPIPE, SIG_IGN);
}


std::vector<pid_t> tids_of(pid_t pid) {
  std::vector<pid_t> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator("/proc/" + std::to_string(pid) + "/task", ec)) {
    long v = std::strtol(e.path().filename().c_str(), nullptr, 10);
    if (v > 0) out.push_back(static_cast<pid_t>(v));
  }
  return out;
}

// Our children right now (the runner is a subreaper, so orphaned descendants
// of the workload show up here), except the guardian.
std::vector<pid_t> children_of_self() {
  std::vector<pid_t> out;
  const pid_t self = getpid();
  std::error_code ec;
  for (const auto& e : fs::directory_iterator("/proc", ec)) {
    long pid = std::strtol(e.path().filename().c_str(), nullptr, 10);
    if (pid <= 0 || pid == cgroups::guardian_pid()) continue;
    auto stat = read_proc_file("/proc/" + std::to_string(pid) + "/stat", 512);
    facts::ProcStat st;
    if (stat && facts::parse_proc_stat(*stat, st) && st.ppid == self) out.push_back(static_cast<pid_t>(pid));
  }
  return out;
}

// Without a cgroup there is no list of the workload's tasks: kill the
// process group, then every child, reap, and repeat - killed parents hand
// their own children to us (subreaper) - until none is left.
bool kill_descendants(pid_t workload, std::chrono::milliseconds timeout) {
  kill(-workload, SIGKILL);
  const std::int64_t deadline = monotonic_ms() + timeout.count();
  for (;;) {
    auto children = children_of_self();
    for (pid_t c : children) kill(c, SIGKILL);
    while (waitpid(-1, nullptr, WNOHANG) > 0) {
    }
    if (children.empty()) return true;
    if (monotonic_ms() >= deadline) return false;
    usleep(5000);
  }
}

std::string describe_status(int status) {
  if (WIFEXITED(status)) return "exit " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return std::string("signal ") + std::to_string(WTERMSIG(status)) + " (" + strsignal(WTERMSIG(status)) + ")";
  return "status " + std::to_string(status);
}

std::string progress_line(const Sample& s, const RunConfig& c) {
  char buf[256];
  std::snprintf(buf, sizeof buf, "[%5.1fs/%gs] usage %s/%s  psi some %3.0f%% full %3.0f%%  tasks R%d S%d D%d  oom kills %d",
                static_cast<double>(s.t_ms) / 1000, static_cast<double>(c.duration.count()) / 1000,
                format_size(s.usage_bytes).c_str(),
                s.limit_bytes ? format_size(*s.limit_bytes).c_str() : "-",
                s.psi_some_ratio < 0 ? 0 : 100 * s.psi_some_ratio, s.psi_full_ratio < 0 ? 0 : 100 * s.psi_full_ratio,
                s.tasks.running, s.tasks.sleeping, s.tasks.disk, s.oom_kills);
  return buf;
}

// Everything the loop needs between samples.
struct Observer {
  const RunConfig& config;
  cgroups::MemoryCgroup* group;  // null: --unsafe-no-cgroup
  pid_t workload;
  std::string psi_path;
  std::int64_t t0_us;
  std::set<pid_t> seen_pids;
  TraceSeries* trace = nullptr;  // --trace, when it loaded

  std::uint64_t usage_now() const {
    if (group) return group->usage_bytes();
    auto statm = read_proc_file("/proc/" + std::to_string(workload) + "/statm").value_or("0 0");
    return std::strtoull(statm.c_str() + statm.find(' ') + 1, nullptr, 10) *
           static_cast<std::uint64_t>(sysconf(_SC_PAGESIZE));
  }

  // Waits for the next sample time. Kernel log lines wake it up: when one is
  // an OOM kill of ours, usage is polled every millisecond until the kill
  // has freed memory, so kill-to-freed is measured to the millisecond
  // instead of to the sampling period.
  void wait_until(std::int64_t deadline_us, KernelLogWatch& klog, std::uint64_t usage_before) {
    for (;;) {
      const std::int64_t now = monotonic_us();
      if (now >= deadline_us || g_stop_signal) return;
      bool watching = false;
      std::optional<std::uint64_t> usage;  // read once per wake-up, however many kills are pending
      const std::int64_t now_ms = (now - t0_us) / 1000;
      for (std::size_t i = 0; i < klog.kills().size(); ++i) {
        OomKill& k = klog.kills()[i];
        const bool want_freed = !k.freed_at_ms && now_ms - k.t_ms <= 60'000;
        // The lowest usage right after the kill: whether it relieved the
        // group (a refill can hide the drop between two samples).
        const bool in_relief_window = now_ms - k.t_ms <= kReliefWindowMs;
        if (!want_freed && !in_relief_window) continue;
        watching = true;
        if (!usage) usage = usage_now();
        if (in_relief_window) k.low_usage_bytes = std::min(k.low_usage_bytes.value_or(*usage), *usage);
        if (want_freed && *usage + cgroups_freed_threshold(k) <= kill_usage(i, usage_before))
          k.freed_at_ms = (monotonic_us() - t0_us) / 1000;
      }
      const int timeout_ms = watching ? 1 : static_cast<int>((deadline_us - now + 999) / 1000);
      pollfd pfd{klog.fd(), POLLIN, 0};
      if (klog.fd() < 0) {
        timespec ts{timeout_ms / 1000, (timeout_ms % 1000) * 1000000L};
        nanosleep(&ts, nullptr);
      } else if (poll(&pfd, 1, timeout_ms) > 0) {
        klog.poll(seen_pids);
      }
    }
  }

  // Usage when kill i was first seen (memorised so later waits compare with
  // the same base).
  std::uint64_t kill_usage(std::size_t i, std::uint64_t usage_before) {
    // A group OOM happens at the limit: that is the base when there is one.
    std::uint64_t base = std::max(usage_before, group ? group->limit_bytes().value_or(0) : 0);
    while (usage_at_kill.size() <= i) usage_at_kill.push_back(base);
    return usage_at_kill[i];
  }
  std::uint64_t cgroups_freed_threshold(const OomKill& k) const {
    return freed_threshold_bytes(k, group ? group->limit_bytes() : std::nullopt);
  }
  std::vector<std::uint64_t> usage_at_kill;

  // The oldest kernel OOM victim of the run still alive (not exited, not a
  // zombie): the stall model's "victim that does not exit".
  static void mark_victims(Sample& s, const std::vector<OomKill>& kills) {
    for (const OomKill& k : kills) {
      if (k.pid <= 0 || k.t_ms > s.t_ms) continue;
      char buf[512];
      long n = read_proc_file_into(("/proc/" + std::to_string(k.pid) + "/stat").c_str(), buf, sizeof buf - 1);
      if (n <= 0) continue;
      const char state = parse_stat_state(std::string_view(buf, static_cast<std::size_t>(n)));
      if (state == 'Z' || state == 'X' || state == '?') continue;
      s.victim_alive = true;
      if (s.victim_killed_ms < 0 || k.t_ms < s.victim_killed_ms) s.victim_killed_ms = k.t_ms;
    }
  }

  Sample take(const Sample* previous, int kills_so_far) {
    Sample s;
    const std::int64_t now = monotonic_us();
    s.t_ms = (now - t0_us) / 1000;
    std::vector<pid_t> tids;
    if (group) {
      s.usage_bytes = group->usage_bytes();
      s.limit_bytes = group->limit_bytes();
      s.events = group->events();
      s.processes = static_cast<int>(group->pids().size());
      tids = group->threads();
    } else {
      s.usage_bytes = usage_now();
      tids = tids_of(workload);
      s.processes = tids.empty() ? 0 : 1;
    }
    seen_pids.insert(tids.begin(), tids.end());
    s.tasks = sample_tasks(tids);
    if (!psi_path.empty())
      if (auto text = read_proc_file(psi_path)) s.psi = facts::parse_psi(*text);
    if (s.psi && previous && previous->psi) {
      const std::int64_t dt_us = (s.t_ms - previous->t_ms) * 1000;
      s.psi_some_ratio = facts::psi_share(previous->psi->some_total_us, s.psi->some_total_us, dt_us);
      if (s.psi->has_full && previous->psi->has_full)
        s.psi_full_ratio = facts::psi_share(previous->psi->full_total_us, s.psi->full_total_us, dt_us);
    }
    s.oom_kills = kills_so_far;
    if (trace) s.trace = trace->sample();
    return s;
  }
};

// OOM kills from memory.events when the kernel log could not be read (or
// its lines were not recognised): one entry per counter increment.
std::vector<OomKill> kills_from_events(const std::vector<Sample>& samples) {
  std::vector<OomKill> kills;
  for (std::size_t i = 1; i < samples.size(); ++i)
    for (auto n = samples[i - 1].events.oom_kill; n < samples[i].events.oom_kill; ++n)
      {
        OomKill k;
        k.t_ms = samples[i].t_ms;
        k.source = "memory.events";
        kills.push_back(k);
      }
  return kills;
}

}  // namespace

int run_scenario(Scenario& scenario, const RunConfig& config) {
  const std::string name(scenario.name());
  const Requirements needs = scenario.requirements();
  const cgroups::Hierarchy& h = cgroups::host_hierarchy();
  auto cannot_run = [&](const std::string& why) {
    std::fprintf(stderr, "oomlab-repro: %s: %s\n", name.c_str(), why.c_str());
    if (config.json) print_not_run(name, why, exit_code::cannot_run);
    return exit_code::cannot_run;
  };
  if (needs.cgroup_v2 && (config.unsafe_no_cgroup || h.memory_version != 2))
    return cannot_run(std::string("skipped: needs the cgroup v2 memory controller; this host has ") +
                      (h.memory_version == 1 ? "it on cgroup v1" : "none"));

  install_handlers();
  g_stop_signal = 0;
  std::string guardian_error;
  cgroups::sweep_stale(config.cgroup_parent, cgroups::kRunGroupPrefix);
  if (!config.unsafe_no_cgroup) {
    cgroups::start_guardian(&guardian_error);
    cgroups::install_crash_cleanup();
  }
  prctl(PR_SET_CHILD_SUBREAPER, 1);  // the workload's orphans come back to us and get reaped

  RunRecord rec;
  rec.config = config;
  ReportPaths paths;
  if (std::string err; !make_report_dir(config, name, paths, err)) {
    std::fprintf(stderr, "oomlab-repro: %s\n", err.c_str());
    return exit_code::failed;
  }
  if (needs.needs_disk && is_memory_backed(paths.work_dir)) {
    remove_work_dir(paths);
    return cannot_run("skipped: needs reclaimable page cache, but " + paths.work_dir + " is on a memory-backed filesystem");
  }

  std::unique_ptr<cgroups::MemoryCgroup> group;
  if (!config.unsafe_no_cgroup) {
    try {
      cgroups::CreateOptions o;
      o.parent = config.cgroup_parent;
      o.prefix = cgroups::kRunGroupPrefix;
      o.limits.max_bytes = config.limit_bytes;
      group = std::make_unique<cgroups::MemoryCgroup>(cgroups::MemoryCgroup::create(o));
    } catch (const cgroups::CgroupError& e) {
      remove_work_dir(paths);
      return cannot_run(std::string("refusing to run a memory hog outside a memory-limited cgroup: ") + e.what() +
                        " (--unsafe-no-cgroup runs it anyway and can exhaust this machine's memory)");
    }
  }

  ScenarioParams params;
  params.limit_bytes = config.unsafe_no_cgroup ? 0 : config.limit_bytes;
  params.duration = config.duration;
  params.cgroup_version = group ? group->version() : 0;
  params.cgroup_path = group ? group->path() : "";
  params.work_dir = paths.work_dir;
  params.options = config.options;

  utsname u{};
  uname(&u);
  rec.kernel_release = u.release, rec.kernel_version = u.version, rec.machine = u.machine;
  rec.cgroup_version = params.cgroup_version;
  rec.cgroup_layout = std::string(cgroups::layout_name(h.layout));
  rec.cgroup_path = params.cgroup_path;
  if (group) rec.cgroup_name = "/" + group->name();

  // The watchdog comes up before the workload so it sees the whole run.
  WatchdogCompanion watchdog;
  rec.watchdog.enabled = config.watchdog;
  if (config.watchdog) {
    rec.watchdog.log_file = "watchdog.jsonl";
    rec.watchdog.argv = WatchdogCompanion::command(self_exe_dir() + "/oomlab-watchdog", group->name(),
                                                   group->pressure_path(), paths.dir + "/watchdog.jsonl",
                                                   config.watchdog_args);
    std::string why;
    if (!watchdog.start(rec.watchdog.argv, paths.dir + "/watchdog.log", &why)) {
      remove_work_dir(paths);
      return cannot_run("--watchdog: " + why);
    }
  }

  WorkloadChild child = fork_workload(scenario, params, paths.workload_log, config.unsafe_no_cgroup);
  if (child.pid < 0) {
    std::fprintf(stderr, "oomlab-repro: cannot fork the workload: %s\n", strerror(errno));
    return exit_code::failed;
  }
  if (config.unsafe_no_cgroup) {
    setpgid(child.pid, child.pid);
    g_unsafe_pgid = child.pid;
  }
  if (group) {
    try {
      group->move_process(child.pid);
    } catch (const cgroups::CgroupError& e) {
      close(child.go_fd);  // the child exits without running anything
      waitpid(child.pid, nullptr, 0);
      std::fprintf(stderr, "oomlab-repro: %s\n", e.what());
      return exit_code::failed;
    }
  }
  // The hard deadline covers the run and its teardown.
  alarm(static_cast<unsigned>((config.duration + 30s).count() / 1000));

  Observer obs{config, group.get(), child.pid, "", 0, {}, nullptr, {}};
  TraceSeries trace;
  if (config.trace) {
    std::string why;
    if (trace.open(group->path(), &why)) {
      obs.trace = &trace;
      rec.trace_status = "ok";
      rec.trace_missing = trace.missing();
    } else {
      rec.trace_status = "unavailable: " + why;
      std::fprintf(stderr, "oomlab-repro: --trace: BPF stall tracer unavailable (%s); sampling /proc only\n", why.c_str());
    }
  }
  obs.psi_path = group && !group->pressure_path().empty() ? group->pressure_path() : facts::kSystemMemoryPsi;
  if (access(obs.psi_path.c_str(), R_OK) != 0) obs.psi_path.clear();
  rec.psi_source = obs.psi_path;
  obs.t0_us = monotonic_us();
  KernelLogWatch klog(obs.t0_us, group ? group->name() : "");
  rec.kmsg_status = klog.status();
  rec.started_at = utc_iso8601(realtime_ms());
  // The run's first sample, before the workload starts: however short the
  // run (a hog OOM-killed within the first period), the timeline has its
  // start and, below, its end - two points a chart and a kill count can use.
  rec.samples.push_back(obs.take(nullptr, 0));
  release_workload(child);

  const bool tty = isatty(2) && !config.json;
  bool workload_running = true;
  int workload_status = 0;
  std::int64_t next_us = obs.t0_us;
  // Every pass ends with a sample, so the last one is the run's end
  // (deadline, interrupt, or the workload gone).
  for (;;) {
    next_us += config.period.count() * 1000;
    obs.wait_until(next_us, klog, rec.samples.back().usage_bytes);
    klog.poll(obs.seen_pids);
    rec.samples.push_back(obs.take(&rec.samples.back(), static_cast<int>(klog.kills().size())));
    Observer::mark_victims(rec.samples.back(), klog.kills());
    // Reap: the workload itself, and orphans handed to us as subreaper.
    for (pid_t p; (p = waitpid(-1, &workload_status, WNOHANG)) > 0;)
      if (p == child.pid) {
        workload_running = false;
        rec.workload_exit = describe_status(workload_status);
      } else if (p == watchdog.pid()) {
        watchdog.exited(workload_status);
      }
    // Behind schedule (the runner was starved): skip the missed ticks
    // rather than take a burst of samples a millisecond apart.
    if (monotonic_us() > next_us + config.period.count() * 1000) next_us = monotonic_us();
    const Sample& s = rec.samples.back();
    if (tty) std::fprintf(stderr, "\r%s\033[K", progress_line(s, config).c_str());
    if (g_stop_signal) {
      rec.interrupted = true;
      break;
    }
    if (s.t_ms >= config.duration.count()) break;
    if (!workload_running && s.processes == 0) break;  // finished on its own, nothing left
  }
  if (tty) std::fprintf(stderr, "\n");
  if (workload_running) rec.workload_exit = "running at the end of the run";

  // Teardown: every task killed and reaped, the group removed.
  if (group) {
    bool empty = group->kill_all_and_wait(10s);
    std::string path = group->path();
    bool removed = empty && group->remove();
    rec.teardown = removed ? "complete" : "FAILED: tasks remain in " + path;
    if (removed) group.reset();
  } else {
    if (workload_running && waitpid(child.pid, &workload_status, WNOHANG) == child.pid) workload_running = false;
    bool all = kill_descendants(child.pid, 10s);
    workload_running = false;  // reaped by kill_descendants
    rec.teardown = all ? "complete (no cgroup: the workload's process tree was killed)"
                       : "FAILED: descendants of the workload survived";
  }
  if (config.watchdog) {
    // After the teardown: its `killed:` lines for kills in flight are written.
    rec.watchdog.status = watchdog.stop(3s);
    fold_watchdog_log(paths.dir + "/watchdog.jsonl", obs.t0_us, rec.cgroup_name, rec.watchdog);
    rec.watchdog.t0_mono_ms = obs.t0_us / 1000;
  }
  if (workload_running) waitpid(child.pid, &workload_status, 0);  // killed above: returns at once
  while (waitpid(-1, nullptr, WNOHANG) > 0) {
  }
  g_unsafe_pgid = 0;
  usleep(100 * 1000);  // late kernel log lines of the kill
  klog.poll(obs.seen_pids);
  alarm(0);

  rec.ended_at = utc_iso8601(realtime_ms());
  klog.finish();
  rec.kernel_log = klog.lines();
  rec.kernel_log_dropped = klog.dropped();
  rec.kernel_log_other_groups = klog.other_groups_lines();
  rec.kills = klog.kills();
  if (rec.kills.empty()) rec.kills = kills_from_events(rec.samples);
  std::vector<facts::KillEvent> watchdog_kills;
  for (const WatchdogKill& k : rec.watchdog.kills)
    if (!k.dry_run) watchdog_kills.push_back({k.t_ms, k.pid, k.comm, facts::Killer::watchdog, k.reason});
  rec.outcome = classify(rec.samples, rec.kills, config.stall_threshold, config.stall_psi, watchdog_kills);
  rec.exit_code = rec.interrupted ? 128 + g_stop_signal : exit_code_for(rec.outcome.cls);
  if (rec.teardown.rfind("FAILED", 0) == 0) rec.exit_code = exit_code::failed;

  std::string write_error;
  bool written = write_reports(rec, paths, write_error);
  remove_work_dir(paths);
  print_summary(rec, paths, written ? "" : write_error);
  if (!written) return exit_code::failed;
  return rec.exit_code;
}

}  // namespace oomlab::repro
