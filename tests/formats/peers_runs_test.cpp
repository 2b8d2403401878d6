// runs.json (oomlab.bench-peers/1) through its one codec.
#include "oomlab/formats/peers_runs.hpp"

#include <fstream>
#include <gtest/gtest.h>
#include <iterator>

using namespace oomlab::formats;

TEST(PeersRunsCodec, RoundTrip) {
  PeersRuns doc;
  doc.settings.where = "host", doc.settings.limit = "128M", doc.settings.duration_s = 20, doc.settings.runs = 3;
  doc.settings.quick = false, doc.settings.period_ms = 50, doc.settings.started_at = "2026-12-06T23:00:00.000Z";
  doc.settings.kernel = "Linux version 6.1";
  doc.settings.scenario_args = {"--high", "50%"}, doc.settings.oomlab_from = "oomlab_0.1.0-1_amd64.deb";
  doc.settings.set_guard("none", "the kernel alone");
  doc.settings.set_guard("oomlab-watchdog", "--period 500ms");
  doc.settings.set_guard("none", "the kernel OOM killer alone");  // replaces, keeps one entry
  PeersRun r;
  r.scenario = "mmap-lock-hold", r.guard = "nohang", r.run = 2, r.outcome = "livelock", r.duration_ms = 20000;
  r.guard_ready_ms = -300, r.first_stall_ms = 1200, r.first_kill_ms = 6000, r.stall_to_kill_ms = 4800;
  r.no_progress_ms = 15000, r.stalled_at_end = true;
  r.kills = {{6000, "nohang", 42, "anon-ballast", true, std::nullopt}, {7000, "kernel", 43, "x", false, 12}};
  r.cost = {12.5, 4096, 4200, "proc_pid_cmdline_read"};
  r.guard_blocked = true, r.error = "", r.guard_tail = {"a", "b"};
  doc.runs = {r, PeersRun{}};
  const std::string text = encode_peers_runs(doc);
  std::string why;
  auto back = decode_peers_runs(text, &why);
  ASSERT_TRUE(back) << why;
  EXPECT_EQ(encode_peers_runs(*back), text);
  ASSERT_EQ(back->settings.guards.size(), 2u);
  EXPECT_EQ(back->settings.guards[0].second, "the kernel OOM killer alone");
  EXPECT_EQ(back->settings.period_ms, 50);
  EXPECT_EQ(back->settings.scenario_args, (std::vector<std::string>{"--high", "50%"}));
  EXPECT_FALSE(back->settings.mem.size());
  ASSERT_EQ(back->runs.size(), 2u);
  const PeersRun& b = back->runs[0];
  EXPECT_EQ(b.guard_ready_ms, -300);
  EXPECT_FALSE(b.kill_to_freed_ms);
  EXPECT_EQ(b.kills.at(1).freed_ms, 12);
  EXPECT_FALSE(b.kills.at(0).freed_ms);
  EXPECT_EQ(b.cost.d_wchan, "proc_pid_cmdline_read");
  EXPECT_EQ(b.cost.cpu_ms, 12.5);
  EXPECT_EQ(b.guard_tail, (std::vector<std::string>{"a", "b"}));
}

TEST(PeersRunsCodec, WrongTypesDecodeAsDefaults) {
  std::string why;
  auto d = decode_peers_runs(R"({"schema":"oomlab.bench-peers/1","settings":{"runs":"3","guards":{"a":1,"b":"x"}},
      "runs":[{"run":2.5,"kills":[{"pid":1e20,"freed_ms":"1"},3],"guard_tail":["a",2],"guard_cpu_ms":"x","hit":1},"junk"]})",
                             &why);
  ASSERT_TRUE(d) << why;
  EXPECT_FALSE(d->settings.runs);
  ASSERT_EQ(d->settings.guards.size(), 1u);
  ASSERT_EQ(d->runs.size(), 1u);
  EXPECT_EQ(d->runs[0].run, 0);
  ASSERT_EQ(d->runs[0].kills.size(), 2u);
  EXPECT_EQ(d->runs[0].kills[0].pid, 0);
  EXPECT_FALSE(d->runs[0].kills[0].freed_ms);
  EXPECT_EQ(d->runs[0].guard_tail, std::vector<std::string>{"a"});
  EXPECT_EQ(d->runs[0].cost.cpu_ms, 0);
  EXPECT_FALSE(d->runs[0].hit);
}

TEST(PeersRunsCodec, SchemaCheckedWithOneLine) {
  std::string why;
  EXPECT_FALSE(decode_peers_runs(R"({"schema":"oomlab.report/1"})", &why));
  EXPECT_EQ(why, R"(schema is "oomlab.report/1", expected "oomlab.bench-peers/1")");
  EXPECT_FALSE(decode_peers_runs(R"({"runs":[]})", &why));
  EXPECT_EQ(why, R"(no "schema" (expected "oomlab.bench-peers/1"))");
  EXPECT_FALSE(decode_peers_runs("nonsense", &why));
  EXPECT_EQ(why, "not a JSON object");
}

namespace {

std::string guard_fixture() {
  std::ifstream in(std::string(OOMLAB_SOURCE_DIR) + "/tests/formats/fixtures/earlyoom.guard.json");
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

}  // namespace

// What `oomlab-bench-peers wrap` wrote around earlyoom (fixtures/README.md):
// decodes, and encodes back to the same line byte for byte.
TEST(WrappedGuardCodec, RealWrapFile) {
  std::string text = guard_fixture();
  ASSERT_FALSE(text.empty());
  ASSERT_EQ(text.back(), '\n');
  text.pop_back();
  std::string why;
  auto w = decode_wrapped_guard(text, &why);
  ASSERT_TRUE(w) << why;
  EXPECT_EQ(w->exit_status, 15);  // stopped by SIGTERM
  ASSERT_GE(w->lines.size(), 5u);
  EXPECT_EQ(w->lines[0].text, "earlyoom v1.7");
  EXPECT_GE(w->lines[0].realtime_ms, w->started_realtime_ms);
  EXPECT_GT(w->cost.peak_rss_kb, 0u);
  EXPECT_EQ(encode_wrapped_guard(*w), text);
}

// A console that lost or garbled the record: one line, no throw; wrong
// types decode as defaults (nlohmann's value() threw on them before).
TEST(WrappedGuardCodec, BadInput) {
  std::string why;
  EXPECT_FALSE(decode_wrapped_guard("", &why));
  EXPECT_EQ(why, "the guard record is not a JSON object");
  EXPECT_FALSE(decode_wrapped_guard("\n[cut", &why));
  EXPECT_EQ(why, "the guard record is not a JSON object");
  auto w = decode_wrapped_guard(R"({"exit_status":"x","cost":[],"lines":[7,{"t":"1","text":"a"}]})", &why);
  ASSERT_TRUE(w);
  EXPECT_EQ(w->exit_status, -1);
  ASSERT_EQ(w->lines.size(), 1u);
  EXPECT_EQ(w->lines[0].realtime_ms, 0);
  EXPECT_EQ(w->lines[0].text, "a");
}
