// The policy in time: warn, kill, escalate, kill the group (DESIGN.md
// "Watchdog"). Runs on the event loop after each scan. An incident opens for
// a cgroup when a task in it has been stalled for --kill-after, when an OOM
// victim in it outlives --kill-after, or when a watched cgroup's memory
// pressure stays above --pressure-above for --kill-after. What step is due
// and whom it kills is KillPolicy's decision (kill_policy.hpp); the actions
// themselves (and the facts they need) are in victim_kill.cpp.
#include <cstdio>

#include "oomlab/facts/vocabulary.hpp"
#include "oomlab/common/clock.hpp"
#include "oomlab/watchdog/engine.hpp"

namespace oomlab::watchdog {
namespace {

std::string pct(double v) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%.2f", v);
  return buf;
}

}  // namespace

void Engine::fold_pressure(std::int64_t now) {
  // Page-in waits count for the clock only while memory is short (the rule
  // of stall_may_kill, and the runner's model's): on a slow disk they are
  // everyday I/O.
  const bool short_of_memory = memory_short(now);
  for (WatchedGroup& w : watched_) {
    if (!w.reading) continue;
    // The group's tasks the scan saw blocked (in D, by their wait channel)
    // in a memory wait, per kind, as the runner's samples count them. Exits
    // are the victim rule's (a killed task finishing its exit is not more
    // thrash).
    GroupWaits waits{};
    for (const auto& [tid, s] : model_.stalls()) {
      if (s.seen_ms != now || s.evidence != StallEvidence::Wait || s.dying || s.exiting || s.kind == StallKind::None ||
          s.kind == StallKind::Exit || (s.kind == StallKind::Io && !short_of_memory) || w.cgroup.empty() ||
          !in_cgroup(s.cgroup, w.cgroup))
        continue;
      ++waits[static_cast<std::size_t>(s.kind)];
    }
    w.rising = w.read_ms >= 0 && w.reading->some_total_us > w.prev_some_us;
    w.prev_some_us = w.reading->some_total_us;
    w.read_ms = now;
    bool was_above = w.tracker.above();
    w.tracker.update(*w.reading, now, opt_.pressure_above, waits);
    w.reading.reset();
    if (!w.tracker.above()) {
      if (was_above && w.noted) reporter_.note(kNotice, "memory pressure in cgroup " + w.cgroup + " back below " +
                                                            format_pressure_threshold(opt_.pressure_above));
      w.noted = false;
      w.paging_in.clear();
    }
  }
}

void Engine::collect_pressure(std::int64_t now, std::map<std::string, const TaskStall*>& over,
                              std::set<std::string>& held) {
  if (!opt_.pressure_above.enabled()) return;
  for (WatchedGroup& w : watched_) {
    if (w.cgroup.empty() || !w.tracker.above() || !policy_.in_scope(w.cgroup)) continue;
    // Readers of a thrashing file set flick between page-in waits and
    // running: gather whoever was seen waiting since the pressure rose.
    for (const auto& [tid, s] : model_.stalls())
      if (s.kind == StallKind::Io && in_cgroup(s.cgroup, w.cgroup)) w.paging_in.insert(s.tgid);
    // Once open, an incident follows the pressure episode until it ends
    // (escalation); through a dip it stays open but takes no step.
    if (!policy_.over_threshold(w.tracker.above_for(now)) && !incidents_.count(w.cgroup)) continue;
    if (!w.tracker.pressing()) {
      held.insert(w.cgroup);
      continue;
    }
    if (!w.noted) {
      w.noted = true;
      const facts::PsiReading& r = w.tracker.last();
      reporter_.note(kWarning, "memory pressure in cgroup " + w.cgroup + " above " +
                                   format_pressure_threshold(opt_.pressure_above) + " for " +
                                   std::to_string(w.tracker.above_for(now)) + "ms: some avg10=" + pct(r.some_avg10) +
                                   " full avg10=" + pct(r.full_avg10) + ", last 1s some=" +
                                   pct(w.tracker.recent_some()) + " full=" + pct(w.tracker.recent_full()));
    }
    over.try_emplace(w.cgroup, nullptr);
    auto [it, fresh] = incidents_.try_emplace(w.cgroup);
    if (fresh) {
      it->second.cgroup = w.cgroup;
      it->second.opened_ms = now;
      it->second.first_reason = facts::kill_reason::kPressure;
      it->second.procs_file = w.dir + "/cgroup.procs";
    }
    it->second.paging_in.insert(w.paging_in.begin(), w.paging_in.end());
  }
}

// Memory is short now when a memory PSI trigger (the system's or a watched
// group's) fired within the last two trigger windows, or a watched group is
// above --pressure-above. Without a system PSI trigger it cannot be told,
// and every stall counts as before.
bool Engine::memory_short(std::int64_t now) const {
  if (!psi_system_) return true;
  const std::int64_t recent = 2 * kPsiWindowMs + opt_.period.count();
  if (now - last_psi_event_ms_ <= recent || now - last_watched_psi_event_ms_ <= recent) return true;
  for (const WatchedGroup& w : watched_)
    if (w.tracker.above()) return true;
  return false;
}

