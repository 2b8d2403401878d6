// The daemon: one Boost.Asio io_context driving
//   - the sampling timer (absolute deadlines: a late period never shifts the
//     next ones) and the scan worker,
//   - PSI triggers on the system and watched cgroups (an event brings the
//     next scan forward),
//   - /dev/kmsg (OOM victims the kernel chose),
//   - signals (TERM/INT stop, HUP reloads the config),
//   - the control socket (status JSON, Prometheus metrics),
//   - systemd notify/watchdog pings.
// engine.cpp has the loop; responder.cpp gathers each incident's facts and
// carries out what the kill policy (kill_policy.hpp: pure, unit-tested)
// decides; victim_kill.cpp the actions; control.cpp the socket.
#pragma once
#include <utility>  // Boost 1.74 Asio uses std::exchange without it

#include <boost/asio.hpp>
#include <deque>
#include <functional>
#include <optional>
#include <map>
#include <memory>
#include <nlohmann/json_fwd.hpp>
#include <set>
#include <string>
#include <vector>

#include "oomlab/common/kmsg.hpp"
#include "oomlab/tracer/tracer.hpp"
#include "oomlab/watchdog/cgroup_view.hpp"
#include "oomlab/watchdog/group_probe.hpp"
#include "oomlab/watchdog/kill_policy.hpp"
#include "oomlab/watchdog/metrics.hpp"
#include "oomlab/watchdog/options.hpp"
#include "oomlab/watchdog/policy.hpp"
#include "oomlab/watchdog/pressure.hpp"
#include "oomlab/watchdog/report.hpp"
#include "oomlab/watchdog/sampler.hpp"
#include "oomlab/watchdog/stall_model.hpp"
#include "oomlab/watchdog/taskstats.hpp"
#include "oomlab/watchdog/worker.hpp"

namespace oomlab::watchdog {

namespace asio = boost::asio;

// One kill and what came of it (docs/FORMATS.md "killed:" line).
struct KillRecord {
  pid_t pid = 0;
  std::string comm, cgroup, reason;
  std::uint64_t rss_kb = 0;
  std::uint64_t shmem_kb = 0;  // of rss_kb: stays charged after the kill
  int oom_score_adj = 0;
  bool dry_run = false;
  int pidfd = -1;
  std::int64_t kill_ms = 0, exit_ms = -1, freed_ms = -1;
  std::int64_t reaped_ms = -1;  // process_mrelease returned 0 (the victim's mm is reaped)
  std::string freed_by;         // "process_mrelease" or "exit": what freed_ms comes from
  std::int64_t freed_kb = -1;   // the victim's RSS at the kill, once its memory is gone
  int reap_error = -1;  // process_mrelease: -1 not tried, 0 ok, errno
  bool closed = false;
  std::shared_ptr<asio::posix::stream_descriptor> exit_watch;
};

// A cgroup (or "/" = the whole system) whose stall, or memory pressure,
// passed --kill-after: what the kill policy decides from (IncidentFacts)
// and the engine's own bookkeeping.
struct Incident : IncidentFacts {
  std::string procs_file;  // where to list members when the memory hierarchy has no such group
  std::int64_t opened_ms = 0;
  bool nothing_to_kill = false, busy_noted = false;
  std::uint64_t facts_pending = 0;  // id of the victim-facts read in flight, 0 = none
};

// Facts about the processes of an incident's group, read on the facts worker.
struct VictimFacts {
  std::vector<Candidate> candidates;
  std::uint64_t total_kb = 0;  // the group's limit, or RAM
};

// OOM kills in one cgroup (the kernel's, from the kernel log, and ours):
// kills that repeat free nothing, and the holder rule looks for what does.
struct OomHistory {
  std::deque<std::int64_t> kills_ms;  // within kHolderWindowMs
  std::int64_t checked_ms = -1;       // last holder search
  bool pending = false;               // a search is on the facts worker
  bool told_unheld = false;           // "nothing can free it" was said
  std::set<pid_t> killed;             // holders killed already
  bool holding_found = false;         // a search found shmem/pipes worth a kill (the respawner rule then stands aside)
  // The respawner rule (respawn_rule.cpp): the kills' victims and looks at
  // the group's processes while the kills go on.
  std::deque<GroupKill> victims;      // within kHolderWindowMs
  std::deque<GroupLook> looks;
  std::int64_t looked_ms = -1;
  bool look_pending = false;
  std::set<pid_t> respawners;         // parents judged already (killed, or protected and said so)
};

// A --watch-cgroup directory: its PSI trigger wakes the loop, its readings
// (taken on the scan worker) drive pressure incidents.
struct WatchedGroup {
  std::string dir, pressure_path;
  std::string cgroup;  // its path in the cgroup hierarchy ("" = not under a cgroup mount: wake-up only)
  PressureTracker tracker;
  std::optional<facts::PsiReading> reading;  // written by the scan job, folded in on the loop
  bool noted = false;  // the "pressure above" note was written for this episode
  bool counted = true;  // not inside another watched group (StallAttribution sums the disjoint ones)
  // Whether its some total grew between the last two readings (folded on
  // the loop): the follow after its PSI event ends once it stops growing.
  std::uint64_t prev_some_us = 0;
  std::int64_t read_ms = -1;
  bool rising = false;
  std::set<pid_t> paging_in;  // its processes seen in page-in waits while above (IncidentFacts::paging_in)
};

class Engine {
 public:
  // argv is kept so that SIGHUP can re-read flags + config the same way.
  Engine(Options options, std::vector<std::string> argv);
  ~Engine();
  int run();  // until SIGTERM/SIGINT; the exit code

