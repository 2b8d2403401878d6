// The policy in time: warn, kill, escalate, kill the group (DESIGN.md
// "Watchdog"). Runs on the event loop after each scan.
#include <algorithm>
#include <cstring>
#include <nlohmann/json.hpp>
#include <unistd.h>

#include "oomlab/common/clock.hpp"
#include "oomlab/common/procfs.hpp"
#include "oomlab/watchdog/engine.hpp"
#include "oomlab/watchdog/killer.hpp"
#include "oomlab/watchdog/system.hpp"

namespace oomlab::watchdog {
namespace {

bool in_cgroup(const std::string& task_cgroup, const std::string& cgroup) {
  return cgroup == "/" || task_cgroup == cgroup ||
         (task_cgroup.size() > cgroup.size() && task_cgroup.compare(0, cgroup.size(), cgroup) == 0 &&
          task_cgroup[cgroup.size()] == '/');
}

}  // namespace

std::uint64_t Engine::total_kb(const std::string& cgroup) const {
  // For oom_score_adj scaling: the group's limit when it has one, else RAM.
  std::uint64_t ram_kb = static_cast<std::uint64_t>(::sysconf(_SC_PHYS_PAGES)) * (::sysconf(_SC_PAGESIZE) / 1024);
  if (cgroup != "/" && cgroup != "?") {
    auto text = read_proc_file(cgroups_.root() + cgroup + (cgroups_.v2() ? "/memory.max" : "/memory.limit_in_bytes"), 64);
    if (text && !text->empty() && (*text)[0] >= '0' && (*text)[0] <= '9') {
      std::uint64_t limit_kb = std::stoull(*text) / 1024;
      if (limit_kb < ram_kb) return limit_kb;
    }
  }
  return ram_kb;
}

void Engine::respond(std::int64_t now) {
  const std::int64_t kill_after = opt_.kill_after.count();
  // Stalls past --warn-after: one warn: line per stall.
  std::map<std::string, const TaskStall*> over;  // cgroup -> longest stall past --kill-after
  for (auto& [tid, s] : model_.stalls()) {
    std::int64_t d = s.delay_ms(now);
    if (!s.warned && d >= opt_.warn_after.count()) {
      s.warned = true;
      nlohmann::json j{{"tid", s.tid}, {"comm", s.comm}, {"delay_ms", d}, {"cgroup", s.cgroup}};
      reporter_.emit(kWarning, "warn", format_warn(s, now), &j);
    }
    if (d >= kill_after) {
      std::string cg = s.cgroup.empty() || s.cgroup == "?" ? "/" : s.cgroup;
      if (!in_cgroup(cg, opt_.scope)) continue;
      auto& best = over[cg];
      if (!best || d > best->delay_ms(now)) best = &s;
    }
  }
  // OOM victims (the kernel's or ours) that outlive --kill-after.
  std::map<std::string, pid_t> stuck_victims;
  for (const auto& [pid, marked] : model_.victims()) {
    if (now - marked < kill_after) continue;
    std::string cg = cgroups_.cgroup_of(pid);
    if (cg.empty() || !in_cgroup(cg, opt_.scope)) continue;
    over.try_emplace(cg, nullptr);
    stuck_victims[cg] = pid;
  }
  for (auto& [cg, longest] : over) {
    auto [it, fresh] = incidents_.try_emplace(cg);
    Incident& inc = it->second;
    if (fresh) {
      inc.cgroup = cg;
      inc.opened_ms = now;
      if (auto v = stuck_victims.find(cg); v != stuck_victims.end() && !inc.killed.count(v->second)) {
        // The kernel already chose: help its victim die (signal + reap)
        // before choosing anyone else.
        if (kill_one(inc, "victim_timeout", now, v->second)) continue;
      }
      act_on(inc, now, true);
    } else if (now - inc.last_action_ms >= opt_.escalate_after.count()) {
      act_on(inc, now, false);
    }
  }
  // Incidents whose group has no stall left: resolved.
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
    reporter_.note(kNotice, "stall in cgroup " + it->first + " resolved after " + std::to_string(now - it->second.opened_ms) +
                                "ms and " + std::to_string(it->second.kills) + " kill(s)");
    it = incidents_.erase(it);
  }
  track_kills(now);
}

