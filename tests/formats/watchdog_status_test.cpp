// The watchdog's control-socket status (oomlab.watchdog.status/1) through its
// one codec: the line a running daemon sent decodes and re-encodes byte for
// byte, and `oomlab-watchdog status` prints exactly what the daemon's CLI
// printed before the codec (the same document, indented); a wrong schema or
// not-JSON is refused with one line; wrong types decode as defaults.
#include "oomlab/formats/watchdog_status.hpp"

#include <fstream>
#include <gtest/gtest.h>
#include <iterator>

using namespace oomlab::formats;

namespace {

std::string fixture(const std::string& name) {
  std::ifstream in(std::string(OOMLAB_SOURCE_DIR) + "/tests/formats/fixtures/" + name);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::string without_newline(std::string s) {
  while (!s.empty() && s.back() == '\n') s.pop_back();
  return s;
}

}  // namespace

// What the socket answered to "status" with a stalled process in the scope
// and a watched group (tests/formats/fixtures/README.md).
TEST(WatchdogStatusCodec, RealDaemonAnswer) {
  const std::string line = without_newline(fixture("watchdog-status.json"));
  ASSERT_FALSE(line.empty());
  std::string why;
  auto s = decode_watchdog_status(line, &why);
  ASSERT_TRUE(s) << why;
  EXPECT_EQ(s->schema, kWatchdogStatusSchema);
  EXPECT_GT(s->pid, 0);
  EXPECT_EQ(s->config.period_ms, 250);
  EXPECT_EQ(s->config.kill_after_ms, 2000);
  EXPECT_TRUE(s->config.dry_run);
  EXPECT_EQ(s->config.pressure_above, "full=60");
  EXPECT_EQ(s->sources.cgroup_root, "/sys/fs/cgroup/memory");
  EXPECT_EQ(s->sources.psi_triggers, 2u);
  ASSERT_EQ(s->stalls.size(), 1u);
  EXPECT_EQ(s->stalls[0].kind, "mmap_lock");
  EXPECT_EQ(s->stalls[0].state, "D");
  EXPECT_EQ(s->stalls[0].cgroup, "/h15v-status");
  EXPECT_EQ(s->stalls[0].wchan, "vm_mmap_pgoff");
  EXPECT_GT(s->stalls[0].delay_ms, 2000);
  ASSERT_EQ(s->incidents.size(), 1u);
  EXPECT_EQ(s->incidents[0].kills, 1);
  ASSERT_EQ(s->kills.size(), 1u);
  EXPECT_EQ(s->kills[0].reason, "stall_timeout");
  EXPECT_TRUE(s->kills[0].dry_run);
  EXPECT_EQ(s->kills[0].kill_to_exit_ms, -1);
  EXPECT_EQ(s->kills[0].pid, s->stalls[0].tgid);
  ASSERT_EQ(s->pressure.size(), 1u);
  EXPECT_EQ(s->pressure[0].dir, "/sys/fs/cgroup/unified/h15v-status");
  EXPECT_GT(s->scan.last_duration_ms, 0.0);
  EXPECT_EQ(encode_watchdog_status(*s), line);
}

// What `oomlab-watchdog status` printed (captured from the CLI before it
// decoded through the codec): the codec prints it again byte for byte, so
// the CLI's output did not change.
TEST(WatchdogStatusCodec, CliPrintsTheSameIndentedDocument) {
  const std::string printed = fixture("watchdog-status.pretty.json");
  std::string why;
  auto s = decode_watchdog_status(printed, &why);
  ASSERT_TRUE(s) << why;
  EXPECT_EQ(s->stalls.size(), 1u);
  EXPECT_EQ(encode_watchdog_status(*s, 2) + "\n", printed);
}

TEST(WatchdogStatusCodec, DefaultsRoundTrip) {
  WatchdogStatus s;
  const std::string text = encode_watchdog_status(s);
  EXPECT_EQ(text.find('\n'), std::string::npos);
  auto back = decode_watchdog_status(text);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->scan.last_done_ms_ago, -1);
  EXPECT_TRUE(back->stalls.empty());
  EXPECT_EQ(encode_watchdog_status(*back), text);
}

TEST(WatchdogStatusCodec, RefusesWhatIsNotAStatus) {
  std::string why;
  EXPECT_FALSE(decode_watchdog_status("", &why));
  EXPECT_EQ(why, "the watchdog status is not a JSON object");
  EXPECT_FALSE(decode_watchdog_status("[1,2]", &why));
  EXPECT_EQ(why, "the watchdog status is not a JSON object");
  EXPECT_FALSE(decode_watchdog_status(R"({"error":"unknown request; send status or metrics"})", &why));
  EXPECT_EQ(why, "watchdog status: no \"schema\" (expected \"oomlab.watchdog.status/1\")");
  EXPECT_FALSE(decode_watchdog_status(R"({"schema":"oomlab.watchdog.status/2"})", &why));
  EXPECT_EQ(why, "watchdog status: schema is \"oomlab.watchdog.status/2\", expected \"oomlab.watchdog.status/1\"");
  EXPECT_EQ(why.find('\n'), std::string::npos);
}

// Wrong types and out-of-range numbers decode as defaults, never throw.
TEST(WatchdogStatusCodec, WrongTypesDecodeAsDefaults) {
  auto s = decode_watchdog_status(
      R"({"schema":"oomlab.watchdog.status/1","pid":"12","config":[],"scan":{"last_done_ms_ago":"x","tasks":-3},)"
      R"("stalls":[{"tid":1e30,"kind":7}],"kills":{"pid":1},"pressure":[{"recent_some":null}]})");
  ASSERT_TRUE(s);
  EXPECT_EQ(s->pid, 0);
  EXPECT_EQ(s->config.period_ms, 0);
  EXPECT_EQ(s->scan.last_done_ms_ago, -1);
  EXPECT_EQ(s->scan.tasks, 0u);
  ASSERT_EQ(s->stalls.size(), 1u);
  EXPECT_EQ(s->stalls[0].tid, 0);
  EXPECT_EQ(s->stalls[0].kind, "");
  EXPECT_TRUE(s->kills.empty());
  ASSERT_EQ(s->pressure.size(), 1u);
  EXPECT_EQ(s->pressure[0].recent_some, -1);
}
