#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "oomlab/watchdog/options.hpp"

using namespace oomlab::watchdog;
using namespace std::chrono_literals;

namespace {
ParsedArgs parse(std::vector<const char*> args) {
  args.insert(args.begin(), "oomlab-watchdog");
  return parse_args(static_cast<int>(args.size()), args.data());
}
}  // namespace

TEST(Options, DefaultsAreTheServerProfile) {
  Options o = parse({}).options;
  EXPECT_EQ(o.profile, "server");
  EXPECT_EQ(o.kill_after, 60s);
  EXPECT_EQ(o.period, 1s);
  EXPECT_FALSE(o.dry_run);
}

TEST(Options, DesktopProfileThenFlagsRefineIt) {
  Options o = parse({"--profile", "desktop", "--kill-after=15s"}).options;
  EXPECT_EQ(o.warn_after, 5s);
  EXPECT_EQ(o.kill_after, 15s);
}

TEST(Options, FlagsSwitchesAndRepeats) {
  Options o = parse({"--dry-run", "--protect", "^sshd$", "--protect", "/system.slice", "--no-stack", "--period", "250ms"}).options;
  EXPECT_TRUE(o.dry_run);
  EXPECT_FALSE(o.stack);
  ASSERT_EQ(o.protect.size(), 2u);
  EXPECT_FALSE(o.protect[0].is_cgroup);
  EXPECT_TRUE(o.protect[1].is_cgroup);
  EXPECT_EQ(o.period, 250ms);
}

TEST(Options, ScanSource) {
  EXPECT_EQ(parse({}).options.scan, "auto");
  EXPECT_EQ(parse({"--scan", "proc"}).options.scan, "proc");
  EXPECT_EQ(parse({"--scan=bpf"}).options.scan, "bpf");
  EXPECT_THROW(parse({"--scan", "iterator"}), UsageError);
  Options c;
  apply_config_json(c, R"({"scan": "proc"})");
  EXPECT_EQ(c.scan, "proc");
}

TEST(Options, DelayAccountingModeAndShare) {
  Options o = parse({}).options;
  EXPECT_EQ(o.delayacct, "auto");
  EXPECT_EQ(o.delay_share_pct, 50);
  o = parse({"--delayacct", "enable", "--delay-share", "30%"}).options;
  EXPECT_EQ(o.delayacct, "enable");
  EXPECT_EQ(o.delay_share_pct, 30);
  EXPECT_EQ(parse({"--delayacct=off", "--delay-share=80"}).options.delay_share_pct, 80);
  EXPECT_THROW(parse({"--delayacct", "on"}), UsageError);
  EXPECT_THROW(parse({"--delay-share", "0"}), UsageError);
  EXPECT_THROW(parse({"--delay-share", "150%"}), UsageError);
  Options c;
  apply_config_json(c, R"({"delayacct": "off", "delay-share": "70"})");
  EXPECT_EQ(c.delayacct, "off");
  EXPECT_EQ(c.delay_share_pct, 70);
}

TEST(Options, CommandsAndCheckConfig) {
  EXPECT_EQ(parse({"status", "--socket", "/tmp/x"}).command, Command::Status);
  EXPECT_EQ(parse({"--check-config"}).command, Command::CheckConfig);
  EXPECT_EQ(parse({"--help", "--bogus"}).command, Command::Help);
}

TEST(Options, BadInputIsAUsageError) {
  EXPECT_THROW(parse({"--bogus"}), UsageError);
  EXPECT_THROW(parse({"--kill-after"}), UsageError);
  EXPECT_THROW(parse({"--kill-after", "soon"}), UsageError);
  EXPECT_THROW(parse({"--kill-after", "1s", "--warn-after", "5s"}), UsageError);
  EXPECT_THROW(parse({"--profile", "laptop"}), UsageError);
  EXPECT_THROW(parse({"--protect", "(unclosed"}), UsageError);
  EXPECT_THROW(parse({"--max-victims", "0"}), UsageError);
  EXPECT_THROW(parse({"--scope", "relative"}), UsageError);
  EXPECT_THROW(parse({"frobnicate"}), UsageError);
  EXPECT_THROW(parse({"--config", "/nonexistent/oomlab.json"}), UsageError);
}