void Engine::act_on(Incident& inc, std::int64_t now, bool first) {
  if (inc.gave_up) return;
  if (first) {
    if (!kill_one(inc, "stall_timeout", now) && !inc.nothing_to_kill) {
      inc.nothing_to_kill = true;
      reporter_.note(kWarning, "stall in cgroup " + inc.cgroup + ": no process may be killed (all protected)");
    }
    inc.last_action_ms = now;
    return;
  }
  // The previous action did not end the stall by --escalate-after.
  for (auto& k : kills_)
    if (!k.closed && k.cgroup == inc.cgroup) close_kill(k, now);
  if (inc.kills < opt_.max_victims) {
    nlohmann::json j{{"cgroup", inc.cgroup}, {"reason", "escalation"}};
    reporter_.emit(kErr, "escalate", format_escalate(inc.cgroup, "escalation"), &j);
    if (kill_one(inc, "escalation", now)) {
      inc.last_action_ms = now;
      return;
    }
    // Nobody left to kill one by one: straight to the group.
  }
  if (!inc.cgroup_killed) {
    nlohmann::json j{{"cgroup", inc.cgroup}, {"reason", "cgroup_kill"}};
    reporter_.emit(kErr, "escalate", format_escalate(inc.cgroup, "cgroup_kill"), &j);
    kill_cgroup(inc, now);
    inc.cgroup_killed = true;
    inc.last_action_ms = now;
    return;
  }
  inc.gave_up = true;
  reporter_.note(kErr, "stall in cgroup " + inc.cgroup + " survives every action; reporting only");
}

bool Engine::kill_one(Incident& inc, const std::string& reason, std::int64_t now, pid_t only_pid) {
  std::vector<pid_t> pids;
  if (only_pid) {
    pids.push_back(only_pid);
  } else if (inc.cgroup == "/") {
    for (const TaskSample& t : front_)
      if (t.tid == t.tgid) pids.push_back(t.tgid);
  } else {
    pids = cgroups_.procs(inc.cgroup);
  }
  auto cands = collect_candidates(pids, opt_.proc_root);
  std::optional<Candidate> victim;
  if (only_pid) {
    if (!cands.empty() && !rules_.never_kill(cands[0])) victim = cands[0];
  } else {
    victim = rules_.choose(cands, total_kb(inc.cgroup), inc.killed);
  }
  if (!victim) return false;
  inc.killed.insert(victim->pid);
  ++inc.kills;
  KillRecord k;
  k.pid = victim->pid;
  k.comm = victim->comm;
  k.cgroup = inc.cgroup;
  k.reason = reason;
  k.rss_kb = victim->rss_kb;
  k.oom_score_adj = victim->oom_score_adj;
  k.dry_run = opt_.dry_run;
  k.kill_ms = now;
  k.usage_before = cgroups_.usage_bytes(inc.cgroup).value_or(0);
  nlohmann::json j{{"pid", k.pid}, {"comm", k.comm}, {"cgroup", k.cgroup}, {"rss_kb", k.rss_kb},
                   {"oom_score_adj", k.oom_score_adj}, {"reason", reason}, {"dry_run", k.dry_run}};
  reporter_.emit(kErr, "kill", format_kill(k.pid, k.comm, k.cgroup, k.rss_kb, k.oom_score_adj, reason, k.dry_run), &j);
  if (!k.dry_run) {
    KillOutcome out = kill_process(k.pid, victim->starttime);
    if (out.reused || out.pidfd < 0) {
      reporter_.note(kWarning, "kill of pid " + std::to_string(k.pid) + " not done: " +
                                   (out.reused ? std::string("pid reused by another process") : std::strerror(out.error)));
      k.closed = true;
    } else {
      k.kill_ms = out.signalled_us / 1000;
      k.pidfd = out.pidfd;
      ++metrics_.kills[reason];
      model_.mark_victim(k.pid, now);
      // Exit time from the pidfd itself (readable when the process is gone).
      int watch = ::dup(k.pidfd);
      if (watch >= 0) {
        k.exit_watch = std::make_shared<asio::posix::stream_descriptor>(io_, watch);
        pid_t pid = k.pid;
        std::int64_t kill_ms = k.kill_ms;
        k.exit_watch->async_wait(asio::posix::stream_descriptor::wait_read,
                                 [this, pid, kill_ms](const boost::system::error_code& ec) {
                                   if (ec) return;
                                   for (auto& r : kills_)
                                     if (r.pid == pid && r.kill_ms == kill_ms && r.exit_ms < 0) r.exit_ms = monotonic_ms();
                                 });
      }
      // Reap its memory now even if it cannot run (stuck on a lock).
      int reap_fd = ::dup(k.pidfd);
      if (reap_fd >= 0 && !action_worker_.submit([this, reap_fd, pid = k.pid, kill_ms = k.kill_ms] {
            int err = release_memory(reap_fd);
            ::close(reap_fd);
            asio::post(io_, [this, err, pid, kill_ms] {
              for (auto& r : kills_)
                if (r.pid == pid && r.kill_ms == kill_ms) r.reap_error = err;
            });
          }))
        ::close(reap_fd);
    }
  }
  kills_.push_back(std::move(k));
  while (kills_.size() > 64 && kills_.front().closed) kills_.pop_front();
  return true;
}

