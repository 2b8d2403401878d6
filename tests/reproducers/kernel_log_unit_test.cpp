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