 private:
  // engine.cpp
  void schedule_tick();
  void on_tick();
  // full: every task (/proc); else a follow-up scan of the tracked tasks
  // and their groups only (follow_targets()).
  // on_event: a PSI event's scan; with watched groups, every task only when
  // the stall is not explained by them (StallAttribution), else theirs.
  void start_scan(bool full = true, bool on_event = false);
  std::int64_t full_follow_ms() const;
  void follow_targets(std::vector<pid_t>& pids, std::vector<std::string>& dirs) const;
  // group_probe.hpp: while idle, the watched groups' own tasks every period.
  void set_probe_dirs();
  void start_probe();
  // populated_watch.cpp: no probe tick while every probed group is empty.
  std::string populated_file(const std::string& dir) const;  // its cgroup.events, "" when none
  void watch_populated();
  void read_populated();
  void arm_populated();
  void resume_probe_ticks();
  // onset_ms >= 0: a confirmed PSI event's scan; the stalls it finds are
  // dated back to the event (StallModel::backdate).
  void on_scan_done(const ScanStats& stats, const tracer::Snapshot& snap,
                    std::shared_ptr<std::map<pid_t, std::string>> cgroups,
                    std::shared_ptr<std::vector<pid_t>> targets, std::int64_t onset_ms = -1);
  void report(std::int64_t now_ms, bool from_stale_scan);
  void open_psi(const std::string& path, bool system);
  void arm_psi(std::shared_ptr<asio::posix::stream_descriptor> sd, bool system);
  // A PSI event: judged once more recheck_ms() later (stall_goes_on) when
  // the PSI files can be read on the loop; a full scan only if the stall
  // goes on.
  void on_psi_event(bool system);
  void recheck_event();
  std::int64_t recheck_ms() const;
  PsiTotals read_psi_totals() const;  // on the loop: regular PSI files only (recheck_ok_)
  void open_kmsg();
  void arm_kmsg();
  void on_kmsg_line(const std::string& message);
  void arm_signals();
  void reload();
  void notify_status();
  void schedule_watchdog_ping();
  void stop();

