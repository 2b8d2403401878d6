#include "oomlab/repro/run_config.hpp"

#include <gtest/gtest.h>

#include "test_scenarios.hpp"

using namespace oomlab::repro;
using namespace std::chrono_literals;

namespace {
ParseResult parse(std::vector<std::string> args) {
  static auto catalogue = oomlab::repro::testing::test_catalogue();
  return parse_run_args(args, catalogue);
}
}  // namespace

TEST(RunConfig, DefaultsAndScenarioDefaults) {
  auto r = parse({"test-sleep"});
  ASSERT_TRUE(r.config) << r.error;
  EXPECT_EQ(r.config->limit_bytes, 256u << 20);
  EXPECT_EQ(r.config->duration, 30s);
  EXPECT_EQ(r.config->stall_threshold, 10s);
  EXPECT_EQ(r.config->period, 100ms);
  EXPECT_DOUBLE_EQ(r.config->stall_psi, 0.25);
  EXPECT_EQ(r.config->out_dir, "reports");
  EXPECT_FALSE(r.config->json);
  EXPECT_EQ(r.config->options.at("children"), "3");
  EXPECT_EQ(r.config->options.at("threads"), "2");
}

TEST(RunConfig, RunnerFlagsAndScenarioOptionsInBothForms) {
  auto r = parse({"test-sleep", "--limit", "64M", "--duration=5s", "--stall-threshold", "1500ms", "--period=50ms",
                  "--json", "--out", "/tmp/x", "--children=7", "--threads", "0", "--unsafe-no-cgroup", "--stall-psi", "40%"});
  ASSERT_TRUE(r.config) << r.error;
  EXPECT_EQ(r.config->limit_bytes, 64u << 20);
  EXPECT_EQ(r.config->duration, 5s);
  EXPECT_EQ(r.config->stall_threshold, 1500ms);
  EXPECT_EQ(r.config->period, 50ms);
  EXPECT_DOUBLE_EQ(r.config->stall_psi, 0.4);
  EXPECT_TRUE(r.config->json);
  EXPECT_TRUE(r.config->unsafe_no_cgroup);
  EXPECT_EQ(r.config->out_dir, "/tmp/x");
  EXPECT_EQ(r.config->options.at("children"), "7");
  EXPECT_EQ(r.config->options.at("threads"), "0");
}

TEST(RunConfig, HelpSkipsValidation) {
  auto r = parse({"test-hog", "--help"});
  ASSERT_TRUE(r.config);
  EXPECT_TRUE(r.config->show_help);
}

TEST(RunConfig, ErrorsAreOneLineAndNameTheProblem) {
  struct Case {
    std::vector<std::string> args;
    std::string needle;
  } cases[] = {
      {{}, "missing scenario"},
      {{"--limit", "1G"}, "missing scenario"},
      {{"nope"}, "unknown scenario 'nope'"},
      {{"test-sleep", "--bogus", "1"}, "unknown option --bogus for scenario test-sleep"},
      {{"test-sleep", "--limit"}, "--limit needs a value"},
      {{"test-sleep", "--limit", "lots"}, "--limit: 'lots'"},
      {{"test-sleep", "--limit", "1M"}, "at least 4M"},
      {{"test-sleep", "--duration", "-3s"}, "--duration"},
      {{"test-sleep", "--duration", "5s", "--stall-threshold", "5s"}, "must be shorter than --duration"},
      {{"test-sleep", "--period", "1ms"}, "--period"},
      {{"test-sleep", "--json=yes"}, "takes no value"},
      {{"test-sleep", "stray"}, "unexpected argument 'stray'"},
      {{"test-sleep", "--stall-psi", "0"}, "--stall-psi: '0'"},
      {{"test-sleep", "--stall-psi", "120%"}, "not a percentage"},
  };
  for (const auto& c : cases) {
    auto r = parse(c.args);
    EXPECT_FALSE(r.config);
    EXPECT_NE(r.error.find(c.needle), std::string::npos) << "got: " << r.error;
    EXPECT_EQ(r.error.find('\n'), std::string::npos);
  }
}

TEST(RunConfig, WatchdogFlags) {
  auto plain = parse({"test-sleep", "--watchdog"});
  ASSERT_TRUE(plain.config) << plain.error;
  EXPECT_TRUE(plain.config->watchdog);
  EXPECT_TRUE(plain.config->watchdog_args.empty());
  auto with_args = parse({"test-sleep", "--watchdog-args", "--kill-after 3s --prefer 'zero hog'"});
  ASSERT_TRUE(with_args.config) << with_args.error;
  EXPECT_TRUE(with_args.config->watchdog);  // implied
  EXPECT_EQ(with_args.config->watchdog_args,
            (std::vector<std::string>{"--kill-after", "3s", "--prefer", "zero hog"}));
  auto unsafe = parse({"test-sleep", "--watchdog", "--unsafe-no-cgroup"});
  EXPECT_FALSE(unsafe.config);
  EXPECT_NE(unsafe.error.find("--unsafe-no-cgroup"), std::string::npos) << unsafe.error;
  auto quote = parse({"test-sleep", "--watchdog-args", "--prefer 'x"});
  EXPECT_FALSE(quote.config);
  EXPECT_NE(quote.error.find("unterminated quote"), std::string::npos) << quote.error;
  EXPECT_FALSE(parse({"test-sleep", "--watchdog=yes"}).config);
}

TEST(RunConfig, SplitArgs) {
  EXPECT_EQ(*split_args("  a 'b c'  \"d e\"f "), (std::vector<std::string>{"a", "b c", "d ef"}));
  EXPECT_EQ(*split_args("''"), (std::vector<std::string>{""}));
  EXPECT_TRUE(split_args("")->empty());
  EXPECT_FALSE(split_args("\"open"));
}

TEST(RunConfig, TraceFlag) {
  auto r = parse({"test-sleep", "--trace"});
  ASSERT_TRUE(r.config) << r.error;
  EXPECT_TRUE(r.config->trace);
  EXPECT_FALSE(parse({"test-sleep"}).config->trace);
  EXPECT_FALSE(parse({"test-sleep", "--trace", "--unsafe-no-cgroup"}).config);
  EXPECT_FALSE(parse({"test-sleep", "--trace=1"}).config);
}

TEST(RunConfig, CgroupParent) {
  auto d = parse({"test-sleep"});
  ASSERT_TRUE(d.config) << d.error;
  EXPECT_EQ(d.config->cgroup_parent, "oomlab");
  auto r = parse({"test-sleep", "--cgroup-parent", "oomlab.slice/"});
  ASSERT_TRUE(r.config) << r.error;
  EXPECT_EQ(r.config->cgroup_parent, "oomlab.slice");
  for (const char* bad : {"/sys/fs/cgroup/x", "../x", "", "a b"}) {
    auto e = parse({"test-sleep", std::string("--cgroup-parent=") + bad});
    EXPECT_FALSE(e.config) << bad;
    EXPECT_NE(e.error.find("--cgroup-parent"), std::string::npos) << e.error;
  }
}
