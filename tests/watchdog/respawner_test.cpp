// The respawner rule over synthetic looks and kills (find_respawner) and
// its decision (KillPolicy::respawner_kill). Times are the table's.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "oomlab/watchdog/kill_policy.hpp"

#include "candidate_rows.hpp"

using namespace oomlab::watchdog;
using Action = Decision::Action;

namespace {

// The group as dying-competition makes it: the runner outside (pid 10), the
// supervisor 100 in the group, its allocators 101..104. A process is named
// by (pid, starttime); the start time here is its pid's birth order.
GroupProc proc(pid_t pid, pid_t ppid, std::uint64_t start = 1) { return GroupProc{pid, ppid, start}; }

GroupLook look(std::int64_t t, std::vector<GroupProc> procs) { return GroupLook{t, std::move(procs)}; }

}  // namespace

TEST(Respawner, FoundOnlyWhenKilledChildrenAreReplacedAndTheMemoryIsTakenBack) {
  const GroupProc sup = proc(100, 10), a1 = proc(101, 100), a2 = proc(102, 100), a3 = proc(103, 100),
                  n1 = proc(105, 100, 2), n2 = proc(106, 100, 3), n3 = proc(107, 100, 4);
  struct Row {
    const char* what;
    std::vector<GroupKill> kills;
    std::vector<GroupLook> looks;
    pid_t want_parent;  // 0: none
    int want_replaced;
  };
  const std::vector<Row> rows = {
      {"three kills, each child replaced, kills go on: the supervisor",
       {{101, 1000}, {102, 2000}, {105, 3000}},
       {look(500, {sup, a1, a2, a3}), look(1500, {sup, a2, a3, n1}), look(2500, {sup, a3, n1, n2}),
        look(3500, {sup, a3, n2, n3})},
       100, 3},
      {"the first kill came before any look: counted from the second on",
       {{101, 1000}, {102, 2000}, {105, 3000}},
       {look(1500, {sup, a2, a3, n1}), look(2500, {sup, a3, n1, n2}), look(3500, {sup, a3, n2, n3})},
       100, 2},
      {"one replacement only: not yet",
       {{101, 1000}},
       {look(500, {sup, a1, a2, a3}), look(1500, {sup, a2, a3, n1})},
       0, 0},
      {"no respawn (respawn=no): the children are gone, nothing new",
       {{101, 1000}, {102, 2000}, {103, 3000}},
       {look(500, {sup, a1, a2, a3}), look(1500, {sup, a2, a3}), look(2500, {sup, a3}), look(3500, {sup})},
       0, 0},
      {"two replacements but no kill after the first was seen: the memory was not taken back",
       {{101, 1000}, {102, 1100}},
       {look(500, {sup, a1, a2, a3}), look(1500, {sup, a3, n1, n2})},
       0, 0},
      {"the same pid killed twice (the kernel's kill and ours) counts once",
       {{101, 1000}, {101, 1200}, {102, 2000}},
       {look(500, {sup, a1, a2, a3}), look(1500, {sup, a2, a3, n1}), look(2500, {sup, a3, n1})},
       0, 0},
      {"a new child replaces one kill only",
       {{101, 1000}, {102, 1100}, {103, 3000}},
       {look(500, {sup, a1, a2, a3}), look(1500, {sup, a3, n1}), look(3500, {sup, n1})},
       0, 0},
      {"the parent is outside the group (a service manager): never",
       {{101, 1000}, {102, 2000}, {105, 3000}},
       {look(500, {a1, a2, a3}), look(1500, {a2, a3, n1}), look(2500, {a3, n1, n2}), look(3500, {a3, n2, n3})},
       0, 0},
      {"the parent is gone by the last look: nothing to kill",
       {{101, 1000}, {102, 2000}, {105, 3000}},
       {look(500, {sup, a1, a2, a3}), look(1500, {sup, a2, a3, n1}), look(2500, {sup, a3, n1, n2}),
        look(3500, {a3, n2, n3})},
       0, 0},
      {"a reused pid is a new child (another start time)",
       {{101, 1000}, {102, 2000}, {105, 3000}},
       {look(500, {sup, a1, a2, a3}), look(1500, {sup, a2, a3, proc(101, 100, 9)}),
        look(2500, {sup, a3, proc(101, 100, 9), n2}), look(3500, {sup, a3, n2, n3})},
       100, 2},
      {"a sibling born before the kill is no replacement",
       {{101, 1000}, {102, 2000}, {103, 3000}},
       {look(500, {sup, a1, a2, a3, n1}), look(1500, {sup, a2, a3, n1}), look(2500, {sup, a3, n1}),
        look(3500, {sup, n1})},
       0, 0},
  };
  for (const Row& row : rows) {
    const std::optional<Respawner> r = find_respawner(row.kills, row.looks);
    if (row.want_parent == 0) {
      EXPECT_FALSE(r.has_value()) << row.what << ": parent " << (r ? r->parent : 0);
    } else {
      ASSERT_TRUE(r.has_value()) << row.what;
      EXPECT_EQ(r->parent, row.want_parent) << row.what;
      EXPECT_EQ(r->replaced, row.want_replaced) << row.what;
    }
  }
  EXPECT_FALSE(find_respawner({{101, 1000}}, {}).has_value()) << "no look at all";
}

