// facts' one cgroup hierarchy detection (the cgroups library's and the
// watchdog's): mountinfo samples of the three layouts.
#include "oomlab/facts/cgroup_hierarchy.hpp"

#include <gtest/gtest.h>
#include <map>
#include <vector>

using namespace oomlab::facts;
using Hierarchy = CgroupHierarchy;
using Layout = CgroupLayout;

namespace {
// Shortened from real /proc/self/mountinfo files.
constexpr const char* kHybrid =
    "25 20 0:23 / /sys/fs/cgroup rw,nosuid - tmpfs tmpfs rw,mode=755\n"
    "26 25 0:24 / /sys/fs/cgroup/unified rw,relatime shared:9 - cgroup2 cgroup2 rw\n"
    "30 25 0:28 / /sys/fs/cgroup/memory rw,relatime shared:14 - cgroup cgroup rw,memory\n"
    "31 25 0:29 / /sys/fs/cgroup/freezer rw,relatime shared:15 - cgroup cgroup rw,freezer\n";
constexpr const char* kPureV2 =
    "33 22 0:28 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 cgroup2 rw,nsdelegate\n";
constexpr const char* kV1Only =
    "30 25 0:28 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n"
    "31 25 0:29 / /sys/fs/cgroup/cpu,cpuacct rw,relatime - cgroup cgroup rw,cpu,cpuacct\n";
}  // namespace

TEST(Hierarchy, HybridHasV1MemoryAndUnifiedTwinRoot) {
  Hierarchy h = parse_hierarchy(kHybrid, "hugetlb\n");
  EXPECT_EQ(h.layout, Layout::hybrid);
  EXPECT_EQ(h.memory_version, 1);
  EXPECT_EQ(h.memory_root, "/sys/fs/cgroup/memory");
  EXPECT_EQ(h.unified_root, "/sys/fs/cgroup/unified");
  EXPECT_EQ(h.freezer_root, "/sys/fs/cgroup/freezer");
  EXPECT_EQ(layout_name(h.layout), "hybrid");
}

TEST(Hierarchy, PureV2NeedsTheMemoryControllerListed) {
  Hierarchy h = parse_hierarchy(kPureV2, "cpuset cpu io memory hugetlb pids rdma misc");
  EXPECT_EQ(h.layout, Layout::v2);
  EXPECT_EQ(h.memory_version, 2);
  EXPECT_EQ(h.memory_root, "/sys/fs/cgroup");
  EXPECT_TRUE(h.freezer_root.empty());

  Hierarchy without = parse_hierarchy(kPureV2, "cpu io pids");
  EXPECT_EQ(without.layout, Layout::none);
  EXPECT_FALSE(without.has_memory());
  EXPECT_EQ(without.unified_root, "/sys/fs/cgroup");
}

TEST(Hierarchy, V1OnlyAndCommaJoinedControllers) {
  Hierarchy h = parse_hierarchy(kV1Only, "");
  EXPECT_EQ(h.layout, Layout::v1);
  EXPECT_EQ(h.memory_root, "/sys/fs/cgroup/memory");
  EXPECT_TRUE(h.unified_root.empty());
}

TEST(Hierarchy, BindMountedSubgroupIsNotARoot) {
  // A container sees its own group bind-mounted: root field is not "/".
  Hierarchy h = parse_hierarchy("40 30 0:28 /docker/abc /sys/fs/cgroup/memory ro - cgroup cgroup rw,memory\n", "");
  EXPECT_EQ(h.layout, Layout::none);
}

TEST(Hierarchy, GarbageGivesNone) {
  EXPECT_EQ(parse_hierarchy("", "").layout, Layout::none);
  EXPECT_EQ(parse_hierarchy("a b c\n- - -\n\n", "memory").layout, Layout::none);
}

// The reads in order: mountinfo, then the cgroup2 root's controllers (only
// with a cgroup2 mount); a file that cannot be read is "".
TEST(Hierarchy, DetectReadsMountinfoThenTheUnifiedControllers) {
  std::map<std::string, std::string> files = {{"/proc/self/mountinfo", kPureV2},
                                              {"/sys/fs/cgroup/cgroup.controllers", "cpu io memory pids\n"}};
  std::vector<std::string> asked;
  auto read = [&](const std::string& path) {
    asked.push_back(path);
    auto it = files.find(path);
    return it == files.end() ? std::string() : it->second;
  };
  Hierarchy v2 = detect_hierarchy(read);
  EXPECT_EQ(v2.layout, Layout::v2);
  EXPECT_EQ(v2.memory_root, "/sys/fs/cgroup");
  EXPECT_EQ(asked, (std::vector<std::string>{"/proc/self/mountinfo", "/sys/fs/cgroup/cgroup.controllers"}));

  files = {{"/proc/self/mountinfo", kV1Only}};
  asked.clear();
  Hierarchy v1 = detect_hierarchy(read);
  EXPECT_EQ(v1.layout, Layout::v1);
  EXPECT_EQ(v1.memory_root, "/sys/fs/cgroup/memory");
  EXPECT_EQ(asked, std::vector<std::string>{"/proc/self/mountinfo"});  // no cgroup2 mount: nothing more to read

  files.clear();
  EXPECT_FALSE(detect_hierarchy(read).has_memory());
}

// cgroup.events as kernel 6.18 writes it (read from a cgroup2 group on this
// host with a task in it, then after its exit), and without a populated line.
TEST(CgroupEvents, PopulatedLine) {
  EXPECT_EQ(cgroup_populated("populated 1\nfrozen 0\n"), true);
  EXPECT_EQ(cgroup_populated("populated 0\nfrozen 0\n"), false);
  EXPECT_EQ(cgroup_populated("frozen 0\npopulated 1\n"), true);
  EXPECT_EQ(cgroup_populated("populated 0"), false);
  EXPECT_EQ(cgroup_populated("frozen 0\n"), std::nullopt);
  EXPECT_EQ(cgroup_populated("populated \n"), std::nullopt);
  EXPECT_EQ(cgroup_populated(""), std::nullopt);
}

// The paths as /proc/PID/cgroup and the oom-kill: line print them.
TEST(CgroupPath, AtOrBelowAGroup) {
  EXPECT_TRUE(in_cgroup("/oomlab/repro-1", "/oomlab/repro-1"));
  EXPECT_TRUE(in_cgroup("/oomlab/repro-1/sub", "/oomlab/repro-1"));
  EXPECT_TRUE(in_cgroup("/oomlab/repro-1", "/oomlab"));
  EXPECT_FALSE(in_cgroup("/oomlab/repro-10", "/oomlab/repro-1"));   // a longer sibling name
  EXPECT_FALSE(in_cgroup("/oomlab", "/oomlab/repro-1"));            // the parent is not below
  EXPECT_FALSE(in_cgroup("/user.slice", "/oomlab"));
  EXPECT_TRUE(in_cgroup("/user.slice", "/"));                       // the root holds everything
  EXPECT_TRUE(in_cgroup("", "/"));
  EXPECT_FALSE(in_cgroup("/oomlab", ""));                           // no group: nothing
  EXPECT_FALSE(in_cgroup("", "/oomlab"));
}
