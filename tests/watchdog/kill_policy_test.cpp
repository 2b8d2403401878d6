// The kill policy over synthetic facts: which step an incident is due for
// (first action, --escalate-after, --max-victims, the group, giving up) and
// what it decides over the group's candidates (victim, tie-breaks,
// protected never, dying skipped, group kill, the root, dry-run). No /proc,
// no signal, no clock: the times are the table's.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "oomlab/watchdog/kill_policy.hpp"

#include "candidate_rows.hpp"

using namespace oomlab::watchdog;
using Action = Decision::Action;

namespace {

constexpr pid_t kSelf = 500;
constexpr std::uint64_t kTotalKb = 1 << 20;  // 1 GiB: oom_score_adj 100 = 100 MiB of badness

using wdtest::cand;

Options opts(int max_victims = 2, bool dry_run = false, bool sysrq = false) {
  Options o;
  o.kill_after = std::chrono::milliseconds(5000);
  o.escalate_after = std::chrono::milliseconds(3000);
  o.max_victims = max_victims;
  o.dry_run = dry_run;
  o.sysrq = sysrq;
  return o;
}

IncidentFacts incident(const char* cg = "/job") {
  IncidentFacts f;
  f.cgroup = cg;
  return f;
}

}  // namespace

TEST(KillDecision, StepsOfAnIncidentInTime) {
  KillPolicy p(opts(2), kSelf);
  struct Row {
    const char* what;
    bool started;
    std::int64_t last_action_ms;
    int kills;
    bool cgroup_killed, gave_up;
    pid_t stuck_victim;
    std::set<pid_t> killed;
    std::int64_t now;
    Step want;
  };
  const Row rows[] = {
      {"fresh incident: choose", false, 0, 0, false, false, 0, {}, 10'000, Step::first_kill},
      {"fresh, the kernel's victim is stuck: help it first", false, 0, 0, false, false, 77, {}, 10'000, Step::help_victim},
      {"its help was tried already: choose", false, 9'000, 0, false, false, 77, {77}, 10'000, Step::first_kill},
      {"killed 1 s ago: wait for --escalate-after", true, 9'000, 1, false, false, 0, {42}, 10'000, Step::wait},
      {"2999 ms: still waiting", true, 7'001, 1, false, false, 0, {42}, 10'000, Step::wait},
      {"3000 ms without relief: another victim", true, 7'000, 1, false, false, 0, {42}, 10'000, Step::escalate},
      {"--max-victims reached: the group", true, 7'000, 2, false, false, 0, {42, 43}, 10'000, Step::cgroup_kill},
      {"the group was killed and it goes on: give up", true, 7'000, 2, true, false, 0, {42, 43}, 10'000, Step::give_up},
      {"given up: nothing more, ever", true, 0, 2, true, true, 0, {}, 99'000, Step::wait},
      {"given up before starting: nothing", false, 0, 0, false, true, 77, {}, 10'000, Step::wait},
  };
  for (const Row& r : rows) {
    IncidentFacts f = incident();
    f.started = r.started;
    f.last_action_ms = r.last_action_ms;
    f.kills = r.kills;
    f.cgroup_killed = r.cgroup_killed;
    f.gave_up = r.gave_up;
    f.stuck_victim = r.stuck_victim;
    f.killed = r.killed;
    EXPECT_STREQ(step_name(p.next_step(f, r.now)), step_name(r.want)) << r.what;
  }
}

TEST(KillDecision, MaxVictimsOneGoesToTheGroupAtTheFirstEscalation) {
  KillPolicy p(opts(1), kSelf);
  IncidentFacts f = incident();
  f.started = true;
  f.kills = 1;
  f.last_action_ms = 0;
  EXPECT_EQ(p.next_step(f, 3000), Step::cgroup_kill);
  KillPolicy three(opts(3), kSelf);
  EXPECT_EQ(three.next_step(f, 3000), Step::escalate);
  f.kills = 3;
  EXPECT_EQ(three.next_step(f, 3000), Step::cgroup_kill);
}

TEST(KillDecision, FirstVictimByBadnessWithTiesToTheHigherPid) {
  KillPolicy p(opts(), kSelf);
  IncidentFacts f = incident();
  struct Row {
    const char* what;
    std::vector<Candidate> cands;
    pid_t want;
  };
  const Row rows[] = {
      {"largest RSS", {cand(10, "a", 100), cand(11, "b", 300), cand(12, "c", 200)}, 11},
      // 100 MiB + oom_score_adj 500 (half of 1 GiB) beats 400 MiB.
      {"oom_score_adj scales with the group's size", {cand(10, "big", 400 << 10), cand(11, "adj", 100 << 10, 500)}, 11},
      {"a negative adj lowers", {cand(10, "big", 400 << 10, -500), cand(11, "small", 100 << 10)}, 11},
      {"equal badness: the higher pid (the younger process)", {cand(20, "x", 300), cand(21, "y", 300), cand(19, "z", 300)}, 21},
      {"-1000 never, whatever its size", {cand(10, "huge", 1 << 30, -1000), cand(11, "small", 10)}, 11},
      {"pid 1 and self never", {cand(1, "init", 1 << 30), cand(kSelf, "oomlab-watchdog", 1 << 30), cand(12, "w", 5)}, 12},
  };
  for (const Row& r : rows) {
    Decision d = p.decide(Step::first_kill, f, r.cands, kTotalKb);
    ASSERT_EQ(d.action, Action::kill) << r.what;
    EXPECT_EQ(d.victim.pid, r.want) << r.what;
    EXPECT_EQ(d.reason, "stall_timeout") << r.what;
    EXPECT_FALSE(d.dry_run);
  }
}

TEST(KillDecision, TiersProtectedAndDying) {
  Options o = opts();
  o.prefer = {{"hog", false}};
  o.avoid = {{"/job/db", true}};
  o.protect = {{"sshd", false}};
  KillPolicy p(o, kSelf);
  IncidentFacts f = incident();
  Candidate sshd = cand(10, "sshd", 1 << 30);
  Candidate db = cand(11, "postgres", 900 << 10, 0, "/job/db");
  Candidate hog = cand(12, "hog", 10);
  Candidate web = cand(13, "web", 500 << 10);
  // --prefer first, even when small.
  EXPECT_EQ(p.decide(Step::first_kill, f, {sshd, db, hog, web}, kTotalKb).victim.pid, 12);
  // Without it: the normal tier before the --avoid one, whatever the sizes.
  EXPECT_EQ(p.decide(Step::first_kill, f, {sshd, db, web}, kTotalKb).victim.pid, 13);
  // Only the avoided one is left: it is chosen.
  EXPECT_EQ(p.decide(Step::first_kill, f, {sshd, db}, kTotalKb).victim.pid, 11);
  // Only protected: nothing.
  EXPECT_EQ(p.decide(Step::first_kill, f, {sshd}, kTotalKb).action, Action::nothing);
  // A dying process (SIGKILL pending) is passed over: its kill frees nothing new.
  Candidate dying = cand(14, "dying", 1 << 30);
  dying.dying = true;
  EXPECT_EQ(p.decide(Step::first_kill, f, {dying, web}, kTotalKb).victim.pid, 13);
  // A kernel thread never.
  Candidate kthread = cand(15, "kswapd0", 1 << 30);
  kthread.kernel_thread = true;
  EXPECT_EQ(p.decide(Step::first_kill, f, {kthread, web}, kTotalKb).victim.pid, 13);
}

TEST(KillDecision, ReasonFollowsWhatOpenedTheIncident) {
  KillPolicy p(opts(), kSelf);
  IncidentFacts f = incident();
  f.first_reason = "pressure";
  EXPECT_EQ(p.decide(Step::first_kill, f, {cand(10, "a", 100)}, kTotalKb).reason, "pressure");
}

// Page-cache thrash: the anonymous ballast is the largest process, but the
// readers that refault are what a pressure incident must kill first (its
// kill made the thrash worse: bench/peers/RESULTS.md).
TEST(KillDecision, PressureChoosesAmongTheRefaultingFirst) {
  KillPolicy p(opts(3), kSelf);
  const std::vector<Candidate> cands = {cand(10, "anon-ballast", 130 << 10), cand(11, "cache-reader", 30 << 10),
                                        cand(12, "cache-reader", 60 << 10), cand(13, "sleeper", 1 << 10)};
  struct Row {
    const char* what;
    const char* reason;
    std::set<pid_t> paging_in, killed;
    Step step;
    pid_t want;
  };
  const Row rows[] = {
      {"pressure, readers refaulting: the larger reader", "pressure", {11, 12}, {}, Step::first_kill, 12},
      {"escalation: the other reader next", "pressure", {11, 12}, {12}, Step::escalate, 11},
      {"every refaulting one killed: back to the largest", "pressure", {11, 12}, {11, 12}, Step::escalate, 10},
      {"a refaulting pid that is gone: the largest", "pressure", {99}, {}, Step::first_kill, 10},
      {"nobody seen paging in: the largest", "pressure", {}, {}, Step::first_kill, 10},
      {"a stall incident ignores page-ins", "stall_timeout", {11, 12}, {}, Step::first_kill, 10},
  };
  for (const Row& r : rows) {
    IncidentFacts f = incident();
    f.first_reason = r.reason;
    f.paging_in = r.paging_in;
    f.killed = r.killed;
    f.started = r.step != Step::first_kill;
    Decision d = p.decide(r.step, f, cands, kTotalKb);
    ASSERT_EQ(d.action, Action::kill) << r.what;
    EXPECT_EQ(d.victim.pid, r.want) << r.what;
  }
  // A protected reader is never chosen for refaulting: the rules still apply.
  Options o = opts(3);
  o.protect = {{"cache-reader", false}};
  KillPolicy guarded(o, kSelf);
  IncidentFacts f = incident();
  f.first_reason = "pressure";
  f.paging_in = {11, 12};
  EXPECT_EQ(guarded.decide(Step::first_kill, f, cands, kTotalKb).victim.pid, 10);
}

TEST(KillDecision, EscalationSkipsWhoWasKilledAndFallsToTheGroup) {
  KillPolicy p(opts(3), kSelf);
  IncidentFacts f = incident();
  f.started = true;
  f.kills = 1;
  f.killed = {11};
  std::vector<Candidate> cands = {cand(10, "a", 100), cand(11, "b", 300), cand(12, "c", 200), cand(13, "sshd", 900, -1000)};
  Decision d = p.decide(Step::escalate, f, cands, kTotalKb);
  ASSERT_EQ(d.action, Action::kill);
  EXPECT_EQ(d.victim.pid, 12);  // the largest not killed yet
  EXPECT_EQ(d.reason, "escalation");
  // Everyone killable was killed already: the whole group, protected ones spared.
  f.killed = {10, 11, 12};
  d = p.decide(Step::escalate, f, cands, kTotalKb);
  ASSERT_EQ(d.action, Action::kill_group);
  EXPECT_EQ(d.reason, "cgroup_kill");
  ASSERT_EQ(d.members.size(), 3u);
  for (const Candidate& c : d.members) EXPECT_NE(c.pid, 13);
  // ...but only once.
  f.cgroup_killed = true;
  EXPECT_EQ(p.decide(Step::escalate, f, cands, kTotalKb).action, Action::nothing);
}

TEST(KillDecision, GroupKillAndTheRoot) {
  KillPolicy p(opts(), kSelf);
  std::vector<Candidate> cands = {cand(1, "init", 10), cand(10, "a", 100), cand(11, "sshd", 100, -1000)};
  Decision d = p.decide(Step::cgroup_kill, incident(), cands, kTotalKb);
  ASSERT_EQ(d.action, Action::kill_group);
  ASSERT_EQ(d.members.size(), 1u);
  EXPECT_EQ(d.members[0].pid, 10);
  // cgroup.kill would take init and sshd (-1000) too: one kill each instead.
  EXPECT_FALSE(d.whole_group);
  std::vector<Candidate> plain = {cand(10, "a", 100), cand(12, "b", 50)};
  Decision all = p.decide(Step::cgroup_kill, incident(), plain, kTotalKb);
  ASSERT_EQ(all.action, Action::kill_group);
  EXPECT_TRUE(all.whole_group);
  // The root is never killed as a group; with --sysrq the kernel is asked.
  EXPECT_EQ(p.decide(Step::cgroup_kill, incident("/"), cands, kTotalKb).action, Action::refuse_root);
  KillPolicy sysrq(opts(2, false, true), kSelf);
  EXPECT_EQ(sysrq.decide(Step::cgroup_kill, incident("/"), cands, kTotalKb).action, Action::ask_kernel);
  // --dry-run never asks the kernel for a kill.
  KillPolicy dry_sysrq(opts(2, true, true), kSelf);
  EXPECT_EQ(dry_sysrq.decide(Step::cgroup_kill, incident("/"), cands, kTotalKb).action, Action::refuse_root);
}

TEST(KillDecision, HelpTheStuckVictimOnlyIfItMayBeKilled) {
  KillPolicy p(opts(), kSelf);
  IncidentFacts f = incident();
  f.stuck_victim = 77;
  Decision d = p.decide(Step::help_victim, f, {cand(76, "big", 1 << 20), cand(77, "victim", 10)}, kTotalKb);
  ASSERT_EQ(d.action, Action::kill);
  EXPECT_EQ(d.victim.pid, 77);  // the kernel's choice, not the largest
  EXPECT_EQ(d.reason, "victim_timeout");
  // A protected victim is not signalled (the engine then chooses as usual).
  EXPECT_EQ(p.decide(Step::help_victim, f, {cand(77, "victim", 10, -1000)}, kTotalKb).action, Action::nothing);
  // Gone already.
  EXPECT_EQ(p.decide(Step::help_victim, f, {}, kTotalKb).action, Action::nothing);
}

TEST(KillDecision, DryRunDecidesTheSameAndSaysSo) {
  KillPolicy real(opts(), kSelf), dry(opts(2, true), kSelf);
  std::vector<Candidate> cands = {cand(10, "a", 100), cand(11, "b", 300)};
  Decision r = real.decide(Step::first_kill, incident(), cands, kTotalKb);
  Decision d = dry.decide(Step::first_kill, incident(), cands, kTotalKb);
  EXPECT_EQ(d.action, r.action);
  EXPECT_EQ(d.victim.pid, r.victim.pid);
  EXPECT_FALSE(r.dry_run);
  EXPECT_TRUE(d.dry_run);
  EXPECT_TRUE(dry.decide(Step::cgroup_kill, incident(), cands, kTotalKb).dry_run);
}

TEST(KillDecision, WaitAndGiveUpDecideNothing) {
  KillPolicy p(opts(), kSelf);
  std::vector<Candidate> cands = {cand(10, "a", 100)};
  EXPECT_EQ(p.decide(Step::wait, incident(), cands, kTotalKb).action, Action::nothing);
  EXPECT_EQ(p.decide(Step::give_up, incident(), cands, kTotalKb).action, Action::nothing);
}

TEST(KillDecision, ScopeAndThreshold) {
  Options o = opts();
  o.scope = "/workloads";
  KillPolicy p(o, kSelf);
  EXPECT_TRUE(p.in_scope("/workloads"));
  EXPECT_TRUE(p.in_scope("/workloads/a/b"));
  EXPECT_FALSE(p.in_scope("/workloads-other"));
  EXPECT_FALSE(p.in_scope("/system.slice"));
  EXPECT_FALSE(p.in_scope("/"));
  EXPECT_FALSE(p.over_threshold(4999));
  EXPECT_TRUE(p.over_threshold(5000));
}