  // responder.cpp: the state machine
  void respond(std::int64_t now_ms);
  void collect_pressure(std::int64_t now_ms, std::map<std::string, const TaskStall*>& over,
                        std::set<std::string>& held);
  void fold_pressure(std::int64_t now_ms);
  // Carries out the step the kill policy says the incident is due for.
  void act_on(Incident& inc, std::int64_t now_ms, Step step);
  // victim_kill.cpp: the actions
  using FactsThen = std::function<void(Incident&, VictimFacts&)>;
  // subtree: the group's descendants' processes too (what cgroup.kill takes).
  void fetch_candidates(Incident& inc, pid_t only_pid, FactsThen then, bool subtree = false);
  // A kill decision: signals its victim and counts it; false for any other.
  bool carry_out(Incident& inc, const Decision& d);
  void kill_cgroup(Incident& inc);
  void track_kills(std::int64_t now_ms);
  void close_kill(KillRecord& k, std::int64_t now_ms);
  std::uint64_t total_kb(const std::string& cgroup) const;
  // Signals victim, reaps it and records the kill; false when not done.
  bool start_kill(const Candidate& victim, const std::string& cgroup, const std::string& reason);

  // holder_rule.cpp: memory that OOM kills do not free
  void note_oom_kill(const std::string& cgroup, pid_t victim, std::int64_t now_ms);
  void check_holders(std::int64_t now_ms);
  // respawn_rule.cpp
  void check_respawners(std::int64_t now_ms);
  void judge_respawner(const std::string& cgroup, const Respawner& r);
  bool holders_pending_check(std::int64_t now_ms) const;

  // engine.cpp: taskstats delay accounting (--delayacct)
  std::string open_delayacct();  // what it found, for the start line
  void restore_delayacct();

  // bpf_source.cpp
  void open_tracer();
  void arm_tracer();
  void fold_tracer(std::int64_t now_ms, const tracer::Snapshot& snap);

  // textfile.cpp: --metrics-textfile
  void write_textfile();
  void on_textfile_written(const std::string& error);

  // control.cpp
  void open_control();
  void accept_control();
  std::string status_json() const;

