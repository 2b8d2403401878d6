#include "oomlab/cgroups/stats.hpp"

#include <gtest/gtest.h>

using namespace oomlab::cgroups;

TEST(Stats, MemoryEventsV2) {
  auto e = parse_memory_events_v2("low 1\nhigh 22\nmax 333\noom 4\noom_kill 5\noom_group_kill 0\n");
  ASSERT_TRUE(e);
  EXPECT_EQ(e->low, 1u);
  EXPECT_EQ(e->high, 22u);
  EXPECT_EQ(e->max, 333u);
  EXPECT_EQ(e->oom, 4u);
  EXPECT_EQ(e->oom_kill, 5u);
  EXPECT_FALSE(parse_memory_events_v2(""));
  EXPECT_FALSE(parse_memory_events_v2("max x\n"));
}

TEST(Stats, MemoryEventsV1FromOomControlAndFailcnt) {
  auto e = parse_memory_events_v1("oom_kill_disable 0\nunder_oom 1\noom_kill 3\n", "1234\n");
  ASSERT_TRUE(e);
  EXPECT_TRUE(e->under_oom);
  EXPECT_EQ(e->oom_kill, 3u);
  EXPECT_EQ(e->max, 1234u);
  // Kernels before 4.13 have no oom_kill line.
  auto old = parse_memory_events_v1("oom_kill_disable 0\nunder_oom 0\n", "0");
  ASSERT_TRUE(old);
  EXPECT_EQ(old->oom_kill, 0u);
  EXPECT_FALSE(parse_memory_events_v1("", "0"));
  EXPECT_FALSE(parse_memory_events_v1("under_oom 0\n", "lots"));
}


TEST(Stats, Limit) {
  EXPECT_EQ(parse_limit("268435456\n"), 268435456u);
  EXPECT_FALSE(parse_limit("max\n"));
  EXPECT_FALSE(parse_limit("9223372036854771712\n"));  // v1 "unlimited"
  EXPECT_FALSE(parse_limit("-1"));
}
