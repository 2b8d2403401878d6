#include "oomlab/watchdog/kill_policy.hpp"

#include "oomlab/watchdog/cgroup_view.hpp"

namespace oomlab::watchdog {

const char* step_name(Step s) {
  switch (s) {
    case Step::wait: return "wait";
    case Step::help_victim: return "help_victim";
    case Step::first_kill: return "first_kill";
    case Step::escalate: return "escalate";
    case Step::cgroup_kill: return "cgroup_kill";
    case Step::give_up: return "give_up";
  }
  return "?";
}

const char* action_name(Decision::Action a) {
  switch (a) {
    case Decision::Action::nothing: return "nothing";
    case Decision::Action::kill: return "kill";
    case Decision::Action::kill_group: return "kill_group";
    case Decision::Action::ask_kernel: return "ask_kernel";
    case Decision::Action::refuse_root: return "refuse_root";
  }
  return "?";
}

KillPolicy::KillPolicy(const Options& o, pid_t self)
    : rules_(o, self),
      scope_(o.scope),
      kill_after_ms_(o.kill_after.count()),
      escalate_after_ms_(o.escalate_after.count()),
      max_victims_(o.max_victims),
      dry_run_(o.dry_run),
      sysrq_(o.sysrq) {}

bool KillPolicy::in_scope(const std::string& cgroup) const { return in_cgroup(cgroup, scope_); }

Step KillPolicy::next_step(const IncidentFacts& inc, std::int64_t now) const {
  if (inc.gave_up) return Step::wait;
  if (!inc.started) {
    // The kernel already chose: help its victim die before choosing anyone.
    if (inc.stuck_victim > 0 && !inc.killed.count(inc.stuck_victim)) return Step::help_victim;
    return Step::first_kill;
  }
  if (now - inc.last_action_ms < escalate_after_ms_) return Step::wait;
  if (inc.kills < max_victims_) return Step::escalate;
  if (!inc.cgroup_killed) return Step::cgroup_kill;
  return Step::give_up;
}

Decision KillPolicy::group_kill(const IncidentFacts& inc, const std::vector<Candidate>& cands) const {
  Decision d;
  d.reason = "cgroup_kill";
  d.dry_run = dry_run_;
  if (inc.cgroup == "/") {
    // The root is never killed as a group: at most the kernel is asked for
    // one OOM kill.
    d.action = sysrq_ && !dry_run_ ? Decision::Action::ask_kernel : Decision::Action::refuse_root;
    return d;
  }
  d.action = Decision::Action::kill_group;
  for (const Candidate& c : cands)
    if (!rules_.never_kill(c)) d.members.push_back(c);
  d.whole_group = d.members.size() == cands.size();
  return d;
}

std::optional<Candidate> KillPolicy::choose(const IncidentFacts& inc, const std::vector<Candidate>& cands,
                                            std::uint64_t total_kb) const {
  if (inc.first_reason == "pressure" && !inc.paging_in.empty()) {
    // A thrash is ended by the tasks that refault, not by the largest one.
    std::vector<Candidate> refaulting;
    for (const Candidate& c : cands)
      if (inc.paging_in.count(c.pid)) refaulting.push_back(c);
    if (auto v = rules_.choose(refaulting, total_kb, inc.killed)) return v;
  }
  return rules_.choose(cands, total_kb, inc.killed);
}

Decision KillPolicy::decide(Step step, const IncidentFacts& inc, const std::vector<Candidate>& cands,
                            std::uint64_t total_kb) const {
  Decision d;
  d.dry_run = dry_run_;
  auto kill = [&](const Candidate& c, const char* reason) {
    d.action = Decision::Action::kill;
    d.victim = c;
    d.reason = reason;
    return d;
  };
  switch (step) {
    case Step::wait:
    case Step::give_up:
      return d;
    case Step::help_victim:
      // Only the stuck victim itself, and only if it may be killed at all.
      for (const Candidate& c : cands)
        if (c.pid == inc.stuck_victim && !rules_.never_kill(c)) return kill(c, "victim_timeout");
      return d;
    case Step::first_kill:
      if (auto v = choose(inc, cands, total_kb)) return kill(*v, inc.first_reason.c_str());
      return d;
    case Step::escalate:
      if (auto v = choose(inc, cands, total_kb)) return kill(*v, "escalation");
      // Nobody left to kill one by one: straight to the group, once.
      if (!inc.cgroup_killed) return group_kill(inc, cands);
      return d;
    case Step::cgroup_kill:
      return group_kill(inc, cands);
  }
  return d;
}

}  // namespace oomlab::watchdog
