#include "oomlab/facts/oom_report.hpp"

#include <gtest/gtest.h>

using namespace oomlab::facts;

TEST(OomReport, InvocationGivesTheInvokingComm) {
  EXPECT_EQ(parse_oom_invocation("shmem-filler invoked oom-killer: gfp_mask=0xcc0(GFP_KERNEL), order=0, oom_score_adj=0"),
            "shmem-filler");
  EXPECT_EQ(parse_oom_invocation("kworker/3:2 invoked oom-killer: gfp_mask=0x24000c0, order=-1, oom_score_adj=0"),
            "kworker/3:2");
  EXPECT_EQ(parse_oom_invocation("Web Content invoked oom-killer: gfp_mask=0x100cca"), "Web Content");
  EXPECT_FALSE(parse_oom_invocation("Memory cgroup out of memory: Killed process 3 (a)"));
  EXPECT_FALSE(parse_oom_invocation(" invoked oom-killer: no comm"));
  EXPECT_FALSE(parse_oom_invocation("a note quoting that some task invoked oom-killer: later"));
}