  Options opt_;
  std::vector<std::string> argv_;
  asio::io_context io_;
  asio::steady_timer tick_timer_, ping_timer_, kmsg_timer_, textfile_timer_;
  asio::signal_set signals_;
  asio::steady_timer::time_point next_tick_;
  Reporter reporter_;
  Sampler sampler_;
  StallModel model_;
  CgroupView cgroups_;
  KillPolicy policy_;
  Metrics metrics_;
  // One scan's samples: filled by the scan job, read by on_scan_done (no
  // scan starts before that ran), and by the probe on the loop in between.
  // One buffer, not two swapped: every page of a second one became resident
  // too (~150 B a task), for nothing.
  std::vector<TaskSample> samples_;
  std::int64_t started_ms_ = 0, last_scan_done_ms_ = 0, scan_started_ms_ = 0, last_report_ms_ = 0;
  bool scan_pending_ = false;
  bool full_wanted_ = false;  // a full scan was asked for while the worker was busy
  bool event_wanted_ = false;  // ... by a PSI event (attributed when it can be)
  std::int64_t event_scan_started_ms_ = -1000000;
  std::int64_t attributed_scan_ms_ = -1000000;  // an event's scan of the watched groups only
  std::int64_t full_scan_started_ms_ = 0, last_full_scan_done_ms_ = 0;
  std::vector<pid_t> all_pids_;  // processes of the last full scan
  std::int64_t last_psi_event_ms_ = -1000000, last_watched_psi_event_ms_ = -1000000;
  bool idle() const;
  bool memory_short(std::int64_t now) const;   // responder.cpp: may a page-in wait lead to a kill
  static constexpr std::int64_t kPsiWindowMs = 2000;   // kPsiTrigger's window
  bool watched_still_rising() const;
  void wake_ticks();
  bool tick_idle_ = false;  // the pending tick is the far idle deadline
  // The watched groups' directories (copied by each probe job: a reload may
  // replace them while a probe runs); empty: system-wide, no probe.
  std::shared_ptr<const std::vector<std::string>> probe_dirs_ = std::make_shared<std::vector<std::string>>();
  // Used by the probe on the loop thread, while no scan job runs.
  std::vector<pid_t> probe_pids_;
  // The probed groups' cgroup.events (all of them, or none: then every
  // period is probed) under inotify; true while each says "populated 0".
  std::vector<std::string> populated_files_;
  std::unique_ptr<asio::posix::stream_descriptor> populated_sd_;
  bool groups_empty_ = false;
  ProbeRule probe_rule_;
  bool attribute_ = false;  // watched groups and a system PSI file: events are attributed
  StallAttribution attribution_;
  std::vector<std::uint64_t> attr_groups_us_;
  std::int64_t last_note_ms_ = -1000000;
  // Reads the system's and the counted watched groups' some totals (scan
  // worker); true when they explain the stall of the last trigger window.
  bool note_pressure(bool explain);
  // The event recheck (on_psi_event): the system's and every watched
  // group's PSI file is a regular file (a test's FIFO would block the read).
  bool recheck_ok_ = false;
  bool recheck_pending_ = false;
  PsiTotals at_event_;
  std::int64_t settled_event_ms_ = -1000000;  // the last recheck that found the stall over
  std::int64_t backdate_ms_ = -1;            // the confirmed event the next event scan dates its stalls to
  asio::steady_timer recheck_timer_;
  std::vector<std::shared_ptr<asio::posix::stream_descriptor>> psi_;
  std::vector<WatchedGroup> watched_;
  std::map<pid_t, std::string> victim_cgroups_;  // tgid -> memory cgroup, from the last scan
  // tgid -> the group a victim was killed in (ours: the incident's; the
  // kernel's: task_memcg of its oom-kill: line). On cgroup v1 an exiting
  // task's /proc/PID/cgroup says "/" (proc_cgroup_show), so a victim that
  // does not finish exiting would otherwise leave its group - and the
  // incident - as soon as it was killed. Dropped when the victim is gone.
  std::map<pid_t, std::string> victim_homes_;
  std::string group_of(pid_t tgid, const std::string& read) const;
  std::uint64_t facts_seq_ = 0;
  bool psi_system_ = false;
  std::unique_ptr<KmsgReader> kmsg_;
  std::unique_ptr<asio::posix::stream_descriptor> kmsg_sd_;
  std::unique_ptr<asio::local::stream_protocol::acceptor> control_;
  std::unique_ptr<tracer::Tracer> tracer_;
  std::unique_ptr<TaskstatsClient> taskstats_;  // used by the scan worker only
  int delayacct_restore_ = -1;                  // kernel.task_delayacct to put back at exit, -1: none
  std::unique_ptr<asio::posix::stream_descriptor> tracer_sd_;
  std::map<std::string, Incident> incidents_;
  std::map<std::string, OomHistory> oom_history_;  // by cgroup
  std::vector<std::string> tmpfs_;                 // tmpfs mount points (holder rule)
  std::deque<KillRecord> kills_;  // the last 64
  std::string protection_;
  bool stopping_ = false;
  bool textfile_failing_ = false;  // the last textfile write failed (noted once)
  // Last: destroyed first, so a job still running at shutdown finishes
  // before the buffers and objects it uses go away.
  // facts_worker_ reads victim facts (libproc2, /proc/PID/cgroup) with a
  // deadline; action_worker_ runs process_mrelease; textfile_worker_ writes
  // the --metrics-textfile (a write may block under memory pressure).
  Worker scan_worker_, action_worker_, facts_worker_, textfile_worker_;
};

}  // namespace oomlab::watchdog