TEST(Respawner, TwoSupervisorsTheOneWithMoreReplacements) {
  // 100 restarts 101, 102, 103; 200 restarts 201 and 202 (kills interleaved).
  const std::vector<GroupKill> kills = {{101, 1000}, {201, 1100}, {102, 2000}, {202, 2100}, {103, 3000}};
  const std::vector<GroupLook> looks = {
      look(500, {proc(100, 1), proc(101, 100), proc(102, 100), proc(103, 100), proc(200, 1), proc(201, 200),
                 proc(202, 200)}),
      look(1500, {proc(100, 1), proc(102, 100), proc(103, 100), proc(110, 100, 2), proc(200, 1), proc(202, 200),
                  proc(210, 200, 2)}),
      look(2500, {proc(100, 1), proc(103, 100), proc(110, 100, 2), proc(111, 100, 3), proc(200, 1),
                  proc(210, 200, 2), proc(211, 200, 3)}),
      look(3500, {proc(100, 1), proc(110, 100, 2), proc(111, 100, 3), proc(112, 100, 4), proc(200, 1),
                  proc(210, 200, 2), proc(211, 200, 3)}),
  };
  const std::optional<Respawner> r = find_respawner(kills, looks);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->parent, 100);
  EXPECT_EQ(r->replaced, 3);
  // With min_replaced 3 only 100 qualifies; with 4 nobody.
  EXPECT_FALSE(find_respawner(kills, looks, 4).has_value());
}

TEST(Respawner, TheKillDecision) {
  Options o;
  o.protect = {{"supervisord", false}};
  o.scope = "/job";
  KillPolicy p(o, 500);
  const Respawner r{100, 3};
  using wdtest::cand;
  const Decision d = p.respawner_kill(r, {cand(100, "dying-compet", 4096), cand(101, "alloc-racer", 90000)});
  EXPECT_EQ(d.action, Action::kill);
  EXPECT_EQ(d.victim.pid, 100);
  EXPECT_EQ(d.reason, "respawner");
  // Protected by --protect, by -1000, pid 1, the watchdog itself, out of scope, gone: nothing.
  EXPECT_EQ(p.respawner_kill(r, {cand(100, "supervisord", 4096)}).action, Action::nothing);
  EXPECT_EQ(p.respawner_kill(r, {cand(100, "dying-compet", 4096, -1000)}).action, Action::nothing);
  EXPECT_EQ(p.respawner_kill(Respawner{1, 3}, {cand(1, "init", 4096)}).action, Action::nothing);
  EXPECT_EQ(p.respawner_kill(Respawner{500, 3}, {cand(500, "oomlab-watchdog", 4096)}).action, Action::nothing);
  EXPECT_EQ(p.respawner_kill(r, {cand(100, "dying-compet", 4096, 0, "/other")}).action, Action::nothing);
  EXPECT_EQ(p.respawner_kill(r, {cand(101, "alloc-racer", 90000)}).action, Action::nothing);
}
