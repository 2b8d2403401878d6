#include "oomlab/watchdog/engine.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>


#include "oomlab/common/clock.hpp"
#include "oomlab/common/procfs.hpp"
#include "oomlab/common/psi_trigger.hpp"
#include "oomlab/facts/kernel_lines.hpp"
#include "oomlab/watchdog/holders.hpp"
#include "oomlab/watchdog/system.hpp"

namespace oomlab::watchdog {
namespace {

// A PSI trigger: 150 ms of "some" memory stall within a 2 s window (this
// kernel rejects windows that are not a multiple of 2 s: PLATFORM.md).
// The trigger: 150 ms of "some" stall within a 2 s window.
constexpr std::chrono::microseconds kPsiStall{150000}, kPsiWindow{2000000};
constexpr std::int64_t kPsiFollowMs = 2500;
constexpr auto kKmsgBatch = std::chrono::milliseconds(500);

// The some total of one PSI file (the system's or a group's memory.pressure),
// PsiTotals::kUnread when it cannot be read.
std::uint64_t read_some_total(const std::string& path) {
  char buf[512];
  long n = read_proc_file_into(path.c_str(), buf, sizeof buf - 1);
  auto r = n > 0 ? facts::parse_psi(std::string_view(buf, static_cast<std::size_t>(n))) : std::nullopt;
  return r ? r->some_total_us : PsiTotals::kUnread;
}

bool regular_file(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

std::vector<const char*> c_argv(const std::vector<std::string>& argv) {
  std::vector<const char*> out;
  for (const auto& a : argv) out.push_back(a.c_str());
  out.push_back(nullptr);
  return out;
}

}  // namespace

Engine::Engine(Options options, std::vector<std::string> argv)
    : opt_(std::move(options)),
      argv_(std::move(argv)),
      tick_timer_(io_),
      ping_timer_(io_),
      kmsg_timer_(io_),
      textfile_timer_(io_),
      signals_(io_, SIGTERM, SIGINT, SIGHUP),
      reporter_(opt_.kmsg_write, opt_.kmsg_path, opt_.json_log),
      sampler_(opt_.proc_root, opt_.max_tasks, opt_.stack),
      model_(opt_.warn_after.count(), opt_.delay_share_pct / 100.0),
      cgroups_(opt_.proc_root, opt_.cgroup_root),
      policy_(opt_, ::getpid()),
      recheck_timer_(io_) {
  // Reserved, not touched: only the pages the scans fill become resident.
  samples_.reserve(opt_.max_tasks);
}

Engine::~Engine() {
  restore_delayacct();
  for (auto& k : kills_)
    if (k.pidfd >= 0) ::close(k.pidfd);
}

int Engine::run() {
  started_ms_ = monotonic_ms();
  if (opt_.self_protect) protection_ = protect_self();
  open_psi(opt_.psi_path, true);
  const std::string mounts = read_proc_file("/proc/self/mounts", 1 << 20).value_or("");
  tmpfs_ = tmpfs_mounts(mounts);
  watched_.reserve(opt_.watch_cgroups.size());
  for (const auto& dir : opt_.watch_cgroups) {
    WatchedGroup& w = watched_.emplace_back();
    w.dir = dir;
    w.pressure_path = dir + "/" + facts::kCgroupMemoryPsi;
    w.cgroup = cgroup_path_of_dir(dir, mounts);
    if (w.cgroup.empty())
      reporter_.note(kWarning, dir + " is not under a cgroup mount: its PSI only wakes the watchdog, no pressure action");
    open_psi(w.pressure_path, false);
  }
  // Attribution reads the system PSI file on the scan worker: only a real
  // one (a test's FIFO would block the read).
  attribute_ = !watched_.empty() && psi_system_ && regular_file(opt_.psi_path);
  // The same for the event recheck, on the loop: every PSI file it reads.
  recheck_ok_ = psi_system_ && regular_file(opt_.psi_path) &&
                std::all_of(watched_.begin(), watched_.end(), [](const WatchedGroup& w) { return regular_file(w.pressure_path); });
  for (WatchedGroup& w : watched_)
    for (const WatchedGroup& o : watched_)
      if (&o != &w && !w.cgroup.empty() && !o.cgroup.empty() && w.cgroup != o.cgroup && in_cgroup(w.cgroup, o.cgroup))
        w.counted = false;
  set_probe_dirs();
  open_kmsg();
  open_tracer();
  std::string scan_source = "full scans read /proc (--scan proc)";
  if (opt_.scan != "proc") {
    std::string why;
    if (sampler_.use_task_iter(why)) {
      scan_source = "full scans read the BPF task iterator";
      // A source that lacks processes /proc shows would miss their stalls:
      // --scan auto reads those from /proc too (a full scan lists /proc
      // and reads the stat of each process the iterator did not list: the
      // same tasks as a /proc scan, at the iterator's cost for the rest);
      // --scan bpf (asked for) says what it misses.
      if (std::string misses = sampler_.task_iter_misses(); !misses.empty()) {
        if (opt_.scan == "bpf") {
          reporter_.note(kWarning, "--scan bpf: " + misses + "; their stalls will not be seen");
        } else {
          sampler_.complete_from_proc();
          scan_source = "full scans read the BPF task iterator, and /proc for the processes it lacks (" + misses + ")";
        }
      }
    } else if (opt_.scan == "bpf") {
      reporter_.note(kErr, "--scan bpf: " + why);
      return 1;
    } else {
      scan_source = "full scans read /proc (" + why + ")";
    }
  }
  const std::string delayacct = open_delayacct();
  try {
    open_control();
  } catch (const std::exception& e) {
    reporter_.note(kErr, std::string("control socket: ") + e.what());
    return 1;
  }
  arm_signals();
  write_textfile();
  reporter_.note(kInfo, "started: profile=" + opt_.profile + " period=" + std::to_string(opt_.period.count()) +
                            "ms warn_after=" + std::to_string(opt_.warn_after.count()) +
                            "ms kill_after=" + std::to_string(opt_.kill_after.count()) +
                            "ms escalate_after=" + std::to_string(opt_.escalate_after.count()) + "ms" +
                            (opt_.dry_run ? " dry-run" : "") + (protection_.empty() ? "" : "; " + protection_) +
                            "; memory cgroups at " + cgroups_.root() + "; " + delayacct + "; " + scan_source);
  next_tick_ = asio::steady_timer::clock_type::now();
  start_scan();
  schedule_tick();
  sd_notify("READY=1");
  schedule_watchdog_ping();
  io_.run();
  return 0;
}

void Engine::schedule_tick() {
  auto now = asio::steady_timer::clock_type::now();
  next_tick_ += opt_.period;
  if (next_tick_ < now) {
    // The loop itself was held up (suspend, stopped process): skip the
    // missed periods instead of firing a burst.
    auto behind = now - next_tick_;
    next_tick_ += (behind / opt_.period + 1) * opt_.period;
  }
  auto due = next_tick_;
  // Idle with watched groups: the tick stays at the period and probes them
  // (on_tick). A lock stall behind slow I/O shows no memory PSI: nothing
  // else would wake the loop for it.
  // (Not while every watched group is empty: cgroup.events wakes the loop
  // when a task enters one, populated_watch.cpp.)
  tick_idle_ = idle() && opt_.idle_scan.count() > 0 && (probe_dirs_->empty() || groups_empty_);
  if (tick_idle_) {
    // Idle, system-wide: no wake-up at all until the safety scan is due; PSI,
    // the kernel log or a client wake the loop, and wake_ticks() restores the period.
    auto safety = asio::steady_timer::clock_type::now() +
                  std::chrono::milliseconds(std::max<std::int64_t>(0, full_scan_started_ms_ + opt_.idle_scan.count() - monotonic_ms()));
    if (safety > due) due = safety;
  }
  tick_timer_.expires_at(due);
  tick_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (!ec && !stopping_) on_tick();
  });
}

