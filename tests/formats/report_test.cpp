// report.json (oomlab.report/2) through its one codec: a real report written
// by oomlab-repro decodes with every section, encode -> decode gives the
// same document, wrong types and missing fields decode as defaults, and a
// wrong schema is refused with one line.
#include "oomlab/formats/report.hpp"

#include <fstream>
#include <gtest/gtest.h>
#include <iterator>

using namespace oomlab::formats;

namespace {

std::string fixture(const std::string& name) {
  std::ifstream in(std::string(OOMLAB_SOURCE_DIR) + "/tests/formats/fixtures/" + name);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

Report full() {
  Report r;
  r.scenario = "memory-high";
  r.params.limit_bytes = 64ull << 20;
  r.params.duration_ms = 3000, r.params.stall_threshold_ms = 1000, r.params.period_ms = 100;
  r.params.stall_psi_share = 0.25;
  r.params.options = {{"total", "96M"}};
  r.started_at = "2026-12-06T23:00:00.000Z", r.ended_at = "2026-12-06T23:00:03.500Z";
  r.kernel = {"6.1.0-56-amd64", "#1 SMP", "x86_64"};
  r.cgroup = {2, "v2", "/sys/fs/cgroup/oomlab/x", "/sys/fs/cgroup/oomlab/x/memory.pressure"};
  ReportStall st{100, 2900, 2800, true, "blocked_wait", "reclaim", 2, "up to 2 task(s) blocked on reclaim"};
  r.outcome = {"livelock", "no progress from +0.1s for 2.8 s", 1, false, std::nullopt, st, std::nullopt, {st}};
  r.outcome.ended_by = ReportEndedBy{2950, 42, "high-alloc", "watchdog", "stall_timeout"};
  r.workload = {"running at the deadline", "complete", "tail"};
  r.oom_kills.push_back({1500, 42, "hog", 1000, 12, 1512, 1u << 20, 2u << 20, true, "kmsg"});
  ReportWatchdog w;
  w.argv = {"oomlab-watchdog", "--scope", "x"};
  w.status = "exited 0", w.log = "watchdog.jsonl";
  w.kills.push_back({2950, 42, "high-alloc", "/x", "stall_timeout", 5000, false, 4, std::nullopt, 5000, "exit"});
  w.stall_reports = 3, w.events.push_back({2900, "memalloc_info", "oomlab-watchdog[1]: MemAlloc-Info: stalling=1"});
  w.events_dropped = 1, w.bad_lines = 2, w.kmsg_withheld = 7;
  r.watchdog = w;
  r.tracer = ReportTracer{"ok", ""};
  ReportSample s;
  s.t_ms = 100, s.usage_bytes = 60ull << 20, s.limit_bytes = 64ull << 20;
  s.events = {0, 12, 3, 1, 1, false};
  s.psi = ReportPsi{1.5, 0.5, 100000, 50000, 0.25, std::nullopt};
  s.processes = 2;
  s.tasks.running = 1, s.tasks.sleeping = 2, s.tasks.disk = 3, s.tasks.other = 0;
  s.tasks.top_wait = {{"mem_cgroup_handle_over_high", 2}};
  s.tasks.blocked = {{"reclaim", 2}};
  s.oom_kills = 1, s.victim_alive = true, s.victim_killed_ms = 1500;
  s.trace = ReportTrace{1, 20, "hog(42)", "memcg", "0xcc0(GFP_KERNEL)", 0, 1, 30, "r(43)", true, "held by w(44)"};
  r.timeline = {s, ReportSample{}};
  r.kernel_log = {"ok", 0, 3, {"[  1.5] Killed process 42 (hog)"}};
  VerdictDoc v;
  v.raw = R"({"schema":"oomlab.verdict/1","verdict":"silent_hang","title":"t","input":{"suppressed":[{"who":"oomlab-watchdog","lines":111}],"watchdog_log":{"name":"w"}},"findings":[{"class":"silent_hang","title":"t"}]})";
  r.log_verdict = v;
  r.verdict = {"allocation_stall", "up to 2 task(s) stalled", "runner's samples", "the kernel log shows no sign"};
  r.files = {"kernel.log", "workload.log", "report.html", "watchdog.jsonl"};
  return r;
}

}  // namespace

TEST(ReportCodec, RoundTripKeepsEveryField) {
  const Report r = full();
  const std::string text = encode_report(r);
  std::string why;
  auto back = decode_report(text, &why);
  ASSERT_TRUE(back) << why;
  EXPECT_EQ(encode_report(*back), text);
  EXPECT_EQ(back->params.limit_bytes, 64ull << 20);
  EXPECT_EQ(back->outcome.stall->wait, "reclaim");
  EXPECT_EQ(back->outcome.ended_by->reason, "stall_timeout");
  EXPECT_EQ(back->oom_kills.at(0).low_usage_bytes, 1u << 20);
  EXPECT_EQ(back->watchdog->kills.at(0).kill_to_freed_ms, std::nullopt);
  EXPECT_EQ(back->watchdog->kills.at(0).freed_kb, 5000);
  EXPECT_EQ(back->timeline.at(0).psi->full_ratio, std::nullopt);
  EXPECT_EQ(back->timeline.at(0).psi->some_ratio, 0.25);
  EXPECT_EQ(back->timeline.at(0).tasks.blocked.at(0), std::make_pair(std::string("reclaim"), 2));
  EXPECT_EQ(back->timeline.at(0).trace->lockwait_holders, "held by w(44)");
  EXPECT_FALSE(back->timeline.at(1).psi);
  EXPECT_FALSE(back->timeline.at(1).limit_bytes);
  EXPECT_EQ(back->kernel_log.other_groups_lines, 3u);
  EXPECT_EQ(back->verdict.cls, "allocation_stall");
  EXPECT_EQ(back->verdict.from, "runner's samples");
  EXPECT_EQ(back->verdict.note, "the kernel log shows no sign");
  ASSERT_TRUE(back->log_verdict);
  EXPECT_EQ(back->log_verdict->verdict, "silent_hang");
  ASSERT_EQ(back->log_verdict->suppressed.size(), 1u);
  EXPECT_EQ(back->log_verdict->suppressed[0].lines, 111u);
  EXPECT_TRUE(back->log_verdict->watchdog_log_merged);
  EXPECT_EQ(back->files.watchdog_log, "watchdog.jsonl");
}

TEST(ReportCodec, AbsentSectionsStayAbsent) {
  Report r;
  r.scenario = "x";
  r.log_verdict_error = "oomlab-analyze not found";
  auto back = decode_report(encode_report(r));
  ASSERT_TRUE(back);
  EXPECT_FALSE(back->watchdog);
  EXPECT_FALSE(back->tracer);
  EXPECT_FALSE(back->log_verdict);
  EXPECT_EQ(back->verdict.cls, "");
  EXPECT_EQ(back->verdict.note, "");
  EXPECT_FALSE(back->outcome.stall);
  EXPECT_FALSE(back->params.limit_bytes);
  EXPECT_EQ(back->log_verdict_error, "oomlab-analyze not found");
  EXPECT_EQ(back->files.watchdog_log, "");
}

// A report oomlab-repro wrote (mmap-sem, 64M, 3 s, --watchdog on the build
// host; tests/formats/fixtures/README.md): every section the runner fills
// decodes, and re-encoding it gives the file back byte for byte.
TEST(ReportCodec, RealRunnerReport) {
  const std::string text = fixture("mmap-sem.report.json");
  ASSERT_FALSE(text.empty());
  std::string why;
  auto r = decode_report(text, &why);
  ASSERT_TRUE(r) << why;
  EXPECT_EQ(r->scenario, "mmap-sem");
  EXPECT_FALSE(r->outcome.cls.empty());
  EXPECT_FALSE(r->outcome.reason.empty());
  EXPECT_GT(r->timeline.size(), 10u);
  EXPECT_TRUE(r->params.limit_bytes);
  EXPECT_GT(r->timeline.back().t_ms, 0);
  EXPECT_GT(r->timeline.back().usage_bytes, 0u);
  EXPECT_TRUE(r->timeline.back().psi);
  EXPECT_TRUE(r->watchdog);
  EXPECT_FALSE(r->watchdog->argv.empty());
  ASSERT_TRUE(r->log_verdict);
  EXPECT_FALSE(r->log_verdict->verdict.empty());
  // The one verdict agrees with the outcome (facts::verdict_class_for).
  EXPECT_FALSE(r->verdict.cls.empty());
  EXPECT_FALSE(r->verdict.from.empty());
  EXPECT_EQ(r->files.kernel_log, "kernel.log");
  EXPECT_EQ(encode_report(*r), text);
}

TEST(ReportCodec, WrongTypesAndMissingFieldsDecodeAsDefaults) {
  // Strings for numbers, floats and out-of-range numbers for integers,
  // objects where arrays belong, arrays of the wrong things.
  const char* text = R"({"schema":"oomlab.report/2","scenario":7,
    "params":{"limit_bytes":"64M","duration_ms":1.5,"period_ms":1e300,"stall_psi_share":"x","options":{"a":1,"b":"2"}},
    "outcome":{"class":["livelock"],"exit_code":4294967296,"stall":"long","stalls":[1,{"start_ms":-5}],"ended_by":[]},
    "oom_kills":{"t_ms":1},
    "watchdog":{"argv":[1,"a"],"kills":[null,{"pid":"1"}],"events":"x"},
    "timeline":[{"t_ms":"1","psi":{"some_total_us":-1,"some_ratio":"0.5"},"tasks":{"top_wait":[["w"],["x",1],[2,3]],"blocked":{"reclaim":"2","io":2}},"trace":1},7],
    "kernel_log":{"lines":["a",1,null]},
    "verdict":{"class":1,"from":["x"],"note":"n"},
    "log_verdict":{"verdict":3,"input":{"suppressed":[{"lines":-1},5]},"findings":{}},
    "files":[]})";
  std::string why;
  auto r = decode_report(text, &why);
  ASSERT_TRUE(r) << why;
  EXPECT_EQ(r->scenario, "");
  EXPECT_FALSE(r->params.limit_bytes);
  EXPECT_EQ(r->params.duration_ms, 0);
  EXPECT_EQ(r->params.period_ms, 0);
  EXPECT_EQ(r->params.stall_psi_share, 0);
  ASSERT_EQ(r->params.options.size(), 1u);
  EXPECT_EQ(r->params.options[0].first, "b");
  EXPECT_EQ(r->outcome.cls, "");
  EXPECT_EQ(r->outcome.exit_code, 0);
  EXPECT_FALSE(r->outcome.stall);
  EXPECT_FALSE(r->outcome.ended_by);
  ASSERT_EQ(r->outcome.stalls.size(), 1u);
  EXPECT_EQ(r->outcome.stalls[0].start_ms, -5);
  EXPECT_TRUE(r->oom_kills.empty());
  ASSERT_TRUE(r->watchdog);
  EXPECT_EQ(r->watchdog->argv, std::vector<std::string>{"a"});
  ASSERT_EQ(r->watchdog->kills.size(), 2u);
  EXPECT_EQ(r->watchdog->kills[1].pid, 0);
  EXPECT_TRUE(r->watchdog->events.empty());
  ASSERT_EQ(r->timeline.size(), 1u);
  EXPECT_EQ(r->timeline[0].t_ms, 0);
  ASSERT_TRUE(r->timeline[0].psi);
  EXPECT_EQ(r->timeline[0].psi->some_total_us, 0u);
  EXPECT_FALSE(r->timeline[0].psi->some_ratio);
  ASSERT_EQ(r->timeline[0].tasks.top_wait.size(), 1u);
  EXPECT_EQ(r->timeline[0].tasks.top_wait[0].first, "x");
  ASSERT_EQ(r->timeline[0].tasks.blocked.size(), 1u);
  EXPECT_EQ(r->timeline[0].tasks.blocked[0].first, "io");
  EXPECT_FALSE(r->timeline[0].trace);
  EXPECT_EQ(r->kernel_log.lines, std::vector<std::string>{"a"});
  EXPECT_EQ(r->verdict.cls, "");
  EXPECT_EQ(r->verdict.from, "");
  EXPECT_EQ(r->verdict.note, "n");
  ASSERT_TRUE(r->log_verdict);
  EXPECT_EQ(r->log_verdict->verdict, "");
  ASSERT_EQ(r->log_verdict->suppressed.size(), 1u);
  EXPECT_EQ(r->log_verdict->suppressed[0].lines, 0u);
  EXPECT_EQ(r->files.kernel_log, "");
  // Whatever came in, what goes out decodes again.
  EXPECT_TRUE(decode_report(encode_report(*r)));
}

