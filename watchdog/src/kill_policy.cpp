#include "oomlab/facts/vocabulary.hpp"
#include "oomlab/watchdog/kill_policy.hpp"

#include <algorithm>
#include <map>

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
  d.reason = facts::kill_reason::kCgroupKill;
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
  if (inc.first_reason == facts::kill_reason::kPressure && !inc.paging_in.empty()) {
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
        if (c.pid == inc.stuck_victim && !rules_.never_kill(c)) return kill(c, facts::kill_reason::kVictimTimeout);
      return d;
    case Step::first_kill:
      if (auto v = choose(inc, cands, total_kb)) return kill(*v, inc.first_reason.c_str());
      return d;
    case Step::escalate:
      if (auto v = choose(inc, cands, total_kb)) return kill(*v, facts::kill_reason::kEscalation);
      // Nobody left to kill one by one: straight to the group, once.
      if (!inc.cgroup_killed) return group_kill(inc, cands);
      return d;
    case Step::cgroup_kill:
      return group_kill(inc, cands);
  }
  return d;
}

std::optional<Respawner> find_respawner(const std::vector<GroupKill>& kills, const std::vector<GroupLook>& looks,
                                        int min_replaced) {
  if (looks.empty()) return std::nullopt;
  auto same = [](const GroupProc& a, const GroupProc& b) { return a.pid == b.pid && a.starttime == b.starttime; };
  std::vector<GroupKill> order = kills;
  std::stable_sort(order.begin(), order.end(), [](const GroupKill& a, const GroupKill& b) { return a.t_ms < b.t_ms; });
  struct Count {
    int replaced = 0;
    std::int64_t first_seen_ms = -1;  // the look that showed its first replacement
  };
  std::map<pid_t, Count> by_parent;
  std::vector<GroupProc> used;  // new children already counted for a kill
  std::vector<pid_t> seen_victims;
  for (const GroupKill& k : order) {
    if (std::find(seen_victims.begin(), seen_victims.end(), k.pid) != seen_victims.end()) continue;
    seen_victims.push_back(k.pid);
    // The victim's parent and its children, from the last look before the kill.
    const GroupLook* before = nullptr;
    for (const GroupLook& l : looks)
      if (l.t_ms <= k.t_ms &&
          std::any_of(l.procs.begin(), l.procs.end(), [&](const GroupProc& p) { return p.pid == k.pid; }))
        before = &l;
    if (!before) continue;
    pid_t parent = 0;
    for (const GroupProc& p : before->procs)
      if (p.pid == k.pid) parent = p.ppid;
    // The parent must be in the group: one outside it (the service manager,
    // a container runtime) is not this rule's to judge.
    if (parent <= 0 ||
        std::none_of(before->procs.begin(), before->procs.end(), [&](const GroupProc& p) { return p.pid == parent; }))
      continue;
    auto known_before = [&](const GroupProc& c) {
      return std::any_of(before->procs.begin(), before->procs.end(), [&](const GroupProc& p) { return same(p, c); });
    };
    bool replaced = false;
    for (const GroupLook& l : looks) {
      if (l.t_ms <= k.t_ms || replaced) continue;
      for (const GroupProc& c : l.procs) {
        if (c.ppid != parent || c.pid == k.pid || known_before(c)) continue;
        if (std::any_of(used.begin(), used.end(), [&](const GroupProc& u) { return same(u, c); })) continue;
        used.push_back(c);
        Count& n = by_parent[parent];
        ++n.replaced;
        if (n.first_seen_ms < 0) n.first_seen_ms = l.t_ms;
        replaced = true;
        break;
      }
    }
  }
  const GroupLook& last = looks.back();
  std::optional<Respawner> best;
  for (const auto& entry : by_parent) {
    // Named copies, not structured bindings: clang 14 (the fuzz build)
    // refuses a lambda that captures a structured binding.
    const pid_t parent = entry.first;
    const auto& n = entry.second;
    if (n.replaced < min_replaced) continue;
    const std::int64_t first_seen = n.first_seen_ms;
    const bool took_back = std::any_of(order.begin(), order.end(), [&](const GroupKill& k) { return k.t_ms > first_seen; });
    const bool alive = std::any_of(last.procs.begin(), last.procs.end(), [&](const GroupProc& p) { return p.pid == parent; });
    if (!took_back || !alive) continue;
    if (!best || n.replaced > best->replaced) best = Respawner{parent, n.replaced};  // map order: lower pid wins ties
  }
  return best;
}

Decision KillPolicy::respawner_kill(const Respawner& r, const std::vector<Candidate>& cands) const {
  Decision d;
  d.dry_run = dry_run_;
  d.reason = facts::kill_reason::kRespawner;
  for (const Candidate& c : cands) {
    if (c.pid != r.parent) continue;
    if (rules_.never_kill(c) || !in_scope(c.cgroup)) return d;
    d.action = Decision::Action::kill;
    d.victim = c;
    return d;
  }
  return d;
}

}  // namespace oomlab::watchdog
