#include "options.hpp"

#include <gtest/gtest.h>

using oomlab::vm::parse_run_options;
using oomlab::vm::RunOptions;
using oomlab::vm::UsageError;

namespace {

RunOptions parse(std::vector<std::string> args) { return parse_run_options(args); }

TEST(RunOptions, ScenarioWithDefaultsAndPassThroughArguments) {
  RunOptions o = parse({"mmap-sem", "--watchdog", "--", "--limit", "128M", "--duration", "20s"});
  EXPECT_EQ(o.scenario, "mmap-sem");
  EXPECT_TRUE(o.watchdog);
  EXPECT_EQ(o.scenario_args, (std::vector<std::string>{"--limit", "128M", "--duration", "20s"}));
  EXPECT_EQ(o.mem_bytes, 512ull << 20);
  EXPECT_EQ(o.cpus, 2);
  EXPECT_FALSE(o.cache_dir.empty());
}

TEST(RunOptions, MachineAndTimeOptions) {
  RunOptions o = parse({"x", "--mem", "1G", "--cpus", "4", "--timeout", "90s", "--stall-timeout", "20s",
                        "--disk-size", "64M", "--accel", "tcg", "--kernel", "/boot/vmlinuz"});
  EXPECT_EQ(o.mem_bytes, 1ull << 30);
  EXPECT_EQ(o.cpus, 4);
  EXPECT_EQ(o.timeout.count(), 90000);
  EXPECT_EQ(o.stall_timeout.count(), 20000);
  EXPECT_TRUE(o.disk);
  EXPECT_EQ(o.disk_bytes, 64ull << 20);
  EXPECT_EQ(o.accel, oomlab::vm::Accel::tcg);
  EXPECT_EQ(o.kernel_path, "/boot/vmlinuz");
}

TEST(RunOptions, DiskThrottleImpliesADiskAndRejectsNonsense) {
  RunOptions o = parse({"x", "--disk-iops", "300", "--disk-bps", "16M"});
  EXPECT_TRUE(o.disk);
  EXPECT_EQ(o.disk_iops, 300u);
  EXPECT_EQ(o.disk_bps, 16ull << 20);
  EXPECT_FALSE(parse({"x"}).disk);
  EXPECT_EQ(parse({"x"}).disk_iops, 0u);
  for (const char* bad : {"0", "-1", "ten", "", "20000000"})
    EXPECT_THROW(parse({"x", "--disk-iops", bad}), oomlab::vm::UsageError) << bad;
  EXPECT_THROW(parse({"x", "--disk-bps", "1K"}), oomlab::vm::UsageError);
}

TEST(RunOptions, StallTimeoutNeverExceedsTheHardTimeout) {
  RunOptions o = parse({"x", "--timeout", "10s"});
  EXPECT_EQ(o.stall_timeout.count(), 10000);
}

TEST(RunOptions, GuestCommandWithLimit) {
  RunOptions o = parse({"--guest-cmd", "echo hi", "--guest-limit", "64M"});
  EXPECT_TRUE(o.scenario.empty());
  EXPECT_EQ(o.guest_cmd, "echo hi");
  EXPECT_EQ(o.guest_limit_bytes, 64ull << 20);
}

TEST(RunOptions, BadInputIsAUsageError) {
  const std::vector<std::vector<std::string>> bad = {
      {},                                          // nothing to run
      {"x", "--guest-cmd", "true"},                // both
      {"x", "--mem", "lots"},                      // not a size
      {"x", "--mem", "64M"},                       // too small for the kernel
      {"x", "--mem", "1T"},                        // too big
      {"x", "--cpus", "0"},
      {"x", "--cpus", "2x"},
      {"x", "--timeout", "-5s"},
      {"x", "--timeout", "0"},
      {"x", "--accel", "hvf"},
      {"x", "--kernel", "a", "--kernel-package", "linux-image-6.1.0-56-amd64"},
      {"x", "--bogus"},
      {"x", "y"},                                  // second positional
      {"x", "--mem"},                              // missing value
      {"x", "--guest-limit", "64M"},               // limit without a command
      {"--guest-cmd", "true", "--", "--limit", "1M"},
      {"bad/name"},
      {"x", "--kernel-package", "bash"},
      {"x", "--kernel-package", "linux-image-../../etc"},
  };
  for (const auto& args : bad) EXPECT_THROW(parse(args), UsageError) << ::testing::PrintToString(args);
}

TEST(RunOptions, UsageErrorNamesTheFlagAndValue) {
  try {
    parse({"x", "--mem", "lots"});
    FAIL() << "no error";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("--mem"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("lots"), std::string::npos);
  }
}

}  // namespace