TEST(ReportCodec, SchemaCheckedWithOneLine) {
  std::string why;
  // /1 kept the analyzer's document in `verdict`: refused, not misread.
  EXPECT_FALSE(decode_report(R"({"schema":"oomlab.report/1"})", &why));
  EXPECT_EQ(why, R"(schema is "oomlab.report/1", expected "oomlab.report/2")");
  EXPECT_FALSE(decode_report(R"({"schema":"oomlab.bench-peers/1","runs":[]})", &why));
  EXPECT_NE(why.find("expected \"oomlab.report/2\""), std::string::npos);
  EXPECT_FALSE(decode_report(R"({"scenario":"x"})", &why));
  EXPECT_EQ(why, R"(no "schema" (expected "oomlab.report/2"))");
  EXPECT_FALSE(decode_report("{\"schema\":\"a\\nb\"}", &why));
  EXPECT_EQ(why.find('\n'), std::string::npos) << why;
  EXPECT_FALSE(decode_report("[1,2]", &why));
  EXPECT_EQ(why, "not a JSON object");
  EXPECT_FALSE(decode_report("{\"schema\":", &why));
  EXPECT_EQ(why, "not a JSON object");
  EXPECT_FALSE(decode_report("", &why));
}

TEST(VerdictDoc, FieldsAndRawKept) {
  std::string why;
  auto v = decode_verdict(R"({"schema":"oomlab.verdict/1","verdict":"clean","title":"clean","findings":[]})", &why);
  ASSERT_TRUE(v) << why;
  EXPECT_EQ(v->verdict, "clean");
  EXPECT_FALSE(v->watchdog_log_merged);
  EXPECT_EQ(encode_verdict(*v), v->raw);
  auto e = decode_verdict(R"({"error":"oomlab-analyze is not built in /x"})");
  ASSERT_TRUE(e);
  EXPECT_EQ(e->error, "oomlab-analyze is not built in /x");
  EXPECT_EQ(e->verdict, "");
  EXPECT_FALSE(decode_verdict("not json", &why));
  EXPECT_EQ(why, "the verdict is not a JSON object");
  // Built from fields only (no raw): the fields come back.
  VerdictDoc built;
  built.verdict = "silent_hang", built.title = "t", built.findings = {{"silent_hang", "t", std::nullopt}};
  auto again = decode_verdict(encode_verdict(built));
  ASSERT_TRUE(again);
  EXPECT_EQ(again->verdict, "silent_hang");
  EXPECT_EQ(again->findings.size(), 1u);
}
