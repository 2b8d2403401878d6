#include "oomlab/repro/sampler.hpp"

#include <gtest/gtest.h>

using namespace oomlab::repro;

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

// Which kernel OOM kills belong to a run. Records as /dev/kmsg gives them;
// the lines are this host's (6.18) from shmem-fill and pipe-fill runs.
#include "oomlab/common/kmsg.hpp"
#include "oomlab/repro/kernel_log.hpp"

namespace {
oomlab::KmsgRecord rec(std::uint64_t usec, std::string msg) {
  oomlab::KmsgRecord r;
  r.level = 3, r.seq = usec, r.usec = usec, r.message = std::move(msg);
  return r;
}
const char* kOurs = "oomlab/repro-20076-842407-1";
}  // namespace

TEST(KernelLogWatch, KillsNamedForOurGroupCount) {
  KernelLogWatch w(0, kOurs);
  w.feed(rec(1000000, "oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),cpuset=/,mems_allowed=0,"
                      "oom_memcg=/oomlab/repro-20076-842407-1,task_memcg=/oomlab/repro-20076-842407-1,"
                      "task=shmem-filler,pid=20078,uid=0"),
         {});
  w.feed(rec(1000100, "Memory cgroup out of memory: Killed process 20078 (shmem-filler) total-vm:42708kB, "
                      "anon-rss:1024kB, file-rss:1432kB, shmem-rss:57344kB, UID:0 pgtables:124kB oom_score_adj:0"),
         {});
  ASSERT_EQ(w.kills().size(), 1u);
  EXPECT_EQ(w.kills()[0].pid, 20078);
  EXPECT_EQ(w.kills()[0].comm, "shmem-filler");
  EXPECT_EQ(w.kills()[0].t_ms, 1000);
  EXPECT_EQ(w.lines().size(), 2u);
}

// The report header (with its oom-kill: line) is ratelimited: right after
// another group's burst of kills, ours come as a bare "Killed process" line.
// A victim we sampled in our group is ours; one the header gave to another
// group is not, even with a pid we once saw (reused).
TEST(KernelLogWatch, KillWithoutItsRatelimitedHeaderIsOursWhenWeSampledThePid) {
  KernelLogWatch w(0, kOurs);
  const std::set<pid_t> sampled{20077, 20078, 20079};
  w.feed(rec(500000, "oom_kill_process: 14 callbacks suppressed"), sampled);
  w.feed(rec(1000000, "Memory cgroup out of memory: Killed process 20078 (shmem-filler) total-vm:42708kB, "
                      "anon-rss:1024kB, file-rss:1432kB, shmem-rss:57344kB, UID:0 pgtables:124kB oom_score_adj:0"),
         sampled);
  w.feed(rec(1100000, "Memory cgroup out of memory: Killed process 31000 (pipe-victim) total-vm:36372kB, "
                      "anon-rss:9584kB, file-rss:988kB, shmem-rss:0kB, UID:0 pgtables:80kB oom_score_adj:0"),
         sampled);
  w.feed(rec(1200000, "oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),cpuset=/,mems_allowed=0,"
                      "oom_memcg=/oomlab/repro-999-1-1,task_memcg=/oomlab/repro-999-1-1,task=pipe-victim,pid=20079,uid=0"),
         sampled);
  w.feed(rec(1200100, "Memory cgroup out of memory: Killed process 20079 (pipe-victim) total-vm:36372kB, "
                      "anon-rss:9584kB, file-rss:988kB, shmem-rss:0kB, UID:0 pgtables:80kB oom_score_adj:0"),
         sampled);
  w.feed(rec(1300000, "oom_reaper: reaped process 31000 (pipe-victim), now anon-rss:0kB, file-rss:0kB, shmem-rss:0kB"),
         sampled);
  ASSERT_EQ(w.kills().size(), 1u) << "ours: 20078 only (31000 never ours, 20079 given to another group)";
  EXPECT_EQ(w.kills()[0].pid, 20078);
  // The slice keeps our header-less kill; another group's header-less kill
  // and its reaper line stay out (the analyzer would read a kill into our run).
  std::string slice;
  for (const auto& l : w.lines()) slice += l.text + "\n";
  EXPECT_NE(slice.find("Killed process 20078"), std::string::npos) << slice;
  EXPECT_EQ(slice.find("31000"), std::string::npos) << slice;
  EXPECT_EQ(slice.find("20079"), std::string::npos) << slice;  // its summary named another group
  EXPECT_NE(slice.find("callbacks suppressed"), std::string::npos) << slice;
}

