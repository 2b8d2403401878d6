#include "oomlab/repro/kernel_log.hpp"
#include "oomlab/repro/sampler.hpp"

#include <gtest/gtest.h>

using namespace oomlab::repro;

TEST(KernelLog, KilledProcessModernAndMemcgForms) {
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

TEST(KernelLog, OomKillLineMustNameOurGroup) {
  const char* line =
      "oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),cpuset=/,mems_allowed=0,oom_memcg=/oomlab/repro-1-2-1,"
      "task_memcg=/oomlab/repro-1-2-1,task=oomlab-thog,pid=16434,uid=0";
  EXPECT_EQ(parse_oom_kill_in_group(line, "oomlab/repro-1-2-1"), 16434);
  EXPECT_FALSE(parse_oom_kill_in_group(line, "oomlab/repro-1-2-11"));  // a prefix is not our group
  EXPECT_FALSE(parse_oom_kill_in_group(line, "oomlab/repro-1-2"));
  EXPECT_FALSE(parse_oom_kill_in_group(line, ""));
  EXPECT_FALSE(parse_oom_kill_in_group("Killed process 1 (x)", "oomlab/repro-1-2-1"));
}

TEST(Sampler, StatStateSurvivesHostileComm) {
  EXPECT_EQ(parse_stat_state("123 (a) b) D 1 2 3"), 'D');
  EXPECT_EQ(parse_stat_state("123 (bash) S 1"), 'S');
  EXPECT_EQ(parse_stat_state("garbage"), '?');
  EXPECT_EQ(parse_stat_state("1 (x)"), '?');
}

TEST(Sampler, WaitSymbolPrefersWchanThenTheFirstNonSchedulerFrame) {
  EXPECT_EQ(wait_symbol("rwsem_down_read_slowpath", ""), "rwsem_down_read_slowpath");
  EXPECT_EQ(wait_symbol("0", "[<0>] __schedule+0x2f0/0x8b0\n[<0>] schedule+0x5e/0xd0\n"
                             "[<0>] rwsem_down_write_slowpath+0x2a4/0x6b0\n[<0>] vm_munmap+0x6f/0x120\n"),
            "rwsem_down_write_slowpath");
  EXPECT_EQ(wait_symbol("", ""), "");
}
