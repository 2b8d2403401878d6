// The oomlab-bench-peers binary on bad input: one-line errors, exit 2, never
// a run.
#include <algorithm>
#include <gtest/gtest.h>

#include "oomlab/common/subprocess.hpp"

namespace {

oomlab::ProcessResult peers(std::vector<std::string> args) {
  args.insert(args.begin(), std::string(OOMLAB_BIN_DIR) + "/oomlab-bench-peers");
  oomlab::ProcessSpec spec;
  spec.argv = args;
  spec.timeout = std::chrono::seconds(20);
  return oomlab::run_process(spec);
}

TEST(BenchPeersCli, HelpAndUsageErrors) {
  auto help = peers({"--help"});
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_NE(help.out.find("usage: oomlab-bench-peers"), std::string::npos);
  for (auto args : std::vector<std::vector<std::string>>{{"--runs", "zero"},
                                                          {"--runs", "0"},
                                                          {"--guards", "none,systemd-oomd"},
                                                          {"--duration"},
                                                          {"--bogus"},
                                                          {"summarize"},
                                                          {"--oomlab-deb", "x.deb"},  // Debian guest only
                                                          {"--scenario-args", "--high 50%"},
                                                          {"--vm", "--rootfs", "debian", "--oomlab-deb",
                                                           "/nonexistent/oomlab.deb"},
                                                          {"summarize", "/nonexistent/runs.json"}}) {
    auto r = peers(args);
    EXPECT_EQ(r.exit_code, 2) << args[0];
    EXPECT_FALSE(r.timed_out);
    EXPECT_NE(r.err.find("oomlab-bench-peers: "), std::string::npos) << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  }
}

}  // namespace
