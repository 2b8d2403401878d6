// group_probe.hpp: which pids a watched group holds (a fake cgroupfs tree of
// plain directories and cgroup.procs files), which directories are probed,
// and when a probe asks for a full scan.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "oomlab/facts/psi.hpp"
#include "oomlab/watchdog/group_probe.hpp"

using namespace oomlab::watchdog;
namespace fs = std::filesystem;

namespace {

struct Tree {
  fs::path root;
  Tree() {
    char tmpl[] = "/tmp/oomlab-probe-test-XXXXXX";
    root = ::mkdtemp(tmpl);
  }
  ~Tree() {
    std::error_code ignored;
    fs::remove_all(root, ignored);
  }
  void procs(const std::string& dir, const std::string& text) {
    fs::create_directories(root / dir);
    std::ofstream(root / dir / "cgroup.procs") << text;
  }
};

TaskSample task(pid_t tid, std::uint64_t starttime, StallKind kind) {
  TaskSample t;
  t.tid = t.tgid = tid;
  t.starttime = starttime;
  t.state = 'D';
  t.kind = kind;
  return t;
}

}  // namespace

TEST(GroupPids, ReadsTheGroupAndItsDescendantsOnceEach) {
  Tree t;
  t.procs("g", "30\n10\n");
  t.procs("g/child", "20\n");
  t.procs("g/child/grandchild", "40\n10\n");  // 10 twice: listed once
  t.procs("other", "99\n");                   // not below g
  fs::create_directories(t.root / "g" / "empty");  // a group without a procs file
  std::vector<pid_t> pids{5};  // appended to, then sorted
  list_group_pids({(t.root / "g").string()}, pids);
  EXPECT_EQ(pids, (std::vector<pid_t>{5, 10, 20, 30, 40}));
}

TEST(GroupPids, TwoDirectoriesWithTheSameProcessesAndOneMissing) {
  Tree t;
  t.procs("memory/g", "7\n8\n");
  t.procs("unified/g", "8\n7\n");
  std::vector<pid_t> pids;
  list_group_pids({(t.root / "memory/g").string(), (t.root / "unified/g").string(), (t.root / "gone").string()}, pids);
  EXPECT_EQ(pids, (std::vector<pid_t>{7, 8}));
}

TEST(GroupPids, AProcsFileLongerThanOneRead) {
  Tree t;
  std::string text;
  std::vector<pid_t> want;
  for (pid_t p = 100000; p < 101000; ++p) {  // ~7 kB: several reads of the 2 kB buffer
    text += std::to_string(p) + "\n";
    want.push_back(p);
  }
  t.procs("big", text);
  std::vector<pid_t> pids;
  list_group_pids({(t.root / "big").string()}, pids);
  EXPECT_EQ(pids, want);
}

TEST(ProbeDirs, ScopeAndWatchedGroupsOutsideIt) {
  // No group named: system-wide, nothing to probe.
  EXPECT_TRUE(probe_dirs("/sys/fs/cgroup/memory", "/", {}, {}).empty());
  // The scope in the memory hierarchy; its cgroup2 twin (same path) is not
  // listed twice, a watched group elsewhere is.
  EXPECT_EQ(probe_dirs("/sys/fs/cgroup/memory", "/oomlab/r1",
                       {"/sys/fs/cgroup/unified/oomlab/r1", "/sys/fs/cgroup/unified/other"}, {"/oomlab/r1", "/other"}),
            (std::vector<std::string>{"/sys/fs/cgroup/memory/oomlab/r1", "/sys/fs/cgroup/unified/other"}));
  // Unscoped with a watched slice (the test VM's guard): the slice.
  EXPECT_EQ(probe_dirs("/sys/fs/cgroup", "/", {"/sys/fs/cgroup/oomlab.slice"}, {"/oomlab.slice"}),
            (std::vector<std::string>{"/sys/fs/cgroup/oomlab.slice"}));
  // A directory outside any cgroup mount (cgroup path unknown): probed.
  EXPECT_EQ(probe_dirs("/sys/fs/cgroup", "/", {"/tmp/x"}, {""}), (std::vector<std::string>{"/tmp/x"}));
}

TEST(ProbeRule, LockAndReclaimWaitsAskAtOnce) {
  ProbeRule r;
  EXPECT_FALSE(r.wants_scan({}));
  EXPECT_FALSE(r.wants_scan({task(5, 1, StallKind::None)}));
  EXPECT_TRUE(r.wants_scan({task(5, 1, StallKind::MmapLock)}));
  EXPECT_TRUE(r.wants_scan({task(6, 1, StallKind::Reclaim)}));
  EXPECT_TRUE(r.wants_scan({task(7, 1, StallKind::Alloc)}));
}

