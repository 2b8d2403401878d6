#include <gtest/gtest.h>

#include "oomlab/facts/proc_stat.hpp"

using namespace oomlab::facts;

// A real 6.x stat line (52 fields) with a hostile comm.
TEST(ProcStat, FieldsAndAHostileComm) {
  ProcStat s;
  ASSERT_TRUE(parse_proc_stat("4242 (a) b) (c) D 1 4242 4242 0 -1 4194560 1234 0 5 0 10 20 0 0 20 0 3 0 987654 "
                              "123456789 2560 18446744073709551615 1 1 0 0 0 256 0 0 0 0 0 0 17 1 0 0 77 0 0 0 0 0 0 0 0 0 0\n",
                              s));
  EXPECT_EQ(s.pid, 4242);
  EXPECT_STREQ(s.comm, "a) b) (c");
  EXPECT_EQ(s.state, 'D');
  EXPECT_EQ(s.ppid, 1);
  EXPECT_EQ(s.flags, 4194560u);
  EXPECT_EQ(s.num_threads, 3);
  EXPECT_EQ(s.starttime, 987654u);
  EXPECT_EQ(s.rss_pages, 2560u);
  EXPECT_EQ(s.sigpending, 256u);
  EXPECT_EQ(s.blkio_ticks, 77u);
  EXPECT_EQ(s.fields, 42);
}

TEST(ProcStat, ShortAndBrokenLines) {
  ProcStat s;
  EXPECT_TRUE(parse_proc_stat("2 (kthreadd) S 0 0 0 0 -1 2129984 0 0 0 0 0 0 0 0 20 0 1 0 0 0 0 0", s));
  EXPECT_EQ(s.state, 'S');
  EXPECT_FALSE(parse_proc_stat("garbage", s));
  EXPECT_FALSE(parse_proc_stat("1 (x)", s));
  EXPECT_FALSE(parse_proc_stat("x (y) R 1", s));
  EXPECT_TRUE(parse_proc_stat("12 (a) R 7 2 3", s));
  EXPECT_EQ(s.ppid, 7);
  EXPECT_EQ(s.fields, 6) << "ends before rss: the caller decides";
}

// The CPU fields the peers bench reads (14-17), with a comm that has spaces
// and parentheses.
TEST(ProcStat, CpuTimesAfterAHostileComm) {
  oomlab::facts::ProcStat s;
  ASSERT_TRUE(oomlab::facts::parse_proc_stat("42 (a (b) c) D 1 42 42 0 -1 4194304 10 0 0 0 7 3 5 6 20 0 1 0 100 1000 50", s));
  EXPECT_EQ(s.state, 'D');
  EXPECT_EQ(s.utime, 7u);
  EXPECT_EQ(s.stime, 3u);
  EXPECT_EQ(s.cutime, 5u);
  EXPECT_EQ(s.cstime, 6u);
  EXPECT_EQ(s.starttime, 100u);
  EXPECT_GE(s.fields, 17);
}
