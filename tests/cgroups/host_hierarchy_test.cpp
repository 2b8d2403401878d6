// This machine's layout as cgroups::host_hierarchy reads it (facts'
// detection over the real /proc/self/mountinfo).
#include "oomlab/cgroups/hierarchy.hpp"

#include <cstdio>
#include <gtest/gtest.h>

using namespace oomlab::cgroups;

TEST(Hierarchy, HostLayoutIsConsistent) {
  const Hierarchy& h = host_hierarchy();
  if (h.memory_version == 2) {
    EXPECT_EQ(h.memory_root, h.unified_root);
  }
  if (h.memory_version == 1) {
    EXPECT_FALSE(h.memory_root.empty());
  }
  std::printf("host cgroup layout: %s, memory at '%s'\n", std::string(layout_name(h.layout)).c_str(),
              h.memory_root.c_str());
}