void Engine::wake_ticks() {
  if (!tick_idle_ || stopping_ || idle()) return;
  next_tick_ = asio::steady_timer::clock_type::now();
  schedule_tick();  // replaces the far-away idle deadline (its wait is cancelled)
}

void Engine::on_tick() {
  next_tick_ = std::max(next_tick_, asio::steady_timer::clock_type::now() - opt_.period);
  schedule_tick();
  std::int64_t now = monotonic_ms();
  if (scan_pending_) {
    // The scan overran its period: report from what we know so that the
    // report still comes on time (delays grow with the clock).
    ++metrics_.scan_overruns;
    reporter_.note(kWarning, "scan still running after " + std::to_string(now - scan_started_ms_) +
                                 "ms: reporting from the previous scan");
    report(now, true);
    respond(now);
    return;
  }
  if (idle() && opt_.idle_scan.count() > 0 && now - full_scan_started_ms_ < opt_.idle_scan.count()) {
    if (!probe_dirs_->empty() && !groups_empty_) start_probe();
    return;
  }
  // Following what is tracked: a full scan only every full_follow_ms(); in
  // between, only the tracked tasks and their groups (follow_targets()). A
  // PSI event whose stall the watched groups explained counts as a look at
  // everything that stalled on memory then; every task is still read at least
  // every --idle-scan (a lock stall elsewhere shows no PSI).
  const std::int64_t covered_ms = std::max(full_scan_started_ms_, attributed_scan_ms_);
  start_scan(!psi_system_ || opt_.idle_scan.count() == 0 || now - covered_ms >= full_follow_ms() ||
             now - full_scan_started_ms_ >= opt_.idle_scan.count() || incidents_.count("/") != 0);
}

