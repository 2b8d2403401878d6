// The runner's --json summary (oomlab.run-summary/1) through its one codec:
// a line oomlab-repro printed decodes and re-encodes byte for byte, one
// from before the schema still decodes (the kernel matrix and the VM
// captures keep such), wrong types decode as defaults, a wrong schema is
// refused with one line.
#include "oomlab/formats/run_summary.hpp"
#include "oomlab/formats/scenario_list.hpp"

#include <fstream>
#include <gtest/gtest.h>
#include <iterator>

using namespace oomlab::formats;

namespace {

std::string fixture(const std::string& name) {
  std::ifstream in(std::string(OOMLAB_SOURCE_DIR) + "/tests/formats/fixtures/" + name);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::string first_line(const std::string& s) { return s.substr(0, s.find('\n')); }

}  // namespace

// What `oomlab-repro run mmap-sem ... --json --report-dir DIR` printed on the
// build host (tests/formats/fixtures/README.md).
TEST(RunSummaryCodec, RealRunnerLine) {
  const std::string line = first_line(fixture("mmap-sem.summary.json"));
  ASSERT_FALSE(line.empty());
  std::string why;
  auto s = decode_run_summary(line, &why);
  ASSERT_TRUE(s) << why;
  EXPECT_EQ(s->schema, kRunSummarySchema);
  EXPECT_EQ(s->scenario, "mmap-sem");
  EXPECT_FALSE(s->outcome.empty());
  EXPECT_FALSE(s->reason.empty());
  EXPECT_FALSE(s->verdict.empty());
  EXPECT_EQ(s->teardown, "complete");
  EXPECT_TRUE(s->report_json.ends_with("/report.json")) << s->report_json;
  EXPECT_TRUE(s->error.empty());
  EXPECT_EQ(encode_run_summary(*s), line);
}

// A run that did not happen: outcome null, the reason says why.
TEST(RunSummaryCodec, NotRunIsNullOutcome) {
  RunSummary s;
  s.scenario = "shmem-fill", s.reason = "needs cgroup v2", s.exit_code = 5;
  const std::string text = encode_run_summary(s);
  EXPECT_NE(text.find("\"outcome\":null"), std::string::npos) << text;
  EXPECT_NE(text.find("\"report_json\":null"), std::string::npos) << text;
  EXPECT_EQ(text.find('\n'), std::string::npos);
  auto back = decode_run_summary(text);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->outcome, "");
  EXPECT_EQ(back->reason, "needs cgroup v2");
  EXPECT_EQ(back->exit_code, 5);
  EXPECT_FALSE(back->watchdog_kills);
  EXPECT_EQ(encode_run_summary(*back), text);
}

// Printed by a runner before the schema (the kernel matrix's 6.1 memory-high
// cell): the fields decode, and re-encoding adds no schema.
TEST(RunSummaryCodec, SummaryFromBeforeTheSchema) {
  const std::string old =
      R"({"exit_code":1,"interrupted":false,"kill_to_freed_ms":null,"oom_kills":0,"outcome":"livelock",)"
      R"("reason":"no progress for 14.4 s until the end of the run (threshold 10.0 s); 0 OOM kills",)"
      R"("report_html":"reports/x/report.html","report_json":"reports/x/report.json","scenario":"memory-high","teardown":"complete"})";
  auto s = decode_run_summary(old);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->schema, "");
  EXPECT_EQ(s->outcome, "livelock");
  EXPECT_EQ(s->exit_code, 1);
  EXPECT_FALSE(s->kill_to_freed_ms);
  EXPECT_EQ(encode_run_summary(*s).find("schema"), std::string::npos);
}

TEST(RunSummaryCodec, WrongTypesDecodeAsDefaults) {
  auto s = decode_run_summary(
      R"({"schema":"oomlab.run-summary/1","scenario":1,"outcome":["x"],"exit_code":"1","oom_kills":1.5,)"
      R"("kill_to_freed_ms":"82","interrupted":"yes","watchdog_kills":-1,"report_json":{},"error":null})");
  ASSERT_TRUE(s);
  EXPECT_EQ(s->scenario, "");
  EXPECT_EQ(s->outcome, "");
  EXPECT_EQ(s->exit_code, 0);
  EXPECT_EQ(s->oom_kills, 0);
  EXPECT_FALSE(s->kill_to_freed_ms);
  EXPECT_FALSE(s->interrupted);
  EXPECT_EQ(s->watchdog_kills, -1);
  EXPECT_EQ(s->report_json, "");
  EXPECT_EQ(s->error, "");
  EXPECT_TRUE(decode_run_summary(encode_run_summary(*s)));
}

TEST(RunSummaryCodec, WrongSchemaIsOneLine) {
  std::string why;
  EXPECT_FALSE(decode_run_summary(R"({"schema":"oomlab.run-summary/9\n","outcome":"livelock"})", &why));
  EXPECT_EQ(why, "run summary: schema is \"oomlab.run-summary/9?\", expected \"oomlab.run-summary/1\"");
  EXPECT_FALSE(decode_run_summary(R"({"schema":1})", &why));
  EXPECT_EQ(why.find('\n'), std::string::npos);
  EXPECT_FALSE(decode_run_summary("outcome: livelock", &why));
  EXPECT_EQ(why, "the run summary is not a JSON object");
  EXPECT_FALSE(decode_run_summary("[1]", &why));
}

// `oomlab-repro list --json` (formats/scenario_list.hpp): what the VM harness
// checks a scenario's name and disk need with.
TEST(ScenarioListCodec, RoundTripWrongTypesAndNotAList) {
  std::vector<ScenarioInfo> list = {{"page-cache-thrash", "s", false, true, {{"ballast", "60%", "h"}}},
                                    {"memory-high", "m", true, false, {}}};
  const std::string text = encode_scenario_list(list);
  auto back = decode_scenario_list(text);
  ASSERT_TRUE(back);
  ASSERT_EQ(back->size(), 2u);
  EXPECT_TRUE((*back)[0].needs_disk);
  EXPECT_EQ((*back)[0].options.at(0).default_value, "60%");
  EXPECT_TRUE((*back)[1].needs_cgroup_v2);
  EXPECT_EQ(encode_scenario_list(*back), text);
  auto odd = decode_scenario_list(R"([{"name":1,"needs_disk":"yes","options":{}},7,{"name":"x"}])");
  ASSERT_TRUE(odd);
  ASSERT_EQ(odd->size(), 2u);
  EXPECT_EQ((*odd)[0].name, "");
  EXPECT_FALSE((*odd)[0].needs_disk);
  EXPECT_EQ((*odd)[1].name, "x");
  std::string why;
  EXPECT_FALSE(decode_scenario_list(R"({"name":"x"})", &why));
  EXPECT_EQ(why, "the scenario list is not a JSON array");
}
