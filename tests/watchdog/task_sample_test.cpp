#include <gtest/gtest.h>

#include "oomlab/watchdog/stall_patterns.hpp"
#include "oomlab/watchdog/task_sample.hpp"

using namespace oomlab::watchdog;

// A real 6.x stat line (52 fields) with a hostile comm.
static const char kStat[] =
    "4242 (a) b) (c) D 1 4242 4242 0 -1 4194560 1234 0 5 0 10 20 0 0 20 0 3 0 987654 123456789 2560 "
    "18446744073709551615 1 1 0 0 0 256 0 0 0 0 0 0 17 1 0 0 77 0 0 0 0 0 0 0 0 0 0\n";

TEST(ParseStat, FieldsAndAHostileComm) {
  TaskSample t;
  ASSERT_TRUE(parse_stat(kStat, t));
  EXPECT_EQ(t.tid, 4242);
  EXPECT_STREQ(t.comm, "a) b) (c");
  EXPECT_EQ(t.state, 'D');
  EXPECT_EQ(t.flags, 4194560u);
  EXPECT_EQ(t.num_threads, 3);
  EXPECT_EQ(t.starttime, 987654u);
  EXPECT_EQ(t.rss_pages, 2560u);
  EXPECT_EQ(t.sigpending, 256u);
  EXPECT_TRUE(t.dying());
  EXPECT_FALSE(t.exiting());
  EXPECT_FALSE(t.kernel_thread());
  EXPECT_EQ(t.blkio_ticks, 77u);
}

TEST(ParseStat, RejectsGarbage) {
  TaskSample t;
  EXPECT_FALSE(parse_stat("", t));
  EXPECT_FALSE(parse_stat("12 no parens S 1", t));
  EXPECT_FALSE(parse_stat("12 (x) ", t));
  EXPECT_FALSE(parse_stat("12 (x) S 1 2 3", t));  // truncated before rss
}

TEST(ParseStat, KernelThreadFlag) {
  TaskSample t;
  ASSERT_TRUE(parse_stat("2 (kthreadd) S 0 0 0 0 -1 2129984 0 0 0 0 0 0 0 0 20 0 1 0 0 0 0 0", t));
  EXPECT_TRUE(t.kernel_thread());
}

TEST(StallPatterns, WchanSymbols) {
  EXPECT_EQ(classify_symbol("vm_mmap_pgoff"), StallKind::MmapLock);
  EXPECT_EQ(classify_symbol("__vm_munmap"), StallKind::MmapLock);
  EXPECT_EQ(classify_symbol("try_to_free_mem_cgroup_pages"), StallKind::Reclaim);
  EXPECT_EQ(classify_symbol("shrink_folio_list+0x1c/0x40"), StallKind::Reclaim);
  EXPECT_EQ(classify_symbol("__alloc_pages_slowpath"), StallKind::Alloc);
  EXPECT_EQ(classify_symbol("folio_wait_bit_common"), StallKind::Io);
  EXPECT_EQ(classify_symbol("do_select"), StallKind::None);
  EXPECT_EQ(classify_symbol("0"), StallKind::None);
  EXPECT_EQ(classify_symbol(""), StallKind::None);
}

TEST(StallPatterns, InnermostClassifiedFrameWins) {
  const char* stack =
      "[<0>] request_wait_answer+0x16a/0x290\n"
      "[<0>] shrink_node+0x301/0x3b0\n"
      "[<0>] filemap_fault+0x691/0x1700\n"
      "[<0>] __access_remote_vm+0xee/0x440\n";
  EXPECT_EQ(classify_stack(stack), StallKind::Reclaim);
  EXPECT_EQ(classify_stack("[<0>] rwsem_down_write_slowpath+0x1/0x2\n[<0>] vm_mmap_pgoff+0x1/0x2\n"),
            StallKind::MmapLock);
  EXPECT_EQ(classify_stack("[<0>] do_nanosleep+0x1/0x2\n[<0>] hrtimer_nanosleep+0x1/0x2"), StallKind::None);
  EXPECT_EQ(classify_stack(""), StallKind::None);
}