std::int64_t Engine::full_follow_ms() const {
  // Half the warning threshold: a stall that begins elsewhere while the
  // loop follows another (and shows no PSI) is reported at most that late.
  return std::clamp<std::int64_t>(opt_.warn_after.count() / 2, opt_.period.count(),
                                  std::max(opt_.period.count(), opt_.idle_scan.count()));
}

void Engine::follow_targets(std::vector<pid_t>& pids, std::vector<std::string>& dirs) const {
  for (const auto& [tid, s] : const_cast<StallModel&>(model_).stalls()) {
    pids.push_back(s.tgid);
    if (!s.cgroup.empty() && s.cgroup != "/" && s.cgroup != "?") dirs.push_back(cgroups_.root() + s.cgroup);
  }
  for (const auto& [pid, marked] : model_.victims()) pids.push_back(pid);
  for (const auto& k : kills_)
    if (!k.closed) pids.push_back(k.pid);
  for (const auto& [cg, inc] : incidents_)
    if (cg != "/") dirs.push_back(cgroups_.root() + cg);
  for (const std::string& d : *probe_dirs_) dirs.push_back(d);
  std::sort(dirs.begin(), dirs.end());
  dirs.erase(std::unique(dirs.begin(), dirs.end()), dirs.end());
}

void Engine::set_probe_dirs() {
  std::vector<std::string> dirs, cgroups;
  for (const WatchedGroup& w : watched_) {
    dirs.push_back(w.dir);
    cgroups.push_back(w.cgroup);
  }
  probe_dirs_ = std::make_shared<const std::vector<std::string>>(probe_dirs(cgroups_.root(), opt_.scope, dirs, cgroups));
  watch_populated();
}

void Engine::start_probe() {
  // On the loop thread itself: handing it to the scan worker and back cost
  // more than the reads (two thread wake-ups a period: ~55% of a probe,
  // perf). The probe reads only what does not wait behind a held mmap lock
  // (../shared/PLATFORM.md): the groups' cgroup.procs, each listed task's
  // /proc stat and, for blocked ones, wchan (stack, which takes
  // exec_update_lock instead, only when wchan names nothing) - and an
  // empty group costs its listing alone. The sampler and the attribution's
  // readings are the scan job's otherwise: no scan job may run meanwhile.
  if (scan_pending_) return;
  if (attribute_) note_pressure(false);  // a reading a PSI event's scan can compare with
  probe_pids_.clear();
  list_group_pids(*probe_dirs_, probe_pids_);
  if (probe_pids_.empty()) samples_.clear();
  else sampler_.sample(probe_pids_, samples_);
  ++metrics_.probes;
  if (probe_rule_.wants_scan(samples_) && !stopping_) start_scan();
}