TEST(ProbeRule, PageInWaitsAndExitsAskOnlyWhenTheyPersist) {
  ProbeRule r;
  EXPECT_FALSE(r.wants_scan({task(5, 1, StallKind::Io), task(6, 1, StallKind::Exit)}));
  // The same task (tid and start time) still in a page-in wait: ask.
  EXPECT_TRUE(r.wants_scan({task(5, 1, StallKind::Io)}));
  // Another task with a reused tid (new start time) is a first sight.
  ProbeRule fresh;
  EXPECT_FALSE(fresh.wants_scan({task(5, 1, StallKind::Io)}));
  EXPECT_FALSE(fresh.wants_scan({task(5, 2, StallKind::Io)}));
  // A gap (a probe without it) starts over.
  EXPECT_FALSE(fresh.wants_scan({}));
  EXPECT_FALSE(fresh.wants_scan({task(5, 2, StallKind::Io)}));
  EXPECT_TRUE(fresh.wants_scan({task(5, 2, StallKind::Exit)}));
}

// A PSI event's stall is the watched groups' when, over the trigger window,
// the system's some total grew no more than theirs (plus the slack).
TEST(StallAttribution, ExplainedOnlyByAReadingAWindowOldAndGroupsThatGrewAsMuch) {
  StallAttribution a;
  // No reading yet: never explained.
  EXPECT_FALSE(a.explains(1000, 500000, {100000}));
  a.note(2000, 500000, {100000});
  a.note(3000, 500000, {100000});
  // 200 ms of stall, all of it in the group, since the reading 2 s before.
  EXPECT_TRUE(a.explains(4000, 700000, {300000}));
  // Since the 4000 reading (the newest one at least 2 s old): the system
  // grew 300 ms, the group only 100 ms: a task elsewhere stalled.
  EXPECT_FALSE(a.explains(6000, 1000000, {400000}));
  // Slack: 5 ms plus 1/8 of the groups' growth.
  StallAttribution b;
  b.note(0, 1000000, {0, 0});
  EXPECT_TRUE(b.explains(2000, 1000000 + 80000 + 90000 + 21250 + 5000, {80000, 90000}));
  StallAttribution c;
  c.note(0, 1000000, {0, 0});
  EXPECT_FALSE(c.explains(2000, 1000000 + 80000 + 90000 + 21250 + 5001, {80000, 90000}));
}

TEST(StallAttribution, StaleOrBrokenReadingsExplainNothing) {
  StallAttribution a;
  a.note(0, 1000, {1000});
  // The only reading is older than max_age: unknown, so every task is scanned.
  EXPECT_FALSE(a.explains(10000, 1000, {1000}, 2000, 5000));
  StallAttribution b;
  b.note(0, 0, {1000});  // the system's file was unreadable
  EXPECT_FALSE(b.explains(2000, 5000, {5000}));
  StallAttribution c;
  c.note(0, 5000, {5000});
  EXPECT_FALSE(c.explains(2000, 4000, {6000}));  // the system's total went backwards
  StallAttribution d;
  d.note(0, 5000, {5000});
  EXPECT_FALSE(d.explains(2000, 9000, {4000}));  // a group's went backwards (recreated)
  StallAttribution e;
  e.note(0, 5000, {5000});
  EXPECT_FALSE(e.explains(2000, 5000, {5000, 0}));  // not the same groups
}