TEST(Options, ConfigJsonUsesTheFlagNames) {
  Options o;
  apply_config_json(o, R"({"profile": "desktop", "kill-after": "20s", "dry-run": true,
                           "protect": ["^sshd$", "/user.slice"], "max-victims": 3})");
  EXPECT_EQ(o.profile, "desktop");
  EXPECT_EQ(o.warn_after, 5s);   // from the profile
  EXPECT_EQ(o.kill_after, 20s);  // the file wins over its profile
  EXPECT_TRUE(o.dry_run);
  EXPECT_EQ(o.protect.size(), 2u);
  EXPECT_EQ(o.max_victims, 3);
}

TEST(Options, ConfigErrorsNameTheKey) {
  Options o;
  try {
    apply_config_json(o, R"({"kill_after": "20s"})");
    FAIL() << "unknown key accepted";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("kill_after"), std::string::npos);
  }
  EXPECT_THROW(apply_config_json(o, "{not json"), UsageError);
  EXPECT_THROW(apply_config_json(o, "[1, 2]"), UsageError);
  EXPECT_THROW(apply_config_json(o, R"({"period": ["1s", "2s"]})"), UsageError);
  EXPECT_THROW(apply_config_json(o, R"({"dry-run": "maybe"})"), UsageError);
  EXPECT_THROW(apply_config_json(o, R"({"period": {"s": 1}})"), UsageError);
}

TEST(Options, UsageListsEveryOption) {
  std::string u = usage_text();
  for (const char* flag : {"--kill-after", "--warn-after", "--escalate-after", "--dry-run", "--prefer", "--avoid",
                           "--protect", "--sysrq", "--config", "--check-config", "--json-log", "--kmsg-write",
                           "--metrics-textfile"})
    EXPECT_NE(u.find(flag), std::string::npos) << flag;
}

TEST(Options, MetricsTextfileFromFlagOrConfig) {
  EXPECT_EQ(parse({}).options.metrics_textfile, "");
  EXPECT_EQ(parse({"--metrics-textfile", "/var/lib/prometheus/node-exporter/oomlab_watchdog.prom"}).options.metrics_textfile,
            "/var/lib/prometheus/node-exporter/oomlab_watchdog.prom");
  Options o;
  apply_config_json(o, R"({"metrics-textfile": "/tmp/w.prom"})");
  EXPECT_EQ(o.metrics_textfile, "/tmp/w.prom");
  // The service's socket is the default, so `oomlab-watchdog status` finds it.
  EXPECT_EQ(parse({}).options.socket_path, "/run/oomlab-watchdog/control.sock");
}

TEST(Options, ReloadAppliesWhatItCanAndNamesWhatNeedsARestart) {
  Options running = parse({"--json-log", "/tmp/a.jsonl", "--period", "1s"}).options;
  Options fresh = parse({"--profile", "desktop", "--dry-run", "--protect", "^sshd$", "--scope", "/work",
                         "--period", "250ms", "--json-log", "/tmp/b.jsonl", "--kmsg-write"}).options;
  std::vector<std::string> restart = apply_reload(running, fresh);
  EXPECT_EQ(running.profile, "desktop");
  EXPECT_EQ(running.kill_after, 10s);
  EXPECT_EQ(running.period, 250ms);
  EXPECT_TRUE(running.dry_run);
  EXPECT_EQ(running.scope, "/work");
  ASSERT_EQ(running.protect.size(), 1u);
  EXPECT_EQ(restart, (std::vector<std::string>{"kmsg-write", "json-log"}));
  EXPECT_EQ(running.json_log, "/tmp/a.jsonl") << "a sink stays until the restart";
  Options same = running;
  EXPECT_TRUE(apply_reload(same, running).empty());
}

// Inputs found by fuzz/fuzz_watchdog_config (docs/RELIABILITY.md): each must
// end as a UsageError (one line, exit 2), never another exception (which
// escaped main and aborted the daemon). The first: a number no double
// holds made nlohmann throw out_of_range, not parse_error.
TEST(Options, FuzzRegressionConfigsAreUsageErrors) {
  int n = 0;
  for (const auto& e : std::filesystem::directory_iterator(OOMLAB_SOURCE_DIR "/tests/watchdog/fuzz_regressions")) {
    if (e.path().filename().string().rfind("config-", 0) != 0) continue;
    std::ifstream in(e.path(), std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    Options o;
    EXPECT_THROW(apply_config_json(o, text.str()), UsageError) << e.path();
    ++n;
  }
  EXPECT_GE(n, 1);
  Options o;
  EXPECT_THROW(apply_config_json(o, R"({"period": 1e400})"), UsageError);
}