bool Engine::idle() const {
  // Idle = PSI would tell us about pressure, none came lately, and nothing
  // is being tracked. Without a system PSI trigger we can never be idle.
  if (!psi_system_) return false;
  // A system PSI event costs one scan (started by the event itself): if that
  // scan finds a stalled task, a victim or pressure, the state below keeps
  // the loop following; if not, the loop sleeps until the next event (the
  // trigger fires again within its 2 s window while the pressure lasts). A
  // burst of pressure from another job costs one scan, not three.
  // While an event waits for its recheck, it keeps nobody busy: the
  // recheck starts the scan if the stall goes on, or settles the event.
  if (!recheck_pending_) {
    if (std::max(last_scan_done_ms_, settled_event_ms_) < last_psi_event_ms_) return false;
    // A watched group's event: its pressure share needs readings one period
    // apart from the onset on (the --pressure-above clock), so follow every
    // period for a trigger window.
    // It ends as soon as a reading after the event shows the groups' stall
    // no longer growing: the pressure is gone, and the clock never started.
    if (monotonic_ms() - last_watched_psi_event_ms_ < kPsiFollowMs && watched_still_rising()) return false;
  }
  if (!model_.victims().empty() || !incidents_.empty()) return false;
  for (const WatchedGroup& w : watched_)
    if (w.tracker.above()) return false;
  // A task blocked in reclaim, allocation or on an mmap lock is followed
  // every period from the first sight. Page-in waits and exits are everyday
  // noise on a busy host: followed once they persisted across two scans.
  std::int64_t now = monotonic_ms();
  for (const auto& [tid, s] : const_cast<StallModel&>(model_).stalls()) {
    bool noisy = s.kind == StallKind::Io || s.kind == StallKind::Exit;
    if (!noisy || s.seen_ms > s.since_ms || now - s.since_ms >= opt_.warn_after.count()) return false;
  }
  for (const auto& k : kills_)
    if (!k.closed) return false;
  if (holders_pending_check(now)) return false;
  return true;
}

bool Engine::watched_still_rising() const {
  for (const WatchedGroup& w : watched_)
    if (w.read_ms <= last_watched_psi_event_ms_ || w.rising) return true;
  return false;
}

bool Engine::note_pressure(bool explain) {
  // The probe's readings only need to reach a trigger window (2 s) back:
  // one every 1.5 s or more (each costs two file reads).
  if (!explain && monotonic_ms() - last_note_ms_ < 1500) return false;
  last_note_ms_ = monotonic_ms();
  char buf[512];
  auto some_us = [&buf](const char* path) -> std::uint64_t {
    long n = read_proc_file_into(path, buf, sizeof buf - 1);
    auto r = n > 0 ? facts::parse_psi(std::string_view(buf, static_cast<std::size_t>(n))) : std::nullopt;
    return r ? r->some_total_us : 0;
  };
  const std::uint64_t system_us = some_us(opt_.psi_path.c_str());
  attr_groups_us_.clear();
  for (const WatchedGroup& w : watched_)
    if (w.counted) attr_groups_us_.push_back(some_us(w.pressure_path.c_str()));
  const std::int64_t now = monotonic_ms();
  if (!explain) {
    attribution_.note(now, system_us, attr_groups_us_);
    return false;
  }
  return attribution_.explains(now, system_us, attr_groups_us_, 2000, 4000 + 2 * opt_.period.count());
}