// stall_goes_on with readings taken on this host (kernel 6.18, cgroup v1
// memory + the cgroup2 twin's memory.pressure), 2026-12-07: a 32 MiB group
// rewriting a file while holding 18 MiB, and the same group once killed.
namespace {

std::uint64_t some_total(const char* text) {
  auto r = oomlab::facts::parse_psi(text);
  EXPECT_TRUE(r) << text;
  return r ? r->some_total_us : PsiTotals::kUnread;
}

PsiTotals totals(std::int64_t ms, const char* system, std::vector<const char*> groups) {
  PsiTotals t;
  t.ms = ms;
  t.system_us = system ? some_total(system) : PsiTotals::kUnread;
  for (const char* g : groups) t.groups_us.push_back(g ? some_total(g) : PsiTotals::kUnread);
  return t;
}

// /proc/pressure/memory and the group's memory.pressure at each moment.
constexpr const char* kSysIdle =
    "some avg10=0.00 avg60=1.09 avg300=1.94 total=1335312403\nfull avg10=0.00 avg60=0.22 avg300=0.46 total=377895541\n";
constexpr const char* kSysOtherJob =  // 2.36 s later: another job stalled 137 ms
    "some avg10=0.00 avg60=1.06 avg300=1.92 total=1335449159\nfull avg10=0.00 avg60=0.21 avg300=0.46 total=377896255\n";
constexpr const char* kSysSqueeze0 =
    "some avg10=0.59 avg60=1.10 avg300=1.91 total=1335449159\nfull avg10=0.00 avg60=0.18 avg300=0.44 total=377896255\n";
constexpr const char* kSysSqueeze1 =  // 1.23 s later
    "some avg10=0.59 avg60=1.10 avg300=1.91 total=1335535735\nfull avg10=0.00 avg60=0.18 avg300=0.44 total=377898313\n";
constexpr const char* kSysKilled0 =  // at the kill
    "some avg10=0.59 avg60=1.10 avg300=1.91 total=1335537776\nfull avg10=0.00 avg60=0.18 avg300=0.44 total=377898346\n";
constexpr const char* kSysKilled1 = kSysKilled0;  // 0.58 s later: not a microsecond more
constexpr const char* kGroupFresh =
    "some avg10=0.00 avg60=0.00 avg300=0.00 total=0\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=0\n";
constexpr const char* kGroupSqueeze0 =
    "some avg10=0.49 avg60=0.14 avg300=0.03 total=158077\nfull avg10=0.49 avg60=0.14 avg300=0.03 total=158077\n";
constexpr const char* kGroupSqueeze1 =  // 1.23 s later: 98 ms more
    "some avg10=0.40 avg60=0.14 avg300=0.03 total=256351\nfull avg10=0.40 avg60=0.14 avg300=0.03 total=256351\n";
constexpr const char* kGroupKilled =
    "some avg10=0.40 avg60=0.14 avg300=0.03 total=258752\nfull avg10=0.40 avg60=0.14 avg300=0.03 total=258752\n";

}  // namespace

TEST(StallGoesOn, TableOfRealReadings) {
  struct Row {
    const char* what;
    PsiTotals at_event, later;
    bool goes_on;
  };
  const Row rows[] = {
      {"quiet host, no group", totals(0, kSysIdle, {}), totals(533, kSysIdle, {}), false},
      {"another job stalled 137 ms in 2.36 s (5.8%)", totals(0, kSysIdle, {}), totals(2360, kSysOtherJob, {}), true},
      {"the group's squeeze goes on: 98 ms in 1.23 s (8%)", totals(0, kSysSqueeze0, {kGroupSqueeze0}),
       totals(1228, kSysSqueeze1, {kGroupSqueeze1}), true},
      {"the same growth seen by the group's file alone (system reading unchanged)",
       totals(0, kSysSqueeze0, {kGroupSqueeze0}), totals(1228, kSysSqueeze0, {kGroupSqueeze1}), true},
      {"killed: nothing more in 0.58 s", totals(0, kSysKilled0, {kGroupKilled}), totals(576, kSysKilled1, {kGroupKilled}),
       false},
      {"a group that never stalled (total=0) is a reading, not an unreadable file",
       totals(0, kSysKilled0, {kGroupFresh}), totals(576, kSysKilled1, {kGroupFresh}), false},
      {"the last 2 ms before the kill, counted 576 ms later (under 3.75%: 21.6 ms)", totals(0, kSysSqueeze1, {kGroupSqueeze1}),
       totals(576, kSysKilled0, {kGroupKilled}), false},
      {"the system file unreadable later", totals(0, kSysKilled0, {}), totals(576, nullptr, {}), true},
      {"a group file unreadable at the event", totals(0, kSysKilled0, {nullptr}), totals(576, kSysKilled1, {kGroupKilled}),
       true},
      {"a total went backwards", totals(0, kSysSqueeze1, {}), totals(576, kSysSqueeze0, {}), true},
      {"no time passed", totals(576, kSysKilled0, {}), totals(576, kSysKilled1, {}), true},
      {"the watched groups changed (reload)", totals(0, kSysKilled0, {kGroupKilled}), totals(576, kSysKilled1, {}), true},
  };
  for (const Row& r : rows) EXPECT_EQ(stall_goes_on(r.at_event, r.later), r.goes_on) << r.what;
}
