// The policy in time: warn, kill, escalate, kill the group (DESIGN.md
// "Watchdog"). Runs on the event loop after each scan. An incident opens for
// a cgroup when a task in it has been stalled for --kill-after, when an OOM
// victim in it outlives --kill-after, or when a watched cgroup's memory
// pressure stays above --pressure-above for --kill-after. The actions
// themselves (and the facts they need) are in victim_kill.cpp.
#include <cstdio>

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
  for (WatchedGroup& w : watched_) {
    if (!w.reading) continue;
    bool was_above = w.tracker.above();
    w.tracker.update(*w.reading, now, opt_.pressure_above);
    w.reading.reset();
    if (!w.tracker.above()) {
      if (was_above && w.noted) reporter_.note(kNotice, "memory pressure in cgroup " + w.cgroup + " back below " +
                                                            format_pressure_threshold(opt_.pressure_above));
      w.noted = false;
    }
  }
}

void Engine::collect_pressure(std::int64_t now, std::map<std::string, const TaskStall*>& over,
                              std::set<std::string>& pressured) {
  if (!opt_.pressure_above.enabled()) return;
  for (WatchedGroup& w : watched_) {
    if (w.cgroup.empty() || !w.tracker.above() || !in_cgroup(w.cgroup, opt_.scope)) continue;
    // Once open, an incident follows the pressure until it drops (escalation).
    if (w.tracker.above_for(now) < opt_.kill_after.count() && !incidents_.count(w.cgroup)) continue;
    if (!w.noted) {
      w.noted = true;
      const facts::PsiReading& r = w.tracker.last();
      reporter_.note(kWarning, "memory pressure in cgroup " + w.cgroup + " above " +
                                   format_pressure_threshold(opt_.pressure_above) + " for " +
                                   std::to_string(w.tracker.above_for(now)) + "ms: some avg10=" + pct(r.some_avg10) +
                                   " full avg10=" + pct(r.full_avg10) + ", last 2s some=" +
                                   pct(w.tracker.recent_some()) + " full=" + pct(w.tracker.recent_full()));
    }
    over.try_emplace(w.cgroup, nullptr);
    pressured.insert(w.cgroup);
    auto [it, fresh] = incidents_.try_emplace(w.cgroup);
    if (fresh) {
      it->second.cgroup = w.cgroup;
      it->second.opened_ms = now;
      it->second.first_reason = "pressure";
      it->second.procs_file = w.dir + "/cgroup.procs";
    }
  }
}

void Engine::respond(std::int64_t now) {
  const std::int64_t kill_after = opt_.kill_after.count();
  // Stalls past --warn-after: one warn: line per stall.
  std::map<std::string, const TaskStall*> over;  // cgroup -> longest stall past --kill-after
  for (auto& [tid, s] : model_.stalls()) {
    std::int64_t d = s.delay_ms(now);
    if (!s.warned && d >= opt_.warn_after.count()) {
      s.warned = true;
      reporter_.emit(kWarning, format_warn(s, now), facts::WdWarn{s.tid, s.comm, d, s.cgroup});
    }
    if (d >= kill_after) {
      std::string cg = s.cgroup.empty() || s.cgroup == "?" ? "/" : s.cgroup;
      if (!in_cgroup(cg, opt_.scope)) continue;
      auto& best = over[cg];
      if (!best || d > best->delay_ms(now)) best = &s;
    }
  }
  // OOM victims (the kernel's or ours) that outlive --kill-after; their
  // cgroups were read by the last scan (never on this thread).
  std::map<std::string, pid_t> stuck_victims;
  for (const auto& [pid, marked] : model_.victims()) {
    if (now - marked < kill_after) continue;
    auto cgit = victim_cgroups_.find(pid);
    if (cgit == victim_cgroups_.end() || cgit->second.empty() || !in_cgroup(cgit->second, opt_.scope)) continue;
    over.try_emplace(cgit->second, nullptr);
    stuck_victims[cgit->second] = pid;
  }
  std::set<std::string> pressured;
  collect_pressure(now, over, pressured);
  for (auto& [cg, longest] : over) {
    auto [it, fresh] = incidents_.try_emplace(cg);
    Incident& inc = it->second;
    if (fresh) {
      inc.cgroup = cg;
      inc.opened_ms = now;
    }
    if (longest) inc.first_reason = "stall_timeout";  // a stalled task outranks the pressure
    if (inc.facts_pending) continue;  // a decision is being prepared
    if (!inc.started) {
      if (auto v = stuck_victims.find(cg); v != stuck_victims.end() && !inc.killed.count(v->second)) {
        // The kernel already chose: help its victim die (signal + reap)
        // before choosing anyone else.
        inc.killed.insert(v->second);
        inc.last_action_ms = now;
        fetch_candidates(inc, v->second, [this](Incident& i, VictimFacts& f) {
          if (kill_chosen(i, "victim_timeout", f, true)) i.started = true;
          else act_on(i, monotonic_ms(), true);
        });
        continue;
      }
      act_on(inc, now, true);
    } else if (now - inc.last_action_ms >= opt_.escalate_after.count()) {
      act_on(inc, now, false);
    }
  }
  // Incidents whose group has no stall and no pressure left: resolved.
  for (auto it = incidents_.begin(); it != incidents_.end();) {
    if (over.count(it->first)) {
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
    reporter_.note(kNotice, (it->second.first_reason == "pressure" ? "pressure in cgroup " : "stall in cgroup ") +
                                it->first + " resolved after " + std::to_string(now - it->second.opened_ms) +
                                "ms and " + std::to_string(it->second.kills) + " kill(s)");
    it = incidents_.erase(it);
  }
  check_holders(now);
  track_kills(now);
}

void Engine::act_on(Incident& inc, std::int64_t now, bool first) {
  if (inc.gave_up) return;
  inc.last_action_ms = now;
  if (first) {
    fetch_candidates(inc, 0, [this](Incident& i, VictimFacts& f) {
      i.started = true;
      i.last_action_ms = monotonic_ms();
      if (!kill_chosen(i, i.first_reason, f, false) && !i.nothing_to_kill) {
        i.nothing_to_kill = true;
        reporter_.note(kWarning, "incident in cgroup " + i.cgroup + ": no process may be killed (all protected)");
      }
    });
    return;
  }
  // The previous action did not end the stall by --escalate-after.
  for (auto& k : kills_)
    if (!k.closed && k.cgroup == inc.cgroup) close_kill(k, now);
  if (inc.kills < opt_.max_victims) {
    reporter_.emit(kErr, format_escalate(inc.cgroup, "escalation"), facts::WdEscalate{inc.cgroup, "escalation"});
    fetch_candidates(inc, 0, [this](Incident& i, VictimFacts& f) {
      i.last_action_ms = monotonic_ms();
      if (kill_chosen(i, "escalation", f, false)) return;
      // Nobody left to kill one by one: straight to the group.
      if (!i.cgroup_killed) {
        reporter_.emit(kErr, format_escalate(i.cgroup, "cgroup_kill"), facts::WdEscalate{i.cgroup, "cgroup_kill"});
        kill_cgroup(i);
      }
    });
    return;
  }
  if (!inc.cgroup_killed) {
    reporter_.emit(kErr, format_escalate(inc.cgroup, "cgroup_kill"), facts::WdEscalate{inc.cgroup, "cgroup_kill"});
    kill_cgroup(inc);
    return;
  }
  inc.gave_up = true;
  reporter_.note(kErr, "incident in cgroup " + inc.cgroup + " survives every action; reporting only");
}

}  // namespace oomlab::watchdog