void Engine::start_scan(bool full, bool on_event) {
  // Pending = submitted and its result not yet folded in: the worker may be
  // idle while on_scan_done still waits in the queue, and samples_ is read
  // there, so a new scan (or probe) must not start before it ran.
  if (scan_pending_) {
    // The worker runs one job at a time: scan as soon as it is free.
    if (full) full_wanted_ = true;
    if (full && on_event) event_wanted_ = true;
    return;
  }
  scan_started_ms_ = monotonic_ms();
  std::shared_ptr<std::vector<pid_t>> targets;  // null: every task
  auto target_dirs = std::make_shared<std::vector<std::string>>();
  // A PSI event with watched groups: the scan job decides (full_scan_started_ms_
  // is set by on_scan_done then, if it scanned every task).
  const bool attribute = full && on_event && attribute_;
  if (full) {
    if (!attribute) full_scan_started_ms_ = scan_started_ms_;
    full_wanted_ = false;
    event_wanted_ = false;
  }
  if (!full || attribute) {
    targets = std::make_shared<std::vector<pid_t>>();
    follow_targets(*targets, *target_dirs);
  }
  if (on_event) event_scan_started_ms_ = scan_started_ms_;
  const std::int64_t onset = on_event ? std::exchange(backdate_ms_, -1) : -1;
  auto targeted = std::make_shared<bool>(!full);
  auto cgroups = std::make_shared<std::map<pid_t, std::string>>();
  auto stats = std::make_shared<ScanStats>();
  auto snap = std::make_shared<tracer::Snapshot>();
  std::vector<pid_t> victims;
  for (const auto& [pid, marked] : model_.victims()) victims.push_back(pid);
  // Stalls whose group is not known yet (added by the BPF tracer, not seen
  // blocked by a scan): their cgroup is read with the victims'.
  for (const auto& [tid, st] : model_.stalls())
    if (st.cgroup.empty() || st.cgroup == "?") victims.push_back(st.tgid);
  std::vector<TaskSample>* out = &samples_;
  bool ok = scan_worker_.submit([this, cgroups, stats, snap, out, targets, target_dirs, targeted, attribute,
                                 victims = std::move(victims)] {
    // Every scan leaves a reading; an event's decides what it scans.
    const bool explained = attribute_ && note_pressure(attribute);
    if (attribute) *targeted = explained;
    if (*targeted) {
      list_group_pids(*target_dirs, *targets);  // adds the groups' processes; sorted, unique
      *stats = sampler_.sample(*targets, *out, true);
    } else {
      *stats = sampler_.scan(*out);
    }
    if (tracer_) {
      // The tracer's view right after the scan, with the groups of the tasks
      // in reclaim now (running ones are not stall candidates of the scan).
      *snap = tracer_->snapshot();
      for (const auto& r : snap->reclaim) {
        pid_t tgid = r.task.tgid ? r.task.tgid : r.task.tid;
        if (r.current && !cgroups->count(tgid)) (*cgroups)[tgid] = cgroups_.cgroup_of(tgid);
      }
    }
    // Memory cgroups of the stall candidates (few: blocked or dying tasks)
    // and of the OOM victims: /proc/PID/cgroup takes cgroup locks, so not on the loop.
    for (const TaskSample& t : *out)
      if (t.kind != StallKind::None && !cgroups->count(t.tgid)) (*cgroups)[t.tgid] = cgroups_.cgroup_of(t.tgid);
    for (pid_t pid : victims)
      if (!cgroups->count(pid)) (*cgroups)[pid] = cgroups_.cgroup_of(pid);
    // The watched groups' pressure, into buffers the loop reads after the post.
    char buf[512];
    for (WatchedGroup& w : watched_) {
      long n = read_proc_file_into(w.pressure_path.c_str(), buf, sizeof buf - 1);
      w.reading = n > 0 ? facts::parse_psi(std::string_view(buf, static_cast<std::size_t>(n))) : std::nullopt;
    }
  }, [this, stats, snap, cgroups, targets, targeted, attribute, onset] {
    asio::post(io_, [this, stats, snap, cgroups, targets, targeted, attribute, onset] {
      if (attribute) (*targeted ? attributed_scan_ms_ : full_scan_started_ms_) = scan_started_ms_;
      on_scan_done(*stats, *snap, cgroups, *targeted ? targets : nullptr, onset);
    });
  });
  scan_pending_ = ok;
}

void Engine::on_scan_done(const ScanStats& stats, const tracer::Snapshot& snap,
                          std::shared_ptr<std::map<pid_t, std::string>> cgroups,
                          std::shared_ptr<std::vector<pid_t>> targets, std::int64_t onset_ms) {
  scan_pending_ = false;
  std::int64_t now = monotonic_ms();
  last_scan_done_ms_ = now;
  ++metrics_.scans;
  metrics_.last_scan_seconds = stats.duration_us / 1e6;
  metrics_.scan_seconds_sum += stats.duration_us / 1e6;
  metrics_.delayacct = stats.delayacct;
  metrics_.delay_queries += stats.delay_queries;
  if (!targets) {
    ++metrics_.full_scans;
    last_full_scan_done_ms_ = now;
    metrics_.tasks = stats.tasks;
    metrics_.tasks_dropped = stats.dropped;
    // The processes of the whole system, for a system-wide incident's
    // victim choice (samples_ may hold a follow-up scan's few tasks then).
    all_pids_.clear();
    for (const TaskSample& t : samples_)
      if (t.tid == t.tgid) all_pids_.push_back(t.tgid);
  }
  model_.update(samples_, now, targets.get());
  if (onset_ms >= 0) model_.backdate(now, onset_ms);
  fold_tracer(now, snap);
  std::erase_if(victim_homes_, [this](const auto& e) { return !model_.is_victim(e.first); });
  for (auto& [tid, s] : model_.stalls()) {
    auto it = cgroups->find(s.tgid);
    std::string cg = group_of(s.tgid, it != cgroups->end() ? it->second : std::string());
    if (!cg.empty()) s.cgroup = cg;
    else if (s.cgroup.empty()) s.cgroup = "?";
  }
  fold_pressure(now);  // after the cgroups: the pressure clock counts each group's blocked tasks
  victim_cgroups_.clear();
  for (const auto& [pid, marked] : model_.victims())
    if (auto it = cgroups->find(pid); it != cgroups->end()) victim_cgroups_[pid] = group_of(pid, it->second);
  report(now, false);
  respond(now);
  wake_ticks();
  if (full_wanted_ && !stopping_) start_scan(true, event_wanted_);  // a PSI event came during this scan
}

