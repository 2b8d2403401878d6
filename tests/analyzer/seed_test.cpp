// The seeds: 003 is the 2015 linux-mm thread with the mmap_sem livelock,
// 000 a 2.6.30 WARNING, 001/002 kernel mails without any failure.
#include <gtest/gtest.h>

#include "helpers.hpp"

namespace oomlab::analyzer::test {
namespace {

TEST(Seed003, VerdictIsTheMmapSemLivelock) {
  Report r = seed("003_");
  EXPECT_EQ(r.verdict, VerdictClass::oom_livelock);
  EXPECT_EQ(r.title, "OOM livelock: a.out(3418) waits for mmap_sem write in vm_munmap");
  EXPECT_EQ(r.input.format, "dmesg");
  EXPECT_EQ(r.input.gaps, 9u);
}

TEST(Seed003, SilentHangFrom101WithStalling10To16ThroughTheSysrqKill) {
  Report r = seed("003_");
  auto hangs = findings_of(r, VerdictClass::silent_hang);
  ASSERT_EQ(hangs.size(), 1u);
  const Finding& h = *hangs[0];
  ASSERT_TRUE(h.first.ts && h.last.ts);
  // The reports have no delay=: the stall starts at the first one (ms).
  EXPECT_NEAR(*h.first.ts, 101.439, 1e-9);
  // The sysrq-f OOM kill at 302.6 s did not end it: 4, then 7 tasks still
  // stall (the victim cannot exit: the livelock below). The log has
  // "(...snipped...)" gaps, so its end is not in the log.
  EXPECT_DOUBLE_EQ(*h.last.ts, 392.704028);
  EXPECT_EQ(*detail<std::int64_t>(h, "stalling_first"), 10);
  EXPECT_EQ(*detail<std::int64_t>(h, "stalling_max"), 16);
  EXPECT_EQ(*detail<std::string>(h, "ended_by"), "unknown");
  EXPECT_DOUBLE_EQ(*detail<double>(h, "sysrq_oom_ts"), 289.343187);
  EXPECT_EQ(h.title,
            "silent hang: no progress for 291 s (up to 16 task(s) blocked on alloc), end unknown: the log lost lines "
            "(printk ratelimit, snipped)");
  // Silent: the first OOM line comes 188 s into it, past the 30 s threshold.
  for (const OomEvent& e : r.oom_events) EXPECT_GE(*e.first.ts, *h.first.ts + 30);
}

TEST(Seed003, LivelockNamesVictimLockWaitersHolderAndHog) {
  Report r = seed("003_");
  auto ll = findings_of(r, VerdictClass::oom_livelock);
  ASSERT_EQ(ll.size(), 1u);
  const Finding& f = *ll[0];
  EXPECT_DOUBLE_EQ(*f.first.ts, 380.039897);
  EXPECT_DOUBLE_EQ(*f.last.ts, 601.384337);
  ASSERT_TRUE(f.lock);
  EXPECT_EQ(f.lock->name, "mmap_sem");
  EXPECT_EQ(f.lock->mode, "write");
  EXPECT_EQ(f.lock->write_waiters, (std::vector<int>{3418, 3424}));
  EXPECT_EQ(f.lock->read_waiters, (std::vector<int>{3420, 3421, 3422, 3423, 3425, 3426, 3427}));
  EXPECT_EQ(f.lock->holders, (std::vector<int>{3428}));

  const TaskRole* victim = role_of(f, 3418);
  ASSERT_NE(victim, nullptr);
  EXPECT_EQ(victim->role, "victim");
  EXPECT_EQ(victim->comm, "a.out");
  EXPECT_EQ(victim->state, 'D');
  EXPECT_EQ(victim->wait, "mmap_sem write");
  EXPECT_EQ(victim->where, "vm_munmap");

  for (int pid : {3420, 3421, 3422, 3423, 3425, 3426, 3427}) {
    const TaskRole* t = role_of(f, pid);
    ASSERT_NE(t, nullptr) << pid;
    EXPECT_EQ(t->role, "waiter");
    EXPECT_EQ(t->wait, "mmap_sem read");
    EXPECT_EQ(t->where, "__do_page_fault");
  }
  const TaskRole* holder = role_of(f, 3428);
  ASSERT_NE(holder, nullptr);
  EXPECT_EQ(holder->role, "holder");
  EXPECT_EQ(holder->where, "filemap_fault");

  const TaskRole* hog = role_of(f, 3417);
  ASSERT_NE(hog, nullptr);
  EXPECT_EQ(hog->role, "hog");
  EXPECT_EQ(hog->state, 'R');
  EXPECT_EQ(hog->wait, "allocator");

  // The /proc/3418/stat reader (pid 3419) is running in pread64 in this dump.
  const TaskRole* reader = role_of(f, 3419);
  ASSERT_NE(reader, nullptr);
  EXPECT_EQ(reader->state, 'R');
  EXPECT_EQ(reader->wait, "running");
  EXPECT_NEAR(*detail<double>(f, "victim_stuck_s"), 601.165254 - 380.130392, 1e-6);
}

TEST(Seed003, OomEventsAndTaskTable) {
  Report r = seed("003_");
  ASSERT_EQ(r.oom_events.size(), 2u);
  const OomEvent& sysrq = r.oom_events[0];
  ASSERT_TRUE(sysrq.invoker);
  EXPECT_EQ(sysrq.invoker->comm, "kworker/3:2");
  EXPECT_EQ(sysrq.gfp, "0x24000c0");
  EXPECT_EQ(sysrq.order, -1);
  EXPECT_TRUE(sysrq.sysrq);
  EXPECT_FALSE(sysrq.victim);

  const OomEvent& e = r.oom_events[1];
  ASSERT_TRUE(e.selected && e.victim && e.killed);
  EXPECT_EQ(e.selected->pid, 3417);
  EXPECT_EQ(e.selected_score, 890);
  EXPECT_EQ(e.victim->pid, 3418);
  EXPECT_EQ(e.victim->comm, "a.out");
  EXPECT_EQ(e.victim_total_vm_kb, 4324u);
  EXPECT_EQ(e.victim_anon_rss_kb, 96u);
  EXPECT_EQ(e.victim_file_rss_kb, 0u);
  EXPECT_DOUBLE_EQ(*e.killed->ts, 380.130392);
  EXPECT_FALSE(e.resolved_ms);
  EXPECT_EQ(e.table_columns, (std::vector<std::string>{"pid", "uid", "tgid", "total_vm", "rss", "nr_ptes", "nr_pmds",
                                                        "swapents", "oom_score_adj", "name"}));
  ASSERT_EQ(e.table.size(), 36u);
  const TaskTableRow& journal = e.table.front();
  EXPECT_EQ(journal.pid, 467);
  EXPECT_EQ(journal.name, "systemd-journal");
  EXPECT_EQ(journal.total_vm, 14047u);
  EXPECT_EQ(journal.rss, 1815u);
  const TaskTableRow& hog = e.table[33];
  EXPECT_EQ(hog.pid, 3417);
  EXPECT_EQ(hog.uid, 1000);
  EXPECT_EQ(hog.rss, 397587u);
  EXPECT_EQ(hog.nr_ptes, 787u);
  EXPECT_EQ(hog.nr_pmds, 6u);
  EXPECT_EQ(hog.oom_score_adj, 0);
  EXPECT_EQ(e.table[1].oom_score_adj, -1000);
  EXPECT_EQ(e.table[12].oom_score_adj, -900);
}

TEST(Seed003, MemAllocSeries2015) {
  Report r = seed("003_");
  const auto& s = r.memalloc.series;
  ASSERT_EQ(s.size(), 8u);
  const double ts[] = {101.438951, 111.817922, 122.281828, 132.793724, 143.336154, 292.065650, 302.690047, 392.704028};
  const int stalling[] = {10, 12, 13, 14, 16, 16, 4, 7};
  const int dying[] = {0, 0, 0, 0, 0, 0, 0, 10};
  const int victim[] = {0, 0, 0, 0, 0, 0, 0, 1};
  for (std::size_t i = 0; i < s.size(); ++i) {
    EXPECT_DOUBLE_EQ(*s[i].at.ts, ts[i]) << i;
    EXPECT_EQ(s[i].stalling, stalling[i]) << i;
    EXPECT_EQ(s[i].dying, dying[i]) << i;
    EXPECT_EQ(s[i].victim, victim[i]) << i;
    EXPECT_EQ(s[i].format, "2015");
    EXPECT_EQ(s[i].source, "kernel");
    EXPECT_FALSE(s[i].exiting);
  }
  EXPECT_EQ(r.memalloc.max_stalling, 16);
}

TEST(Seed003, SysrqTaskDumpParsed) {
  Report r = seed("003_");
  ASSERT_EQ(r.tasks.size(), 12u);
  const Task* v = task_of(r, 3418);
  ASSERT_NE(v, nullptr);
  EXPECT_EQ(v->comm, "a.out");
  EXPECT_EQ(v->state, 'D');
  EXPECT_EQ(v->ppid, 3417);
  EXPECT_EQ(v->flags, "0x00100084");
  ASSERT_EQ(v->frames.size(), 8u);
  EXPECT_EQ(v->frames[1].func, "rwsem_down_write_failed");
  EXPECT_EQ(v->frames[1].offset, 0x1fbu);
  EXPECT_EQ(v->frames[1].size, 0x350u);
  EXPECT_TRUE(v->frames[1].reliable);
  EXPECT_EQ(v->frames[2].func, "call_rwsem_down_read_failed");
  EXPECT_FALSE(v->frames[2].reliable);
  const Task* hog = task_of(r, 3417);
  ASSERT_NE(hog, nullptr);
  EXPECT_EQ(hog->state, 'R');
  EXPECT_EQ(hog->frames.size(), 16u);
}

TEST(Seed000, WarningWithSyzbotTitle) {
  Report r = seed("000_");
  EXPECT_EQ(r.verdict, VerdictClass::warning);
  EXPECT_EQ(r.title, "WARNING in alloc_arch_preferred_bootmem");
  ASSERT_EQ(r.findings.size(), 1u);
  const Finding& f = r.findings[0];
  EXPECT_EQ(*detail<std::string>(f, "location"), "mm/bootmem.c:535");
  ASSERT_EQ(f.tasks.size(), 1u);
  EXPECT_EQ(f.tasks[0].comm, "swapper");
  EXPECT_EQ(f.first.line, 24u);
  EXPECT_EQ(f.last.line, 40u);   // "---[ end trace ... ]---"
  EXPECT_TRUE(r.oom_events.empty());
}

TEST(Seed001And002, NothingFound) {
  for (const char* p : {"001_", "002_"}) {
    Report r = seed(p);
    EXPECT_EQ(r.verdict, VerdictClass::clean) << p;
    EXPECT_TRUE(r.findings.empty()) << p;
    EXPECT_TRUE(r.oom_events.empty()) << p;
    EXPECT_TRUE(r.memalloc.series.empty()) << p;
    EXPECT_TRUE(r.tasks.empty()) << p;
  }
}

}  // namespace
}  // namespace oomlab::analyzer::test