void Engine::kill_cgroup(Incident& inc, std::int64_t now) {
  if (inc.cgroup == "/") {
    if (opt_.sysrq && !opt_.dry_run) {
      bool ok = sysrq('w') && sysrq('f');
      reporter_.note(kErr, ok ? "system-wide stall: sysrq-w dump and sysrq-f (kernel OOM kill) requested"
                              : "system-wide stall: /proc/sysrq-trigger unavailable");
    } else {
      reporter_.note(kErr, "system-wide stall: the root cgroup is never killed" +
                               std::string(opt_.sysrq ? " (dry-run)" : "; --sysrq would ask the kernel for an OOM kill"));
    }
    return;
  }
  if (opt_.dry_run) {
    reporter_.note(kErr, "dry-run: would kill every unprotected process in cgroup " + inc.cgroup);
    return;
  }
  if (cgroups_.kill_v2(inc.cgroup)) {
    ++metrics_.kills["cgroup_kill"];
    reporter_.note(kErr, "cgroup.kill written for " + inc.cgroup);
    return;
  }
  // v1: one pidfd kill per unprotected process (protected ones stay).
  auto cands = collect_candidates(cgroups_.procs(inc.cgroup), opt_.proc_root);
  int n = 0;
  for (const auto& c : cands) {
    if (rules_.never_kill(c)) continue;
    KillOutcome out = kill_process(c.pid, c.starttime);
    if (out.pidfd >= 0) {
      ++n;
      ::close(out.pidfd);
      model_.mark_victim(c.pid, now, false);
      inc.killed.insert(c.pid);
    }
  }
  metrics_.kills["cgroup_kill"] += n;
  reporter_.note(kErr, "killed " + std::to_string(n) + " process(es) of cgroup " + inc.cgroup);
}

void Engine::track_kills(std::int64_t now) {
  for (auto& k : kills_) {
    if (k.closed || k.dry_run) continue;
    if (k.exit_ms < 0 && pidfd_exited(k.pidfd)) k.exit_ms = now;
    if (k.freed_ms < 0) {
      auto usage = cgroups_.usage_bytes(k.cgroup);
      if (usage && *usage <= k.usage_before) {
        std::uint64_t drop_kb = (k.usage_before - *usage) / 1024;
        if (drop_kb * 2 >= k.rss_kb) {
          k.freed_ms = now;
          k.freed_kb = static_cast<std::int64_t>(drop_kb);
        }
      }
    }
    if (k.exit_ms >= 0 && k.freed_ms >= 0) close_kill(k, now);
  }
}

void Engine::close_kill(KillRecord& k, std::int64_t now) {
  if (k.closed) return;
  k.closed = true;
  if (k.dry_run) return;
  if (k.freed_kb < 0) {
    auto usage = cgroups_.usage_bytes(k.cgroup);
    if (usage) k.freed_kb = usage < k.usage_before ? static_cast<std::int64_t>((k.usage_before - *usage) / 1024) : 0;
  }
  std::int64_t to_exit = k.exit_ms >= 0 ? std::max<std::int64_t>(0, k.exit_ms - k.kill_ms) : -1;
  std::int64_t to_freed = k.freed_ms >= 0 ? std::max<std::int64_t>(0, k.freed_ms - k.kill_ms) : -1;
  if (to_freed >= 0) metrics_.observe_freed(to_freed / 1e3);
  nlohmann::json j{{"pid", k.pid}, {"comm", k.comm}, {"kill_to_exit_ms", to_exit}, {"kill_to_freed_ms", to_freed},
                   {"freed_kb", k.freed_kb}, {"reap_error", k.reap_error}, {"closed_after_ms", now - k.kill_ms}};
  reporter_.emit(kNotice, "killed", format_killed(k.pid, k.comm, to_exit, to_freed, k.freed_kb), &j);
  if (k.exit_watch) k.exit_watch->cancel();
  if (k.pidfd >= 0) ::close(k.pidfd);
  k.pidfd = -1;
}

}  // namespace oomlab::watchdog