void Engine::report(std::int64_t now, bool from_stale_scan) {
  StallCounts c = model_.counts(now);
  metrics_.stalled = c.stalling;
  metrics_.dying = c.dying;
  metrics_.exiting = c.exiting;
  metrics_.victims = c.victim;
  metrics_.oom_count = c.oom_count;
  metrics_.longest_stall_seconds = c.longest_ms / 1e3;
  auto tasks = model_.reportable(now);
  if (tasks.empty() && c.victim == 0) return;
  last_report_ms_ = now;
  ++metrics_.reports;
  reporter_.emit(kWarning, format_info(c),
                 formats::WdInfo{c.stalling, c.dying, c.exiting, c.victim, c.oom_count, from_stale_scan});
  bool first = true;  // the longest stall goes to the kernel log too; the rest to stderr and JSON
  for (const TaskStall* s : tasks) {
    formats::WdTask t;
    t.comm = s->comm, t.tid = s->tid, t.tgid = s->tgid, t.state = std::string(1, s->state);
    t.kind = kind_name(s->kind), t.delay_ms = s->delay_ms(now), t.wchan = s->wchan, t.cgroup = s->cgroup;
    t.rss_kb = s->rss_kb, t.dying = s->dying, t.exiting = s->exiting, t.victim = s->victim;
    t.evidence = evidence_name(s->evidence);
    if (s->has_delays)
      for (const DelayField& f : kDelayFields) t.delays_ms.emplace_back(f.name, grown_ms(s->delays_base, s->delays_now, f));
    reporter_.emit(kWarning, format_task(*s, now), std::move(t), first);
    first = false;
  }
  notify_status();
}

void Engine::open_psi(const std::string& path, bool system) {
  PsiTrigger trigger(kPsiStall, kPsiWindow, path.c_str());
  if (!trigger.ok() && !trigger.rejected()) {
    reporter_.note(kWarning, "no PSI trigger on " + path + " (" + std::strerror(trigger.error_number()) +
                                 "): sampling on the timer only" + (system ? "" : " for this cgroup"));
    return;
  }
  if (!trigger.ok()) {
    reporter_.note(kWarning, "PSI trigger '" + trigger.spec() + "' rejected by " + path + " (" +
                                 std::strerror(trigger.error_number()) + "): sampling on the timer only");
    return;
  }
  const int fd = trigger.release();
  if (system) psi_system_ = true;
  auto sd = std::make_shared<asio::posix::stream_descriptor>(io_, fd);
  psi_.push_back(sd);
  arm_psi(sd, system);
}

void Engine::arm_psi(std::shared_ptr<asio::posix::stream_descriptor> sd, bool system) {
  sd->async_wait(asio::posix::stream_descriptor::wait_error, [this, sd, system](const boost::system::error_code& ec) {
    if (ec || stopping_) return;
    on_psi_event(system);
    // POLLPRI stays asserted until the window passes; do not spin on it.
    auto t = std::make_shared<asio::steady_timer>(io_, std::chrono::milliseconds(200));
    t->async_wait([this, sd, t, system](const boost::system::error_code& e) {
      if (!e && !stopping_) arm_psi(sd, system);
    });
  });
}

void Engine::on_psi_event(bool system) {
  ++metrics_.psi_events;
  if (!system) ++metrics_.group_psi_events;
  last_psi_event_ms_ = monotonic_ms();
  if (!system) last_watched_psi_event_ms_ = last_psi_event_ms_;
  if (recheck_ok_) {
    // Judged once more in a moment (stall_goes_on); the system's and a
    // group's trigger fire together for one burst: one recheck.
    if (recheck_pending_) return;
    recheck_pending_ = true;
    at_event_ = read_psi_totals();
    recheck_timer_.expires_after(std::chrono::milliseconds(recheck_ms()));
    recheck_timer_.async_wait([this](const boost::system::error_code& ec) {
      if (!ec && !stopping_) recheck_event();
    });
    return;
  }
  wake_ticks();
  // Pressure now: look at every task now rather than at the next period.
  // (Once per burst: the system's and a group's trigger fire together.)
  if (monotonic_ms() - std::max(full_scan_started_ms_, event_scan_started_ms_) >= 100) start_scan(true, true);
}

