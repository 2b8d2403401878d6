#include "oomlab/facts/stall.hpp"

#include <algorithm>
#include <cstdio>

namespace oomlab::facts {
namespace {

constexpr WaitKind kHeldKinds[] = {WaitKind::Reclaim, WaitKind::Alloc, WaitKind::MmapLock, WaitKind::Io, WaitKind::Exit};

int idx(WaitKind k) { return static_cast<int>(k); }

}  // namespace

const char* stall_cause_name(StallCause c) {
  switch (c) {
    case StallCause::memory_pressure: return "memory_pressure";
    case StallCause::blocked_wait: return "blocked_wait";
    case StallCause::victim_not_exiting: return "victim_not_exiting";
    case StallCause::limit_pressed: return "limit_pressed";
    case StallCause::none: break;
  }
  return "none";
}

StallCause ProgressModel::fold(const ProgressSample& s) {
  const std::int64_t t = s.t_ms;
  // Page-in waits are everyday I/O unless memory is short: they count only
  // under memory pressure (some PSI, or a group pressed against its limit).
  const bool short_of_memory = s.psi_share > 0 || (s.psi_share < 0 && s.limit_pressed);
  for (WaitKind k : kHeldKinds) {
    const int i = idx(k);
    const bool present = s.blocked[i] > 0 && (k != WaitKind::Io || short_of_memory);
    if (present) {
      // Held on only when seen in the previous observation too (however
      // late it came: the observer itself can be starved). Waits that come
      // and go are progress.
      const bool continues = held_seen_[i] >= 0 && held_seen_[i] == previous_t_;
      if (!continues) held_since_[i] = t;
      held_seen_[i] = t;
    } else {
      held_since_[i] = held_seen_[i] = -1;
    }
  }
  WaitKind held = WaitKind::None;
  for (WaitKind k : kHeldKinds) {
    const int i = idx(k);
    if (held_since_[i] < 0 || held_seen_[i] != t || t - held_since_[i] < rules_.blocked_min_ms) continue;
    if (held == WaitKind::None || held_since_[i] < held_since_[idx(held)]) held = k;
  }
  StallCause cause = StallCause::none;
  if (s.victim_alive && s.victim_killed_ms >= 0 && t - s.victim_killed_ms >= rules_.victim_min_ms)
    cause = StallCause::victim_not_exiting;
  else if (held != WaitKind::None)
    cause = StallCause::blocked_wait;
  else if (psi_share_stalled(s.psi_share, rules_.psi_share))
    cause = StallCause::memory_pressure;
  else if (s.psi_share < 0 && s.limit_pressed)
    cause = StallCause::limit_pressed;

  const bool task_evidence = cause != StallCause::none && cause != StallCause::memory_pressure;
  // The episode's tasks are gone at t, last seen at most kKillSlackMs after
  // a kill of its time: the kill ended it (see the header).
  if (!task_evidence && !episodes_.empty() && task_seen_ >= 0 && task_seen_ < t && s.last_kill_ms >= 0 &&
      s.last_kill_ms >= episodes_.back().start_ms && s.last_kill_ms <= t && s.last_kill_ms + kKillSlackMs >= task_seen_)
    kill_closed_ = true;
  if (cause != StallCause::none) {
    // The episode started somewhere in the interval before this sample,
    // or, for tasks blocked in a wait, when they were first seen blocked.
    std::int64_t start = episode_onset_ms(previous_t_, t);
    if (held != WaitKind::None) start = std::min(start, held_since_[idx(held)]);
    // One episode across short relief: a sample or two without blocked
    // tasks between two holds of the same lock is the same stall.
    bool continues = !episodes_.empty() && (previous_stalled_ || t - episodes_.back().end_ms <= rules_.gap_ms ||
                                            start - episodes_.back().end_ms <= rules_.gap_ms);
    const bool pressure_only = cause == StallCause::memory_pressure;
    const bool over_tasks = task_seen_ >= 0 && t - rules_.psi_window_ms < task_seen_;  // the window reaches into the tasks
    if (pressure_only && kill_closed_ && task_seen_ >= 0) {
      // A kill ended the episode: the share over the tasks' own time is that
      // stall measured late (nothing, not even an open episode); pressure
      // after it is a stall of its own.
      if (over_tasks) {
        previous_stalled_ = false;
        previous_t_ = last_t_ = t;
        return cause;
      }
      continues = false;
    }
    // The PSI share alone, over a window that reaches back into the task
    // evidence: the same stall measured late (see the header). It keeps the
    // episode open and adds nothing to it.
    if (continues && pressure_only && over_tasks) {
      previous_stalled_ = true;
      previous_t_ = last_t_ = t;
      return cause;
    }
    if (continues) {
      episodes_.back().end_ms = t;
      if (task_evidence) kill_closed_ = false;  // blocked again: the kill did not end it after all
      // Evidence found now that began earlier (tasks held since before the
      // share opened the episode) moves its start back.
      if (start < episodes_.back().start_ms) {
        episodes_.back().start_ms = start;
        merge_reached_back();
      }
    } else {
      StallEpisode e;
      e.start_ms = start;
      e.end_ms = t;
      episodes_.push_back(e);
      votes_.emplace_back();
      task_seen_ = -1;
      kill_closed_ = false;
    }
    if (task_evidence) task_seen_ = t;
    StallEpisode& e = episodes_.back();
    Votes& v = votes_.back();
    ++v.cause[static_cast<int>(cause)];
    if (held != WaitKind::None) ++v.wait[idx(held)];
    int blocked = 0;
    for (WaitKind k : kHeldKinds) blocked += s.blocked[idx(k)];
    e.max_blocked = std::max(e.max_blocked, blocked);
    if (s.psi_share > e.max_psi_share) e.max_psi_share = s.psi_share;
    int best = 1;
    for (int c = 1; c < 5; ++c)
      if (v.cause[c] > v.cause[best]) best = c;
    e.cause = static_cast<StallCause>(best);
    int kind = 0;
    for (WaitKind k : kHeldKinds)
      if (v.wait[idx(k)] > v.wait[kind]) kind = idx(k);
    e.wait = static_cast<WaitKind>(kind);
  }
  previous_stalled_ = cause != StallCause::none;
  previous_t_ = last_t_ = t;
  return cause;
}

// The last episode's start moved back to within gap_ms of the one before:
// the evidence was there all along, one episode.
void ProgressModel::merge_reached_back() {
  while (episodes_.size() >= 2 && episodes_.back().start_ms - episodes_[episodes_.size() - 2].end_ms <= rules_.gap_ms) {
    StallEpisode& a = episodes_[episodes_.size() - 2];
    const StallEpisode& b = episodes_.back();
    a.start_ms = std::min(a.start_ms, b.start_ms);
    a.end_ms = std::max(a.end_ms, b.end_ms);
    a.max_blocked = std::max(a.max_blocked, b.max_blocked);
    a.max_psi_share = std::max(a.max_psi_share, b.max_psi_share);
    Votes& va = votes_[votes_.size() - 2];
    const Votes& vb = votes_.back();
    for (int i = 0; i < 5; ++i) va.cause[i] += vb.cause[i];
    for (int i = 0; i < 6; ++i) va.wait[i] += vb.wait[i];
    episodes_.pop_back();
    votes_.pop_back();
  }
}

std::vector<StallEpisode> ProgressModel::episodes() const {
  std::vector<StallEpisode> out = episodes_;
  if (!out.empty() && last_t_ - out.back().end_ms <= rules_.gap_ms) out.back().ongoing = true;
  return out;
}

std::optional<StallEpisode> ProgressModel::current() const {
  if (episodes_.empty()) return std::nullopt;
  StallEpisode e = episodes_.back();
  e.ongoing = last_t_ - e.end_ms <= rules_.gap_ms;
  return e;
}

void ProgressModel::forget_older() {
  if (episodes_.size() < 2) return;
  episodes_.erase(episodes_.begin(), episodes_.end() - 1);
  votes_.erase(votes_.begin(), votes_.end() - 1);
}

std::vector<StallEpisode> find_stall_episodes(const std::vector<ProgressSample>& samples, const StallRules& rules) {
  ProgressModel m(rules);
  for (const ProgressSample& s : samples) m.fold(s);
  return m.episodes();
}

std::string describe_cause(const StallEpisode& e, const StallRules& rules) {
  char buf[160];
  switch (e.cause) {
    case StallCause::blocked_wait:
      std::snprintf(buf, sizeof buf, "up to %d task(s) blocked on %s", e.max_blocked, wait_kind_name(e.wait));
      break;
    case StallCause::memory_pressure:
      std::snprintf(buf, sizeof buf, "memory PSI some >= %.0f%% (peak %.0f%%)", rules.psi_share * 100, e.max_psi_share * 100);
      break;
    case StallCause::victim_not_exiting: std::snprintf(buf, sizeof buf, "an OOM victim that does not exit"); break;
    case StallCause::limit_pressed: std::snprintf(buf, sizeof buf, "tasks in D at the memory limit (no PSI)"); break;
    case StallCause::none: std::snprintf(buf, sizeof buf, "no stall"); break;
  }
  return buf;
}

std::optional<KillEvent> kill_that_ended(const StallEpisode& e, const std::vector<KillEvent>& kills, std::int64_t slack_ms) {
  if (e.ongoing) return std::nullopt;
  std::optional<KillEvent> last;
  for (const KillEvent& k : kills)
    if (k.t_ms >= e.start_ms && k.t_ms <= e.end_ms + slack_ms && (!last || k.t_ms >= last->t_ms)) last = k;
  return last;
}

}  // namespace oomlab::facts
