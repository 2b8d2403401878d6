// The kill policy as a pure component: it takes facts (an incident's
// history, the time, its candidate processes with their numbers) and returns
// a decision; the Engine gathers the facts (/proc, libproc2, on its workers),
// asks, and acts (pidfd kill, cgroup.kill, sysrq, the report lines). Nothing
// in here reads /proc, sends a signal or looks at a clock, so every rule is
// table-tested in tests/watchdog/kill_policy_test.cpp.
//
// An incident's life (DESIGN.md "Watchdog"):
//   1. first action: the kernel's own OOM victim that outlived --kill-after
//      is helped to die (victim_timeout); else the victim VictimRules picks
//      (policy.hpp: protected never, dying skipped, --prefer/--avoid tiers,
//      then oom_score_adj-scaled RSS, ties to the higher pid) for the reason
//      that opened the incident (stall_timeout or pressure; a pressure
//      incident chooses among the processes refaulting, `paging_in`, first);
//   2. each --escalate-after without relief: another victim (escalation),
//      while fewer than --max-victims were killed;
//   3. then, or when nobody is left to kill one by one: the whole group
//      (cgroup_kill; for "/" only the kernel's OOM killer through --sysrq);
//   4. then: reporting only.
#pragma once
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <sys/types.h>
#include <vector>

#include "oomlab/watchdog/options.hpp"
#include "oomlab/watchdog/policy.hpp"

namespace oomlab::watchdog {

// What the engine knows of an incident when it asks.
struct IncidentFacts {
  std::string cgroup;                          // "/" = the whole system
  std::string first_reason = "stall_timeout";  // or "pressure": what opened it
  bool started = false;                        // the first action was taken
  std::int64_t last_action_ms = 0;
  int kills = 0;                               // single kills so far
  bool cgroup_killed = false, gave_up = false;
  std::set<pid_t> killed;                      // pids this incident signalled already
  pid_t stuck_victim = 0;                      // an OOM victim in the group past --kill-after (0: none)
  // Pressure incidents: the group's processes seen waiting on page-ins
  // (StallKind::Io) while its pressure was above --pressure-above, i.e. the
  // ones refaulting. A file working set larger than the group thrashes
  // through them; killing the largest anonymous process instead gives the
  // page cache room that the refaults then fill, and PSI counts them as
  // memory stalls (bench/peers/RESULTS.md: some 25% -> 85% after such a kill,
  // 11% after a reader's).
  std::set<pid_t> paging_in;
};

// The step an incident is due for now; needs no process facts.
enum class Step {
  wait,         // nothing to do yet (or any more)
  help_victim,  // signal + reap stuck_victim (victim_timeout)
  first_kill,   // choose a victim (first_reason)
  escalate,     // the last action did not end it: another victim (escalation)
  cgroup_kill,  // --max-victims reached: the whole group
  give_up,      // everything was tried: report only
};
const char* step_name(Step s);

// What to do with the candidates of an incident's group.
struct Decision {
  enum class Action {
    nothing,        // no killable process (all protected, or gone)
    kill,           // signal `victim` for `reason`
    kill_group,     // the whole group (cgroup.kill, or each of `members` on v1)
    ask_kernel,     // "/" with --sysrq: sysrq-f (the kernel's OOM kill)
    refuse_root,    // "/" without --sysrq (or dry-run): the root is never killed
  };
  Action action = Action::nothing;
  Candidate victim;
  std::string reason;             // a facts::kKillReasons word
  std::vector<Candidate> members; // kill_group: every killable process (for v1 and dry-run)
  // kill_group: no process of the group is protected, so cgroup.kill (which
  // takes them all, -1000 and --protect too) may do it; else one kill each.
  bool whole_group = false;
  bool dry_run = false;           // report what would be done, do not signal
};
const char* action_name(Decision::Action a);

// The respawner rule. A supervisor that restarts each child an OOM kill
// takes (dying-competition's "dying-compet", a naive fork loop) keeps its
// group at the limit whoever kills a child: the kernel's kills and ours
// free memory the next child takes back at once (bench/peers/RESULTS.md:
// every guard 17.5-19.1 s of 20 s without progress; killing the supervisor
// by hand ended the stall within 1-4 s). Its facts: looks at the group's
// processes (cgroup.procs and each one's /proc/PID/stat ppid and start
// time - never cmdline or maps) and the group's OOM kills.
struct GroupProc {
  pid_t pid = 0, ppid = 0;
  std::uint64_t starttime = 0;  // with the pid, names a process across looks
};
struct GroupLook {
  std::int64_t t_ms = 0;
  std::vector<GroupProc> procs;
};
struct GroupKill {
  pid_t pid = 0;
  std::int64_t t_ms = 0;
};
struct Respawner {
  pid_t parent = 0;
  int replaced = 0;  // OOM kills of its children that a new child of it replaced
};
// A parent in the group (seen in the last look before a kill, as the
// victim's ppid) each of whose killed children was followed by a new child
// of it (seen in a later look; each new child replaces one kill), at least
// min_replaced times, with an OOM kill in the group after the first
// replacement was seen (the new child took the memory back), and still in
// the group's last look. The parent with the most replacements (ties: the
// lower pid), or nullopt. Kills whose victim no look before showed are not
// counted (their parent is unknown), nor is a pid killed twice.
std::optional<Respawner> find_respawner(const std::vector<GroupKill>& kills, const std::vector<GroupLook>& looks,
                                        int min_replaced = 2);

class KillPolicy {
 public:
  KillPolicy(const Options& o, pid_t self);

  // --scope: the policy acts only on stalls in this subtree.
  bool in_scope(const std::string& cgroup) const;
  // A stall of this length opens (or keeps) an incident.
  bool over_threshold(std::int64_t stalled_ms) const { return stalled_ms >= kill_after_ms_; }

  Step next_step(const IncidentFacts& inc, std::int64_t now_ms) const;

  // The decision for `step` over the group's candidates. total_kb: the
  // group's limit (else RAM), the scale of oom_score_adj.
  Decision decide(Step step, const IncidentFacts& inc, const std::vector<Candidate>& cands,
                  std::uint64_t total_kb) const;
  // The whole-group step alone (also what escalation falls to when nobody
  // is left to kill one by one).
  Decision group_kill(const IncidentFacts& inc, const std::vector<Candidate>& cands) const;

  // The respawner, given its facts (cands: the group's candidates, the
  // parent among them): kill it (reason respawner) unless it may never be
  // killed (pid 1, the watchdog, -1000, --protect: a real supervisor is
  // protected there) or is out of --scope; else nothing.
  Decision respawner_kill(const Respawner& r, const std::vector<Candidate>& cands) const;

  const VictimRules& rules() const { return rules_; }

 private:
  // VictimRules' choice, among the refaulting processes first for pressure.
  std::optional<Candidate> choose(const IncidentFacts& inc, const std::vector<Candidate>& cands,
                                  std::uint64_t total_kb) const;

  VictimRules rules_;
  std::string scope_;
  std::int64_t kill_after_ms_, escalate_after_ms_;
  int max_victims_;
  bool dry_run_, sysrq_;
};

}  // namespace oomlab::watchdog
