// The binary's usage contract: --help, one-line errors with exit 2, config
// checks, `status` without a daemon. No privileges, no daemon left running.
#include <cstdio>
#include <fstream>
#include <gtest/gtest.h>
#include <unistd.h>

#include "oomlab/common/subprocess.hpp"

namespace {

const std::string kBin = std::string(OOMLAB_BIN_DIR) + "/oomlab-watchdog";

oomlab::ProcessResult run(std::vector<std::string> args) {
  args.insert(args.begin(), kBin);
  oomlab::ProcessSpec spec(args);
  spec.timeout = std::chrono::seconds(20);
  return oomlab::run_process(spec);
}

std::string temp_file(const std::string& content) {
  char path[] = "/tmp/oomlab-wd-cli-XXXXXX";
  int fd = mkstemp(path);
  EXPECT_GE(fd, 0);
  EXPECT_EQ(::write(fd, content.data(), content.size()), static_cast<ssize_t>(content.size()));
  ::close(fd);
  return path;
}

int lines(const std::string& s) {
  int n = 0;
  for (char c : s) n += c == '\n';
  return n;
}

}  // namespace

TEST(WatchdogCli, HelpExitsZero) {
  auto r = run({"--help"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.out.find("--kill-after"), std::string::npos);
}

TEST(WatchdogCli, UnknownFlagIsOneLineAndExit2) {
  auto r = run({"--kill-everything"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(lines(r.err), 1) << r.err;
  EXPECT_NE(r.err.find("--kill-everything"), std::string::npos);
  r = run({"--period", "fast"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--period"), std::string::npos);
}

TEST(WatchdogCli, CheckConfigAcceptsTheExampleConfig) {
  auto r = run({"--check-config", "--config", std::string(OOMLAB_SOURCE_DIR) + "/watchdog/oomlab-watchdog.example.json"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("config OK"), std::string::npos);
  EXPECT_NE(r.out.find("kill_after=60000ms"), std::string::npos);
}

TEST(WatchdogCli, CheckConfigRejectsBadConfigs) {
  for (const char* bad : {"{\"kill-after\": \"never\"}", "{\"no-such-option\": 1}", "{oops", "{\"warn-after\": \"90s\"}",
                          "{\"period\": 1e400}"}) {
    std::string path = temp_file(bad);
    auto r = run({"--check-config", "--config", path});
    ::unlink(path.c_str());
    EXPECT_EQ(r.exit_code, 2) << bad;
    EXPECT_EQ(lines(r.err), 1) << r.err;
  }
  auto r = run({"--check-config", "--config", "/nonexistent/watchdog.json"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("/nonexistent/watchdog.json"), std::string::npos);
}

TEST(WatchdogCli, CheckConfigReportsMissingFacilities) {
  auto r = run({"--check-config", "--psi-path", "/nonexistent/pressure", "--kmsg-path", "/nonexistent/kmsg"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.out.find("timer sampling only"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("kernel OOM victims not tracked"), std::string::npos) << r.out;
}

TEST(WatchdogCli, StatusWithoutADaemonFailsClearly) {
  auto r = run({"status", "--socket", "/tmp/oomlab-no-such-watchdog.sock"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("no daemon"), std::string::npos) << r.err;
}
