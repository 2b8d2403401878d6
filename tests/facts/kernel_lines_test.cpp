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

// The forms the analyzer's OOM recognizers met in real logs, 2.6.3x .. 6.x,
// now read here for every tool.
TEST(KernelLines, EveryKernelsKillLine) {
  // 2.6.32: lower-case selection, vsz: instead of total-vm:, no shmem-rss:.
  auto sel = parse_killed_process("Out of memory: kill process 2592 (httpd) score 1016 or a child");
  ASSERT_TRUE(sel);
  EXPECT_TRUE(sel->selection_only);
  EXPECT_EQ(sel->pid, 2592);
  EXPECT_EQ(sel->comm, "httpd");
  EXPECT_EQ(sel->score, 1016);
  auto k = parse_killed_process("Killed process 2603 (httpd) vsz:350604kB, anon-rss:27696kB, file-rss:84kB");
  ASSERT_TRUE(k);
  EXPECT_EQ(k->total_vm_kb, 350604u);
  EXPECT_EQ(k->anon_rss_kb, 27696u);
  EXPECT_FALSE(k->shmem_rss_kb);   // not printed: unknown, not 0
  EXPECT_FALSE(k->uid);
  // 5.x+: UID and page tables.
  auto m = parse_killed_process("Out of memory: Killed process 1234 (stress) total-vm:1056772kB, anon-rss:1048600kB, "
                                "file-rss:4kB, shmem-rss:0kB, UID:1000 pgtables:2100kB oom_score_adj:0");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->uid, 1000);
  EXPECT_EQ(m->pgtables_kb, 2100u);
  EXPECT_EQ(m->shmem_rss_kb, 0u);
  // A comm holding ") ": the comm ends at the LAST ") ".
  auto odd = parse_killed_process("Killed process 9 (a) b) total-vm:1kB, anon-rss:2kB, file-rss:0kB");
  ASSERT_TRUE(odd);
  EXPECT_EQ(odd->comm, "a) b");
  EXPECT_EQ(odd->anon_rss_kb, 2u);
  // Not a kill line: no comm, a pid out of range, digits glued to text.
  EXPECT_FALSE(parse_killed_process("Killed process 12"));
  EXPECT_FALSE(parse_killed_process("Killed process 99999999999 (x) total-vm:1kB"));
  EXPECT_FALSE(parse_killed_process("Killed process 12abc (x) total-vm:1kB"));
  EXPECT_FALSE(parse_killed_process("Killed process 12 (x"));
}

TEST(KernelLines, ReaperSuccessAndFailure) {
  auto r = parse_oom_reaper("oom_reaper: reaped process 3418 (a.out), now anon-rss:0kB, file-rss:0kB, shmem-rss:0kB");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->pid, 3418);
  EXPECT_EQ(r->comm, "a.out");
  EXPECT_FALSE(r->failed);
  auto f = parse_oom_reaper("oom_reaper: unable to reap pid:3418 (a.out)");
  ASSERT_TRUE(f);
  EXPECT_TRUE(f->failed);
  EXPECT_EQ(f->comm, "a.out");
  EXPECT_FALSE(parse_oom_reaped("oom_reaper: unable to reap pid:3418 (a.out)"));   // a failure is no reap
  auto comma = parse_oom_reaper("oom_reaper: reaped process 5 (x), y), now anon-rss:0kB, file-rss:0kB");
  ASSERT_TRUE(comma);
  EXPECT_EQ(comma->comm, "x), y");
  EXPECT_FALSE(parse_oom_reaper("oom_reaper: started"));
}

TEST(KernelLines, OomKillKeysOfACutLine) {
  auto s = parse_oom_kill_keys("oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),cpuset=/,mems_allowed=0,oom_memcg=/g");
  ASSERT_TRUE(s);
  EXPECT_EQ(s->pid, 0);
  EXPECT_EQ(s->constraint, "CONSTRAINT_MEMCG");
  EXPECT_EQ(s->nodemask, "(null)");
  EXPECT_EQ(s->cpuset, "/");
  EXPECT_EQ(s->oom_memcg, "/g");
  EXPECT_FALSE(parse_oom_kill_summary("oom-kill:constraint=CONSTRAINT_MEMCG,oom_memcg=/g"));   // no pid: no summary
  auto t = parse_oom_kill_summary("oom-kill:constraint=CONSTRAINT_NONE,nodemask=(null),cpuset=/,mems_allowed=0,"
                                  "global_oom,task_memcg=/user.slice,task=Web Content,pid=4242,uid=1000");
  ASSERT_TRUE(t);
  EXPECT_EQ(t->task, "Web Content");
  EXPECT_EQ(t->pid, 4242);
}