void Engine::respond(std::int64_t now) {
  // Stalls past --warn-after: one warn: line per stall.
  std::map<std::string, const TaskStall*> over;  // cgroup -> longest stall past --kill-after
  const bool short_of_memory = memory_short(now);
  for (auto& [tid, s] : model_.stalls()) {
    std::int64_t d = s.delay_ms(now);
    if (!s.warned && d >= opt_.warn_after.count()) {
      s.warned = true;
      reporter_.emit(kWarning, format_warn(s, now), formats::WdWarn{s.tid, s.comm, d, s.cgroup});
    }
    if (policy_.over_threshold(d) && stall_may_kill(s, short_of_memory)) {
      std::string cg = s.cgroup.empty() || s.cgroup == "?" ? "/" : s.cgroup;
      if (!policy_.in_scope(cg)) continue;
      auto& best = over[cg];
      if (!best || d > best->delay_ms(now)) best = &s;
    }
  }
  // OOM victims (the kernel's or ours) that outlive --kill-after; their
  // cgroups were read by the last scan (never on this thread).
  std::map<std::string, pid_t> stuck_victims;
  for (const auto& [pid, marked] : model_.victims()) {
    if (!policy_.over_threshold(now - marked)) continue;
    auto cgit = victim_cgroups_.find(pid);
    if (cgit == victim_cgroups_.end() || cgit->second.empty() || !policy_.in_scope(cgit->second)) continue;
    over.try_emplace(cgit->second, nullptr);
    stuck_victims[cgit->second] = pid;
  }
  std::set<std::string> held;  // pressure episodes in a dip: their incidents stay open
  collect_pressure(now, over, held);
  for (auto& [cg, longest] : over) {
    auto [it, fresh] = incidents_.try_emplace(cg);
    Incident& inc = it->second;
    if (fresh) {
      inc.cgroup = cg;
      inc.opened_ms = now;
    }
    if (longest) inc.first_reason = facts::kill_reason::kStallTimeout;  // a stalled task outranks the pressure
    if (inc.facts_pending) continue;  // a decision is being prepared
    auto v = stuck_victims.find(cg);
    inc.stuck_victim = v == stuck_victims.end() ? 0 : v->second;
    const Step step = policy_.next_step(inc, now);
    if (step == Step::help_victim) {
      // The kernel already chose: help its victim die (signal + reap)
      // before choosing anyone else.
      inc.killed.insert(inc.stuck_victim);
      inc.last_action_ms = now;
      fetch_candidates(inc, inc.stuck_victim, [this](Incident& i, VictimFacts& f) {
        if (carry_out(i, policy_.decide(Step::help_victim, i, f.candidates, f.total_kb))) i.started = true;
        else act_on(i, monotonic_ms(), Step::first_kill);
      });
      continue;
    }
    act_on(inc, now, step);
  }
  // Incidents whose group has no stall and no pressure left, and no victim
  // of theirs still alive: resolved. A killed process that does not finish
  // exiting (a thread stuck in exit_mm or in a FUSE wait) is the stall the
  // seed thread is about, not its end: the incident stays open, and once the
  // victim outlives --kill-after it escalates like any stall.
  for (auto it = incidents_.begin(); it != incidents_.end();) {
    bool victim_alive = false;
    for (pid_t pid : it->second.killed) victim_alive |= model_.is_victim(pid);
    if (over.count(it->first) || held.count(it->first) || victim_alive) {
      ++it;
      continue;
    }
    bool any = false;
    for (auto& [tid, s] : model_.stalls())
      if (in_cgroup(s.cgroup, it->first) && s.delay_ms(now) >= opt_.warn_after.count()) any = true;
    if (any) {
      ++it;
      continue;
    }
    reporter_.note(kNotice, (it->second.first_reason == facts::kill_reason::kPressure ? "pressure in cgroup " : "stall in cgroup ") +
                                it->first + " resolved after " + std::to_string(now - it->second.opened_ms) +
                                "ms and " + std::to_string(it->second.kills) + " kill(s)");
    it = incidents_.erase(it);
  }
  check_holders(now);
  check_respawners(now);
  track_kills(now);
}

void Engine::act_on(Incident& inc, std::int64_t now, Step step) {
  if (step == Step::wait) return;
  inc.last_action_ms = now;
  if (step == Step::first_kill) {
    fetch_candidates(inc, 0, [this](Incident& i, VictimFacts& f) {
      i.started = true;
      i.last_action_ms = monotonic_ms();
      if (!carry_out(i, policy_.decide(Step::first_kill, i, f.candidates, f.total_kb)) && !i.nothing_to_kill) {
        i.nothing_to_kill = true;
        reporter_.note(kWarning, "incident in cgroup " + i.cgroup +
                                     (f.candidates.empty() ? ": no process in it or below it"
                                                           : ": no process may be killed (all protected)"));
      }
    });
    return;
  }
  // The previous action did not end the stall by --escalate-after.
  for (auto& k : kills_)
    if (!k.closed && k.cgroup == inc.cgroup) close_kill(k, now);
  switch (step) {
    case Step::escalate:
      reporter_.emit(kErr, format_escalate(inc.cgroup, facts::kill_reason::kEscalation), formats::WdEscalate{inc.cgroup, facts::kill_reason::kEscalation});
      fetch_candidates(inc, 0, [this](Incident& i, VictimFacts& f) {
        i.last_action_ms = monotonic_ms();
        const Decision d = policy_.decide(Step::escalate, i, f.candidates, f.total_kb);
        if (carry_out(i, d) || d.action == Decision::Action::nothing) return;
        // Nobody left to kill one by one: straight to the group.
        reporter_.emit(kErr, format_escalate(i.cgroup, facts::kill_reason::kCgroupKill), formats::WdEscalate{i.cgroup, facts::kill_reason::kCgroupKill});
        kill_cgroup(i);
      });
      return;
    case Step::cgroup_kill:
      reporter_.emit(kErr, format_escalate(inc.cgroup, facts::kill_reason::kCgroupKill), formats::WdEscalate{inc.cgroup, facts::kill_reason::kCgroupKill});
      kill_cgroup(inc);
      return;
    case Step::give_up:
      inc.gave_up = true;
      reporter_.note(kErr, "incident in cgroup " + inc.cgroup + " survives every action; reporting only");
      return;
    default:
      return;
  }
}

}  // namespace oomlab::watchdog
