// OOM killer reports from 2.6.36 to 6.8, one fixture per printk generation.
#include <gtest/gtest.h>

#include "helpers.hpp"

namespace oomlab::analyzer::test {
namespace {

TEST(Oom, Kernel2_6_36OldColumnsNoTimestamps) {
  Report r = fixture("oom_2.6.36_old.txt");
  EXPECT_EQ(r.input.format, "plain");
  ASSERT_EQ(r.oom_events.size(), 1u);
  const OomEvent& e = r.oom_events[0];
  EXPECT_EQ(e.invoker->comm, "a.out");
  EXPECT_EQ(e.invoker->pid, 4120);   // from "Pid: 4120, comm: a.out"
  EXPECT_EQ(e.gfp, "0x201da");
  EXPECT_EQ(e.gfp_flags, "");
  EXPECT_EQ(e.order, 0);
  EXPECT_EQ(e.oom_score_adj, 0);
  EXPECT_EQ(e.table_columns, (std::vector<std::string>{"pid", "uid", "tgid", "total_vm", "rss", "cpu", "oom_adj",
                                                        "oom_score_adj", "name"}));
  ASSERT_EQ(e.table.size(), 4u);
  EXPECT_EQ(e.table[1].oom_score_adj, -1000);
  EXPECT_EQ(e.table[3].rss, 500001u);
  EXPECT_EQ(e.selected_score, 950);
  EXPECT_EQ(e.victim->pid, 4120);
  EXPECT_EQ(e.victim_anon_rss_kb, 2000000u);
  EXPECT_FALSE(e.victim_shmem_rss_kb);
  EXPECT_FALSE(e.invoked->ts);
  EXPECT_FALSE(e.resolved_ms);   // no clock, no latency
  EXPECT_EQ(e.resolved_by, "kill");
  EXPECT_EQ(r.verdict, VerdictClass::oom_resolved);
}

TEST(Oom, Kernel3_10GlobalOom) {
  Report r = fixture("oom_3.10_global.dmesg");
  ASSERT_EQ(r.oom_events.size(), 1u);
  const OomEvent& e = r.oom_events[0];
  EXPECT_EQ(e.invoker->comm, "stress");
  EXPECT_EQ(e.invoker->pid, 2290);
  EXPECT_EQ(e.gfp, "0x280da");
  EXPECT_DOUBLE_EQ(*e.invoked->ts, 5821.102846);
  EXPECT_EQ(e.table_columns.size(), 9u);
  ASSERT_EQ(e.table.size(), 8u);
  EXPECT_EQ(e.table[7].pid, 2290);
  EXPECT_EQ(e.table[7].nr_ptes, 452u);
  EXPECT_EQ(e.table[7].swapents, 0u);
  EXPECT_FALSE(e.table[7].nr_pmds);
  EXPECT_EQ(e.selected->pid, 2290);
  EXPECT_EQ(e.selected_score, 864);
  EXPECT_EQ(e.victim->comm, "stress");
  EXPECT_EQ(e.victim_total_vm_kb, 1059916u);
  EXPECT_EQ(e.victim_file_rss_kb, 4u);
  EXPECT_EQ(e.resolved_by, "kill");
  EXPECT_NEAR(*e.resolved_ms, (5821.103003 - 5821.102846) * 1000, 1e-6);
  EXPECT_EQ(r.verdict, VerdictClass::oom_resolved);
  EXPECT_EQ(r.title, "OOM kill of stress(2290) resolved in 0 ms");
}

TEST(Oom, Kernel4_9ReaperGivesLatency) {
  Report r = fixture("oom_4.9_reaper.dmesg");
  ASSERT_EQ(r.oom_events.size(), 1u);
  const OomEvent& e = r.oom_events[0];
  EXPECT_EQ(e.gfp, "0x24201ca");
  EXPECT_EQ(e.gfp_flags, "GFP_HIGHUSER_MOVABLE|__GFP_COLD");
  EXPECT_EQ(e.nodemask, "0");
  EXPECT_EQ(e.table_columns[5], "nr_ptes");
  EXPECT_EQ(e.table_columns[6], "nr_pmds");
  EXPECT_EQ(e.table.back().nr_pmds, 5u);
  EXPECT_EQ(e.victim_shmem_rss_kb, 0u);
  ASSERT_TRUE(e.reaped);
  EXPECT_DOUBLE_EQ(*e.reaped->ts, 112.437005);
  EXPECT_EQ(e.resolved_by, "oom_reaper");
  EXPECT_NEAR(*e.resolved_ms, 35.883, 1e-3);
  auto res = findings_of(r, VerdictClass::oom_resolved);
  ASSERT_EQ(res.size(), 1u);
  EXPECT_EQ(res[0]->title, "OOM kill of memhog(4321) resolved in 36 ms");
}

TEST(Oom, Kernel5_10ConstraintLineAndKilledProcessForm) {
  Report r = fixture("oom_5.10_constraint.dmesg");
  ASSERT_EQ(r.oom_events.size(), 1u);
  const OomEvent& e = r.oom_events[0];
  EXPECT_EQ(e.gfp, "0x100cca");
  EXPECT_EQ(e.gfp_flags, "GFP_HIGHUSER_MOVABLE");
  EXPECT_EQ(e.constraint, "CONSTRAINT_NONE");
  EXPECT_EQ(e.nodemask, "(null)");
  EXPECT_EQ(e.cpuset, "/");
  EXPECT_EQ(e.task_memcg, "/user.slice/user-1000.slice/session-2.scope");
  EXPECT_FALSE(e.memcg_oom);
  EXPECT_FALSE(e.selected);   // 5.x prints no "Kill process ... score"
  EXPECT_EQ(e.victim->pid, 2203);
  EXPECT_EQ(e.victim_uid, 1000);
  EXPECT_EQ(e.victim_pgtables_kb, 2052u);
  EXPECT_EQ(e.table_columns[5], "pgtables_bytes");
  ASSERT_EQ(e.table.size(), 5u);
  EXPECT_EQ(e.table[4].pgtables_bytes, 2101248u);
  EXPECT_FALSE(e.table[4].nr_ptes);
  EXPECT_EQ(e.resolved_by, "oom_reaper");
}

TEST(Oom, Kernel6_8MemcgOomFromJournalctl) {
  Report r = fixture("oom_6.8_memcg.journal");
  EXPECT_EQ(r.input.format, "journal");
  ASSERT_EQ(r.oom_events.size(), 1u);
  const OomEvent& e = r.oom_events[0];
  EXPECT_EQ(e.invoker->comm, "stress-ng-vm");
  EXPECT_EQ(e.oom_score_adj, 1000);
  EXPECT_EQ(e.gfp_flags, "GFP_KERNEL");
  EXPECT_TRUE(e.memcg_oom);
  EXPECT_EQ(e.constraint, "CONSTRAINT_MEMCG");
  EXPECT_EQ(e.memcg, "/oomlab/test");
  EXPECT_EQ(e.table_columns.size(), 12u);
  EXPECT_EQ(e.table[1].rss_anon, 64600u);
  EXPECT_EQ(e.table[1].rss_file, 300u);
  EXPECT_EQ(e.table[1].rss_shmem, 0u);
  EXPECT_EQ(e.victim->comm, "stress-ng-vm");
  EXPECT_EQ(e.victim_anon_rss_kb, 258400u);
  EXPECT_EQ(e.resolved_by, "oom_reaper");
  EXPECT_DOUBLE_EQ(*e.resolved_ms, 1000.0);   // journalctl has whole seconds
  EXPECT_EQ(r.title, "memcg OOM kill of stress-ng-vm(5001) resolved in 1000 ms");
}

TEST(Oom, Kernel4_4MemcgOldFormDmesgT) {
  Report r = fixture("oom_4.4_memcg.dmesg-T");
  EXPECT_EQ(r.input.format, "dmesg-T");
  ASSERT_EQ(r.oom_events.size(), 1u);
  const OomEvent& e = r.oom_events[0];
  EXPECT_TRUE(e.memcg_oom);
  EXPECT_EQ(e.task_memcg, "/lxc/box1");
  EXPECT_EQ(e.memcg, "/lxc/box1");
  EXPECT_EQ(e.selected->pid, 777);
  EXPECT_EQ(e.selected_score, 992);
  EXPECT_EQ(e.victim->pid, 777);
  // [Mon Nov 23 09:12:40 2026] as seconds since the epoch (UTC).
  EXPECT_DOUBLE_EQ(*e.invoked->ts, 1795425160.0);
  EXPECT_DOUBLE_EQ(*e.killed->ts, 1795425161.0);
}

TEST(Oom, ReaperUnableToReap) {
  Report r = fixture("oom_4.19_reaper_failed.dmesg");
  EXPECT_EQ(r.verdict, VerdictClass::oom_reaper_failed);
  EXPECT_EQ(r.title, "oom_reaper: unable to reap a.out(9001)");
  ASSERT_EQ(r.oom_events.size(), 1u);
  EXPECT_TRUE(r.oom_events[0].reap_failed);
  EXPECT_EQ(r.oom_events[0].nodemask, "(null)");
  EXPECT_EQ(r.oom_events[0].selected_score, 960);
}

TEST(Oom, SeparateEventsWhenFarApart) {
  Report r = analyze_text(
      "[  10.000000] a invoked oom-killer: gfp_mask=0xcc0(GFP_KERNEL), order=0, oom_score_adj=0\n"
      "[  10.000100] Out of memory: Killed process 11 (a) total-vm:100kB, anon-rss:90kB, file-rss:0kB, shmem-rss:0kB, UID:0 pgtables:4kB oom_score_adj:0\n"
      "[  90.000000] b invoked oom-killer: gfp_mask=0xcc0(GFP_KERNEL), order=0, oom_score_adj=0\n"
      "[  90.000200] Out of memory: Killed process 12 (b) total-vm:100kB, anon-rss:90kB, file-rss:0kB, shmem-rss:0kB, UID:0 pgtables:4kB oom_score_adj:0\n"
      "Killed process 13 (c) total-vm:100kB, anon-rss:90kB, file-rss:0kB\n");
  ASSERT_EQ(r.oom_events.size(), 3u);
  EXPECT_EQ(r.oom_events[0].victim->pid, 11);
  EXPECT_EQ(r.oom_events[1].invoker->comm, "b");
  EXPECT_EQ(r.oom_events[1].victim->pid, 12);
  EXPECT_FALSE(r.oom_events[2].invoked);   // a bare "Killed process" is its own event
  EXPECT_EQ(r.oom_events[2].victim->comm, "c");
  EXPECT_EQ(findings_of(r, VerdictClass::oom_resolved).size(), 3u);
}


// vm.oom_kill_allocating_task=1 (mm/oom_kill.c: oom_kill_process(oc, "Out
// of memory (oom_kill_allocating_task)")): the kill line has its own prefix.
TEST(Oom, KillAllocatingTaskPrefix) {
  Report r = analyze_text(
      "[  200.000000] Out of memory (oom_kill_allocating_task): Killed process 4321 (hog) total-vm:2099004kB, anon-rss:1752kB, "
      "file-rss:4kB, shmem-rss:0kB, UID:0 pgtables:4100kB oom_score_adj:0\n"
      "[  200.010000] oom_reaper: reaped process 4321 (hog), now anon-rss:0kB, file-rss:0kB, shmem-rss:0kB\n");
  ASSERT_EQ(r.oom_events.size(), 1u);
  ASSERT_TRUE(r.oom_events[0].victim);
  EXPECT_EQ(r.oom_events[0].victim->pid, 4321);
  EXPECT_EQ(r.oom_events[0].victim_anon_rss_kb, 1752u);
  ASSERT_TRUE(r.oom_events[0].resolved_ms);
  EXPECT_NEAR(*r.oom_events[0].resolved_ms, 10.0, 0.5);   // the kill to the reap, not the reap alone
}

}  // namespace
}  // namespace oomlab::analyzer::test