std::int64_t Engine::recheck_ms() const {
  // Long enough that a burst already ended shows no growth (half a second
  // of a stall at the trigger's rate is ~37 ms of it), short beside any
  // --warn-after; never longer than a period.
  return std::clamp<std::int64_t>(opt_.period.count(), 100, 500);
}

PsiTotals Engine::read_psi_totals() const {
  PsiTotals t;
  t.ms = monotonic_ms();
  t.system_us = read_some_total(opt_.psi_path);
  t.groups_us.reserve(watched_.size());
  for (const WatchedGroup& w : watched_) t.groups_us.push_back(read_some_total(w.pressure_path));
  return t;
}

void Engine::recheck_event() {
  recheck_pending_ = false;
  const PsiTotals later = read_psi_totals();
  if (stall_goes_on(at_event_, later)) {
    wake_ticks();
    if (later.ms - std::max(full_scan_started_ms_, event_scan_started_ms_) >= 100) {
      backdate_ms_ = at_event_.ms;
      start_scan(true, true);
    }
    return;
  }
  // Over: no scan. The groups' readings say they are not rising, which
  // ends a group event's follow (idle()) as a scan's reading would.
  ++metrics_.psi_events_settled;
  settled_event_ms_ = later.ms;
  for (std::size_t i = 0; i < watched_.size() && i < later.groups_us.size(); ++i) {
    WatchedGroup& w = watched_[i];
    if (later.groups_us[i] == PsiTotals::kUnread) continue;
    w.prev_some_us = later.groups_us[i];
    w.read_ms = later.ms;
    w.rising = false;
  }
  wake_ticks();
}

void Engine::open_kmsg() {
  kmsg_ = std::make_unique<KmsgReader>(KmsgReader::Start::Now, opt_.kmsg_path.c_str());
  if (!kmsg_->ok()) {
    reporter_.note(kWarning, "cannot read the kernel log " + opt_.kmsg_path + " (" + kmsg_->error() +
                                 "): the kernel's OOM victims will not be tracked");
    kmsg_.reset();
    return;
  }
  int fd = ::dup(kmsg_->fd());
  if (fd < 0) return;
  kmsg_sd_ = std::make_unique<asio::posix::stream_descriptor>(io_, fd);
  arm_kmsg();
}

void Engine::arm_kmsg() {
  kmsg_sd_->async_wait(asio::posix::stream_descriptor::wait_read, [this](const boost::system::error_code& ec) {
    if (ec || stopping_) return;
    for (int i = 0; i < 1024; ++i) {  // bounded per wake-up: the loop has other work
      auto r = kmsg_->next();
      if (!r) break;
      on_kmsg_line(r->message);
    }
    // Batch: other jobs on a busy host log many records (each one a wake-up
    // when re-armed at once). The kernel keeps them; an OOM victim is
    // noticed at most kKmsgBatch later, far below any --kill-after.
    kmsg_timer_.expires_after(kKmsgBatch);
    kmsg_timer_.async_wait([this](const boost::system::error_code& e) {
      if (!e && !stopping_) arm_kmsg();
    });
  });
}

std::string Engine::group_of(pid_t tgid, const std::string& read) const {
  if (!read.empty() && read != "/") return read;
  auto home = victim_homes_.find(tgid);
  return home != victim_homes_.end() ? home->second : read;
}

void Engine::on_kmsg_line(const std::string& m) {
  pid_t pid = 0;
  if (auto k = facts::parse_killed_process(m); k && !k->selection_only) {
    pid = k->pid;
  } else if (auto s = facts::parse_oom_kill_summary(m)) {
    pid = s->pid;
    if (!s->task_memcg.empty()) victim_homes_.try_emplace(pid, s->task_memcg);
    // Count the kill against the group whose limit was hit (a global OOM:
    // the victim's own group).
    note_oom_kill(s->oom_memcg.empty() ? s->task_memcg : s->oom_memcg, s->pid, monotonic_ms());
  }
  if (pid > 0 && !model_.is_victim(pid)) {
    model_.mark_victim(pid, monotonic_ms());
    reporter_.note(kNotice, "kernel OOM victim pid " + std::to_string(pid) + " (from the kernel log)");
    wake_ticks();
  }
}

void Engine::arm_signals() {
  signals_.async_wait([this](const boost::system::error_code& ec, int sig) {
    if (ec) return;
    if (sig == SIGHUP) {
      reload();
      arm_signals();
      return;
    }
    reporter_.note(kInfo, std::string("stopping on ") + (sig == SIGTERM ? "SIGTERM" : "SIGINT"));
    stop();
  });
}

