// The one model of "no progress", used by the runner for a run's outcome,
// by the peers bench for its metrics, and (through the same wait kinds and
// thresholds) by the watchdog online and the analyzer's log verdicts.
//
// A moment counts as stalled when, for the group being watched:
//   - memory PSI "some" over the trailing window is at least psi_share
//     (tasks lose that share of their time waiting for memory), or
//   - tasks have been blocked (D) in the same kind of memory wait - mmap
//     lock, reclaim, allocation, or (under memory pressure) a page-in - in
//     every observation for at least blocked_min_ms: the cmdline readers
//     behind a held mmap lock, which show no memory PSI at all, or
//   - an OOM victim (the kernel's or the watchdog's) is still alive
//     victim_min_ms after its kill, or
//   - without PSI: tasks in D while the group is pressed against its limit.
// Consecutive stalled moments, with gaps of at most gap_ms, form one episode.
//
// The PSI share lags by construction: a share over the window ending at t
// says the group lost that much of (t - psi_window_ms, t], not that it is
// stalled at t. So once an episode's task evidence (blocked tasks, a victim,
// the no-PSI fallback) is gone, a sample stalled by the PSI share alone keeps
// the episode open but does not move its end until its window lies wholly
// after the last task evidence: pressure measured over time already counted
// as blocked is that stall again, not more of it. The demo (mmap-lock-hold)
// showed why: the readers ran again 0.1 s after the watchdog's kill, while
// the 1 s share stayed over 25% for 0.6 s more, and the runner's outcome
// said 10.3 s where the log (no PSI) said 9.5 s. Pressure that goes on for a
// whole window after the tasks cleared extends the episode as before -
// unless a kill ended the tasks' stall: when the episode's task evidence
// was last seen at most kKillSlackMs after a kill (the kill's window of
// kill_that_ended, seen from the other side) and is gone at a sample after
// it, the kill ended that episode, and pressure alone neither keeps it open
// nor extends it; pressure after it is a stall of its own once its window
// lies wholly after the tasks (tasks blocking again still continue it).
// Two demo runs side by side showed why (2026-12-07): the group's page-cache
// churn keeps its 1 s share at 15-30% all run long (before, during and after
// the lock stall), so the share crossed 25% 0.4 s after the readers ran
// again and stayed over it for 2 s: the outcome said 11.6 s, ended by a kill
// 2.4 s before its end, where the watchdog's reports said 9.2 s.
//
// An episode starts where its earliest evidence began: tasks found held for
// blocked_min_ms date it back to their first sight also when the share had
// opened the episode meanwhile (the share crossed 25% 0.8 s after the
// readers blocked, 0.2 s before they had been held for a second: the
// episode began at the share, 0.7-0.8 s late).
// Pure: the callers turn their samples into ProgressSample.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "oomlab/facts/psi.hpp"
#include "oomlab/facts/vocabulary.hpp"
#include "oomlab/facts/wait_kind.hpp"

