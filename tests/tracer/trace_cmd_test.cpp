// oomlab-trace as a command: usage, exit codes, gfp decoding, the notice
// when BPF is unavailable (the traced run itself is in tracer_root_test.cpp).
#include <gtest/gtest.h>
#include <unistd.h>

#include "bpf_capable.hpp"
#include "oomlab/common/subprocess.hpp"
#include "oomlab/tracer/tracer.hpp"

namespace {

using namespace std::chrono_literals;

oomlab::ProcessResult trace(std::vector<std::string> args) {
  args.insert(args.begin(), std::string(OOMLAB_BIN_DIR) + "/oomlab-trace");
  oomlab::ProcessSpec spec;
  spec.argv = std::move(args);
  spec.timeout = 30s;
  return oomlab::run_process(spec);
}

TEST(TraceCommand, HelpAndUsageErrors) {
  auto help = trace({"--help"});
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_NE(help.out.find("Usage: oomlab-trace"), std::string::npos);
  auto bad = trace({"--frobnicate"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("unknown option: --frobnicate"), std::string::npos);
  EXPECT_EQ(std::count(bad.err.begin(), bad.err.end(), '\n'), 1) << bad.err;
  EXPECT_EQ(trace({"--duration", "later"}).exit_code, 2);
  EXPECT_EQ(trace({"--decode-gfp", "0xzz"}).exit_code, 2);
}

TEST(TraceCommand, DecodesGfpForThisKernel) {
  auto r = trace({"--decode-gfp", "0x140cca"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out.substr(0, r.out.find(" (layout:")), "0x140cca(GFP_HIGHUSER_MOVABLE|__GFP_COMP)");
}

TEST(TraceCommand, NoBpfSaysSoInOneLine) {
  auto r = trace({"--no-bpf"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.err, "oomlab-trace: BPF tracing disabled (--no-bpf)\n");
  EXPECT_TRUE(r.out.empty());
}

TEST(TraceCommand, UnavailableBpfIsOneLineAndExit1) {
  if (oomlab::test::bpf_unavailable_reason().empty())
    GTEST_SKIP() << "BPF is available here: the traced run is TracerRoot.CommandShortRunPrintsJsonLines";
  auto r = trace({"--duration", "1s"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err.rfind("oomlab-trace: BPF tracer unavailable: ", 0), 0u) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
}

}  // namespace
