#include <gtest/gtest.h>

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