void Engine::reload() {
  try {
    auto args = c_argv(argv_);
    ParsedArgs p = parse_args(static_cast<int>(argv_.size()), args.data());
    const milliseconds old_period = opt_.period;
    const std::vector<std::string> restart = apply_reload(opt_, p.options);
    set_probe_dirs();  // --scope may have changed
    resume_probe_ticks();
    if (opt_.period != old_period) {
      next_tick_ = asio::steady_timer::clock_type::now();
      schedule_tick();
    }
    policy_ = KillPolicy(opt_, ::getpid());
    model_.set_warn_after(opt_.warn_after.count());
    model_.set_delay_share(opt_.delay_share_pct / 100.0);
    std::string pending;
    for (const std::string& name : restart) pending += (pending.empty() ? "" : ", ") + name;
    reporter_.note(kInfo, "config reloaded: profile=" + opt_.profile + " kill_after=" +
                              std::to_string(opt_.kill_after.count()) + "ms" + (opt_.dry_run ? " dry-run" : "") +
                              (pending.empty() ? "; every option applied"
                                               : "; changed but applied only at a restart: " + pending));
  } catch (const std::exception& e) {
    reporter_.note(kErr, std::string("config reload failed, keeping the running config: ") + e.what());
  }
}

void Engine::notify_status() {
  StallCounts c = model_.counts(monotonic_ms());
  sd_notify("STATUS=tasks=" + std::to_string(metrics_.tasks) + " stalling=" + std::to_string(c.stalling) +
            " victims=" + std::to_string(c.victim) + " kills=" + std::to_string(kills_.size()));
}

void Engine::schedule_watchdog_ping() {
  auto interval = sd_watchdog_interval();
  if (interval.count() == 0) return;
  ping_timer_.expires_after(interval);
  ping_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec || stopping_) return;
    // Alive = the loop runs AND no scan is stuck: a sampler blocked for many
    // periods is worth a restart by systemd.
    std::int64_t limit = std::max<std::int64_t>(30000, 10 * opt_.period.count());
    if (!scan_pending_ || monotonic_ms() - scan_started_ms_ < limit) sd_notify("WATCHDOG=1");
    notify_status();
    schedule_watchdog_ping();
  });
}

std::string Engine::open_delayacct() {
  // The state goes into the "started:" line; only a failure to do what was
  // asked is a note of its own.
  if (opt_.delayacct == "off") return "delay accounting off";
  std::string why;
  taskstats_ = TaskstatsClient::open(why);
  if (!taskstats_) return "no delay accounting (" + why + ")";
  int on = read_task_delayacct(opt_.proc_root);
  bool set_by_us = false;
  if (on == 0 && opt_.delayacct == "enable") {
    std::string err;
    if (write_task_delayacct(opt_.proc_root, true, err)) {
      delayacct_restore_ = 0;
      on = 1;
      set_by_us = true;
    } else {
      reporter_.note(kWarning, "cannot enable delay accounting: " + err);
    }
  }
  sampler_.set_taskstats(taskstats_.get());
  if (on != 1) return "delay accounting off (kernel.task_delayacct=0; --delayacct enable turns it on)";
  return "delay accounting on (taskstats, delay-share " + std::to_string(opt_.delay_share_pct) + "%" +
         (set_by_us ? ", kernel.task_delayacct set to 1 until exit)" : ")");
}

void Engine::restore_delayacct() {
  if (delayacct_restore_ < 0) return;
  std::string err;
  if (!write_task_delayacct(opt_.proc_root, delayacct_restore_ == 1, err))
    reporter_.note(kWarning, "cannot restore kernel.task_delayacct: " + err);
  delayacct_restore_ = -1;
}

void Engine::stop() {
  stopping_ = true;
  sd_notify("STOPPING=1");
  tick_timer_.cancel();
  recheck_timer_.cancel();
  ping_timer_.cancel();
  signals_.cancel();
  for (auto& sd : psi_) sd->cancel();
  if (kmsg_sd_) kmsg_sd_->cancel();
  kmsg_timer_.cancel();
  textfile_timer_.cancel();
  if (tracer_sd_) tracer_sd_->cancel();
  if (populated_sd_) populated_sd_->cancel();
  if (control_) {
    control_->close();
    ::unlink(opt_.socket_path.c_str());
  }
  for (auto& k : kills_)
    if (k.exit_watch) k.exit_watch->cancel();
  io_.stop();
}

}  // namespace oomlab::watchdog
