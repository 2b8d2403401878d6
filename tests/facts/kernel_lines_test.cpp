#include <gtest/gtest.h>

#include "oomlab/facts/kernel_lines.hpp"

using namespace oomlab::facts;

TEST(KernelLines, KilledProcessModernAndMemcgForms) {
  auto k = parse_killed_process(
      "Memory cgroup out of memory: Killed process 16434 (oomlab-thog) total-vm:36820kB, anon-rss:33732kB, "
      "file-rss:1280kB, shmem-rss:0kB, UID:0 pgtables:112kB oom_score_adj:0");
  ASSERT_TRUE(k);
  EXPECT_EQ(k->pid, 16434);
  EXPECT_EQ(k->comm, "oomlab-thog");
  EXPECT_EQ(k->anon_rss_kb, 33732u);
  auto old = parse_killed_process("Killed process 3418 (a.out) total-vm:2099004kB, anon-rss:1752kB, file-rss:4kB");
  ASSERT_TRUE(old);
  EXPECT_EQ(old->pid, 3418);
  EXPECT_EQ(old->comm, "a.out");
  // A comm with spaces and parentheses.
  auto odd = parse_killed_process("Out of memory: Killed process 7 (a (b) c) total-vm:1kB, anon-rss:2kB");
  ASSERT_TRUE(odd);
  EXPECT_EQ(odd->comm, "a (b) c");
  EXPECT_FALSE(parse_killed_process("oom_reaper: reaped process 3418 (a.out)"));
  EXPECT_FALSE(parse_killed_process("Killed process x"));
}

TEST(KernelLines, OomKillLineMustNameOurGroup) {
  const char* line =
      "oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),cpuset=/,mems_allowed=0,oom_memcg=/oomlab/repro-1-2-1,"
      "task_memcg=/oomlab/repro-1-2-1,task=oomlab-thog,pid=16434,uid=0";
  EXPECT_EQ(parse_oom_kill_in_group(line, "oomlab/repro-1-2-1"), 16434);
  EXPECT_FALSE(parse_oom_kill_in_group(line, "oomlab/repro-1-2-11"));  // a prefix is not our group
  EXPECT_FALSE(parse_oom_kill_in_group(line, "oomlab/repro-1-2"));
  EXPECT_FALSE(parse_oom_kill_in_group(line, ""));
  EXPECT_FALSE(parse_oom_kill_in_group("Killed process 1 (x)", "oomlab/repro-1-2-1"));
}

TEST(KernelLines, ParsedSummaryAnswersInGroupByEitherMemcg) {
  // A task in a child group killed by its parent's limit: the parent (oom_memcg)
  // and the child (task_memcg) both own the kill; their siblings do not.
  auto s = parse_oom_kill_summary(
      "oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),cpuset=/,mems_allowed=0,oom_memcg=/job,"
      "task_memcg=/job/worker,task=w,pid=9,uid=0");
  ASSERT_TRUE(s);
  EXPECT_TRUE(s->in_group("job"));
  EXPECT_TRUE(s->in_group("job/worker"));
  EXPECT_FALSE(s->in_group("job/work"));
  EXPECT_FALSE(s->in_group("jobs"));
  EXPECT_FALSE(s->in_group(""));
}

TEST(KernelLines, KilledProcessAllSizesAndTheOldSelectionLine) {
  auto k = parse_killed_process(
      "Out of memory: Killed process 3418 (a.out) total-vm:4324kB, anon-rss:96kB, file-rss:8kB, shmem-rss:12kB, "
      "UID:0 pgtables:48kB oom_score_adj:0");
  ASSERT_TRUE(k);
  EXPECT_EQ(k->total_vm_kb, 4324u);
  EXPECT_EQ(k->file_rss_kb, 8u);
  EXPECT_EQ(k->shmem_rss_kb, 12u);
  EXPECT_FALSE(k->selection_only);
  auto sel = parse_killed_process("Out of memory: Kill process 3417 (a.out) score 890 or sacrifice child");
  ASSERT_TRUE(sel);
  EXPECT_EQ(sel->pid, 3417);
  EXPECT_EQ(sel->comm, "a.out");
  EXPECT_TRUE(sel->selection_only);
}

TEST(KernelLines, OomKillSummaryKeys) {
  auto s = parse_oom_kill_summary(
      "oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),cpuset=/,mems_allowed=0,oom_memcg=/a/b,task_memcg=/a/b/c,"
      "task=x,pid=77,uid=0");
  ASSERT_TRUE(s);
  EXPECT_EQ(s->pid, 77);
  EXPECT_EQ(s->oom_memcg, "/a/b");
  EXPECT_EQ(s->task_memcg, "/a/b/c");
  // 4.19 prints no memcg keys: the pid still counts.
  auto old = parse_oom_kill_summary("oom-kill:constraint=CONSTRAINT_NONE,nodemask=(null),cpuset=/,mems_allowed=0,"
                                    "global_oom,task_memcg=/,task=a.out,pid=12,uid=0");
  ASSERT_TRUE(old);
  EXPECT_EQ(old->pid, 12);
  EXPECT_EQ(old->oom_memcg, "");
  EXPECT_FALSE(parse_oom_kill_summary("oom-kill:constraint=CONSTRAINT_NONE"));
  // Below the group counts as the group.
  EXPECT_EQ(parse_oom_kill_in_group("oom-kill:constraint=CONSTRAINT_MEMCG,oom_memcg=/a/b,task_memcg=/a/b/c,task=x,pid=77,uid=0", "a/b"), 77);
}

TEST(KernelLines, ReaperLine) {
  EXPECT_EQ(parse_oom_reaped("oom_reaper: reaped process 3418 (a.out), now anon-rss:0kB, file-rss:0kB, shmem-rss:0kB"),
            3418);
  EXPECT_FALSE(parse_oom_reaped("oom_reaper: reaped process x"));
}

TEST(KernelLines, RatelimitSuppressed) {
  auto s = parse_ratelimit_suppressed("printk: oomlab-watchdog: 111 output lines suppressed due to ratelimiting");
  ASSERT_TRUE(s);
  EXPECT_EQ(s->who, "oomlab-watchdog");
  EXPECT_EQ(s->lines, 111u);
  auto cb = parse_ratelimit_suppressed("warn_alloc: 23 callbacks suppressed");
  ASSERT_TRUE(cb);
  EXPECT_EQ(cb->who, "warn_alloc");
  EXPECT_EQ(cb->lines, 23u);
  EXPECT_FALSE(parse_ratelimit_suppressed("printk: x: many output lines suppressed due to ratelimiting"));
  EXPECT_FALSE(parse_ratelimit_suppressed("Killed process 1 (x)"));
}
