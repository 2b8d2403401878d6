// nohang's configuration, written in one place for the host bench and the
// Debian guest: the tuned values land on their lines, the rest stays nohang
// 0.2's defaults, and the victim's cmdline is never read.
#include <gtest/gtest.h>

#include <sstream>
#include <string>

#include "oomlab/formats/nohang_conf.hpp"

using oomlab::formats::NohangTuning;
using oomlab::formats::nohang_conf;

namespace {

int count_lines_starting(const std::string& text, const std::string& prefix) {
  std::istringstream in(text);
  int n = 0;
  for (std::string line; std::getline(in, line);) n += line.rfind(prefix, 0) == 0;
  return n;
}

}  // namespace

TEST(NohangConf, TunedValuesOnTheirLines) {
  NohangTuning t;
  t.psi_path = "/sys/fs/cgroup/unified/oomlab/repro-9/memory.pressure";
  t.act_after_s = 7;
  t.soft_min_mem = "1 %";
  t.min_badness = 900;
  t.badness_cgroup_re = "^/oomlab/repro-9$";
  t.badness_adj = 1000;
  const std::string c = nohang_conf(t);
  EXPECT_NE(c.find("\npsi_path = /sys/fs/cgroup/unified/oomlab/repro-9/memory.pressure\n"), std::string::npos);
  EXPECT_NE(c.find("\npsi_excess_duration = 7\n"), std::string::npos);
  EXPECT_NE(c.find("\nsoft_threshold_min_mem = 1 %\n"), std::string::npos);
  EXPECT_NE(c.find("\nmin_badness = 900\n"), std::string::npos);
  EXPECT_NE(c.find("\n@BADNESS_ADJ_RE_CGROUP_V2 1000 /// ^/oomlab/repro-9$\n"), std::string::npos);
  EXPECT_NE(c.find("\nprint_victim_cmdline = False\n"), std::string::npos);
  EXPECT_NE(c.find("psi_checking_enabled = True\n"), std::string::npos);
  // Each key once: a key written twice would leave nohang to pick one.
  for (const char* key : {"psi_path =", "psi_excess_duration =", "min_badness =", "soft_threshold_min_mem ="})
    EXPECT_EQ(count_lines_starting(c, key), 1) << key;
}

TEST(NohangConf, NoBadnessLineWithoutAGroupAndTheHostsPsiByDefault) {
  const std::string c = nohang_conf(NohangTuning{});
  EXPECT_EQ(c.find("@BADNESS_ADJ"), std::string::npos);
  EXPECT_NE(c.find("\npsi_path = /proc/pressure/memory\n"), std::string::npos);
  EXPECT_NE(c.find("\nwarning_threshold_min_mem = 20 %\n"), std::string::npos);
}
