#include <gtest/gtest.h>

#include "../../tracer/src/trace_cli.hpp"

using namespace oomlab::tracer;
using namespace std::chrono_literals;

TEST(TraceCli, Defaults) {
  auto p = parse_trace_cli({});
  EXPECT_TRUE(p.error.empty());
  EXPECT_FALSE(p.options.json);
  EXPECT_EQ(p.options.duration, 0ms);
  EXPECT_EQ(p.options.interval, 1000ms);
  EXPECT_EQ(p.options.lockwait_min, 1ms);
}

TEST(TraceCli, Options) {
  auto p = parse_trace_cli({"--json", "--duration", "30s", "--interval", "0", "--reclaim-min", "250ms",
                            "--lockwait-min", "2s", "--lock-on-pressure", "--no-bpf"});
  ASSERT_TRUE(p.error.empty()) << p.error;
  EXPECT_TRUE(p.options.json);
  EXPECT_TRUE(p.options.no_bpf);
  EXPECT_TRUE(p.options.lock_on_pressure);
  EXPECT_EQ(p.options.duration, 30s);
  EXPECT_EQ(p.options.interval, 0ms);
  EXPECT_EQ(p.options.reclaim_min, 250ms);
  EXPECT_EQ(p.options.lockwait_min, 2s);
  EXPECT_EQ(parse_trace_cli({"--lockwait-min", "20us"}).options.lockwait_min, 20us);
  EXPECT_EQ(parse_trace_cli({"--decode-gfp", "0xcc0"}).options.decode_gfp, "0xcc0");
  EXPECT_EQ(parse_trace_cli({"--cgroup", "/sys/fs/cgroup/memory/job"}).options.cgroup, "/sys/fs/cgroup/memory/job");
  EXPECT_EQ(parse_trace_cli({}).options.cgroup, "");
  EXPECT_EQ(parse_trace_cli({}).options.victim_timeout, 5s);
  EXPECT_EQ(parse_trace_cli({"--victim-timeout", "0"}).options.victim_timeout, 0ms);
  EXPECT_NE(parse_trace_cli({"--victim-timeout", "soon"}).error, "");
  EXPECT_NE(parse_trace_cli({"--cgroup"}).error, "");
}

TEST(TraceCli, UsageErrors) {
  EXPECT_NE(parse_trace_cli({"--bogus"}).error, "");
  EXPECT_NE(parse_trace_cli({"--duration"}).error, "");
  EXPECT_NE(parse_trace_cli({"--duration", "soon"}).error, "");
  EXPECT_NE(parse_trace_cli({"--duration", "0"}).error, "");
  EXPECT_NE(parse_trace_cli({"--reclaim-min", "-5us"}).error, "");
  EXPECT_NE(parse_trace_cli({"--reclaim-min", "us"}).error, "");
  EXPECT_NE(parse_trace_cli({"--lock-tracing", "--lock-on-pressure"}).error, "");
}