TEST(KernelLogWatch, OldKernelSummaryWithoutMemcgsDoesNotDisownOurVictim) {
  KernelLogWatch w(0, kOurs);
  w.feed(rec(1000000, "oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),cpuset=/,mems_allowed=0,task=hog,pid=42,uid=0"),
         {42});
  w.feed(rec(1000100, "Memory cgroup out of memory: Killed process 42 (hog) total-vm:1kB, anon-rss:1kB, "
                      "file-rss:0kB, shmem-rss:0kB"),
         {42});
  EXPECT_EQ(w.kills().size(), 1u);
}

// A concurrent run's OOM reports (another group) come between ours: the
// slice keeps our reports and every line that belongs to no report, and
// leaves theirs out (and the reaper's line for their victim).
TEST(KernelLogWatch, SliceKeepsOnlyOurGroupsOomReports) {
  KernelLogWatch w(0, kOurs);
  const char* theirs = "oomlab/repro-30001-900000-1";
  auto report = [&](std::uint64_t t, const std::string& group, int pid, const char* comm) {
    w.feed(rec(t, std::string(comm) + " invoked oom-killer: gfp_mask=0xcc0(GFP_KERNEL), order=0, oom_score_adj=0"), {});
    w.feed(rec(t + 1, "CPU: 1 PID: " + std::to_string(pid) + " Comm: " + comm + " Not tainted 6.18.0 #1"), {});
    w.feed(rec(t + 2, "memory: usage 131072kB, limit 131072kB, failcnt 77"), {});
    w.feed(rec(t + 3, "oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),cpuset=/,mems_allowed=0,oom_memcg=/" + group +
                          ",task_memcg=/" + group + ",task=" + comm + ",pid=" + std::to_string(pid) + ",uid=0"),
           {});
    w.feed(rec(t + 4, "Memory cgroup out of memory: Killed process " + std::to_string(pid) + " (" + comm +
                          ") total-vm:42708kB, anon-rss:1024kB, file-rss:1432kB, shmem-rss:0kB, UID:0 pgtables:124kB oom_score_adj:0"),
           {});
  };
  w.feed(rec(1000, "fuse: init (API version 7.38)"), {});
  report(2000, theirs, 30005, "their-hog");
  w.feed(rec(2100, "oom_reaper: reaped process 30005 (their-hog), now anon-rss:0kB, file-rss:0kB, shmem-rss:0kB"), {});
  report(3000, kOurs, 20078, "our-hog");
  w.feed(rec(3100, "oom_reaper: reaped process 20078 (our-hog), now anon-rss:0kB, file-rss:0kB, shmem-rss:0kB"), {});
  report(4000, theirs, 30006, "their-hog");
  w.feed(rec(5000, "oomlab-watchdog[7]: MemAlloc-Info: stalling=1 dying=0 exiting=0 victim=0 oom_count=1"), {});
  w.finish();

  std::string slice;
  for (const auto& l : w.lines()) slice += l.text + "\n";
  EXPECT_EQ(w.lines().size(), 8u) << slice;  // fuse, our 5-line report, our reaper line, the watchdog line
  EXPECT_EQ(slice.find("their-hog"), std::string::npos) << slice;
  EXPECT_EQ(slice.find("30005"), std::string::npos) << slice;
  EXPECT_NE(slice.find("our-hog invoked oom-killer"), std::string::npos) << slice;
  EXPECT_NE(slice.find("Killed process 20078 (our-hog)"), std::string::npos) << slice;
  EXPECT_NE(slice.find("fuse: init"), std::string::npos) << slice;
  EXPECT_NE(slice.find("MemAlloc-Info"), std::string::npos) << slice;
  EXPECT_EQ(w.other_groups_lines(), 11u);  // their two 5-line reports and one reaper line
  ASSERT_EQ(w.kills().size(), 1u);
  EXPECT_EQ(w.kills()[0].pid, 20078);
}

// A report whose oom-kill: line names no memcg (4.x kernels) cannot be
// told apart: it stays, and so does a report cut off at the end of the run.
TEST(KernelLogWatch, SliceKeepsReportsItCannotAttribute) {
  KernelLogWatch w(0, kOurs);
  w.feed(rec(1000, "a.out invoked oom-killer: gfp_mask=0x24280ca, order=0, oom_score_adj=0"), {});
  w.feed(rec(1001, "Memory cgroup out of memory: Kill process 3418 (a.out) score 999 or sacrifice child"), {});
  w.feed(rec(1002, "Killed process 3418 (a.out) total-vm:4324kB, anon-rss:96kB, file-rss:0kB"), {});
  w.feed(rec(2000, "b.out invoked oom-killer: gfp_mask=0x24280ca, order=0, oom_score_adj=0"), {});
  w.feed(rec(2001, "Mem-Info:"), {});
  EXPECT_EQ(w.lines().size(), 3u);  // the second report is still held
  w.finish();
  EXPECT_EQ(w.lines().size(), 5u);
  EXPECT_EQ(w.other_groups_lines(), 0u);
}