namespace oomlab::facts {

enum class StallCause : std::uint8_t { none, memory_pressure, blocked_wait, victim_not_exiting, limit_pressed };
// "memory PSI", "tasks blocked on mmap_lock" is built by describe_cause().
const char* stall_cause_name(StallCause c);

// How close a kill and the last stalled sight of an episode must be for the
// kill to have ended it (kill_that_ended's default slack, the model's
// kill-closes rule): a sampling period or two.
inline constexpr std::int64_t kKillSlackMs = 500;

struct StallRules {
  double psi_share = 0.25;            // of the trailing window (the runner's --stall-psi)
  std::int64_t blocked_min_ms = 1000; // continuous blocking in one wait kind
  std::int64_t victim_min_ms = 1000;  // a victim alive this long after its kill
  std::int64_t gap_ms = 500;          // relief shorter than this does not end an episode
  std::int64_t psi_window_ms = kStallPsiWindow.window_ms;  // what psi_share is measured over
};

struct ProgressSample {
  std::int64_t t_ms = 0;
  double psi_share = -1;               // memory PSI some over the trailing window; -1 unknown
  int blocked[6] = {};                 // tasks in D per WaitKind (index: the enum value)
  bool victim_alive = false;           // a killed task has not exited yet
  std::int64_t victim_killed_ms = -1;  // when the oldest such victim was killed
  std::int64_t last_kill_ms = -1;      // the latest kill (the kernel's or a watchdog's) at or before t_ms; -1 none
  bool limit_pressed = false;          // D tasks in a group at its limit (the no-PSI fallback)
  void add_blocked(WaitKind k, int n = 1) { blocked[static_cast<int>(k)] += n; }
};

struct StallEpisode {
  std::int64_t start_ms = 0;  // the interval before the first stalled sample began it
  std::int64_t end_ms = 0;    // the last stalled sample
  bool ongoing = false;       // still stalled at the last sample
  StallCause cause = StallCause::none;  // the cause seen in most of its samples
  WaitKind wait = WaitKind::None;       // blocked_wait: the kind that was held longest
  int max_blocked = 0;                  // most tasks in D in memory waits at once
  double max_psi_share = 0;
  std::int64_t length_ms() const { return end_ms - start_ms; }
};

// Online: one sample at a time (the watchdog, a live bench probe).
class ProgressModel {
 public:
  explicit ProgressModel(StallRules rules = {}) : rules_(rules) {}
  // Folds s in (t_ms increasing); returns why s is stalled (none: progress).
  StallCause fold(const ProgressSample& s);
  // The episodes so far; the last is marked ongoing when the last sample
  // was stalled (or within gap_ms of one).
  std::vector<StallEpisode> episodes() const;
  // What kind has been held continuously since when (-1: not held).
  std::int64_t held_since(WaitKind k) const { return held_since_[static_cast<int>(k)]; }
  // The last episode as episodes() gives it, without copying them all, and
  // dropping the ones before it (their capacity kept): for a caller that
  // folds a sample every period for as long as it runs and needs only the
  // current episode (the watchdog's pressure clock). nullopt: none yet.
  std::optional<StallEpisode> current() const;
  void forget_older();

 private:
  StallRules rules_;
  std::int64_t held_since_[6] = {-1, -1, -1, -1, -1, -1};
  std::int64_t held_seen_[6] = {-1, -1, -1, -1, -1, -1};
  std::int64_t previous_t_ = -1, last_t_ = -1;
  bool previous_stalled_ = false;
  std::int64_t task_seen_ = -1;  // the current episode's last sample with task evidence (-1: none)
  bool kill_closed_ = false;     // a kill ended the current episode's task evidence: pressure alone no longer continues it
  struct Votes {
    int cause[5] = {};
    int wait[6] = {};
  };
  std::vector<StallEpisode> episodes_;
  std::vector<Votes> votes_;  // per episode: stalled samples per cause and per held wait kind
  void merge_reached_back();
};

// The PSI part of the model, for a caller that watches the share alone (the
// watchdog's --pressure-above clock) and must agree with the runner on when
// a stall began. A moment is stalled by PSI when the share over the trailing
// window is known and at least `psi_share` (StallRules::psi_share, a fraction).
inline bool psi_share_stalled(double share, double psi_share) { return share >= 0 && share >= psi_share; }
// The episode a stalled observation at t opens began in the interval before
// it: at the previous observation (the first one ever: at t itself).
inline std::int64_t episode_onset_ms(std::int64_t previous_t, std::int64_t t) { return previous_t >= 0 ? previous_t : t; }

std::vector<StallEpisode> find_stall_episodes(const std::vector<ProgressSample>& samples, const StallRules& rules = {});

// "tasks blocked on mmap_lock", "memory PSI some >= 25%", "an OOM victim that does not exit".
std::string describe_cause(const StallEpisode& e, const StallRules& rules = {});

// The kill that ended an episode: the last kill between its start and
// slack_ms after its last stalled sample - a sampling period or two: a kill
// later than that came after the stall was over (nullopt: it ended by
// itself, or is ongoing).
std::optional<KillEvent> kill_that_ended(const StallEpisode& e, const std::vector<KillEvent>& kills,
                                         std::int64_t slack_ms = kKillSlackMs);

}  // namespace oomlab::facts
