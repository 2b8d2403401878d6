// The oomlab-analyze CLI contract other components rely on: JSON on stdout,
// exit 0 clean / 1 finding / 2 bad input or usage with one line on stderr.
#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "helpers.hpp"
#include "oomlab/common/subprocess.hpp"
#include "oomlab/formats/verdict_summary.hpp"

namespace oomlab::analyzer::test {
namespace {

const std::string kBin = std::string(OOMLAB_BIN_DIR) + "/oomlab-analyze";

ProcessResult run(std::vector<std::string> args, std::string stdin_data = "") {
  args.insert(args.begin(), kBin);
  ProcessSpec spec(args);
  spec.stdin_data = std::move(stdin_data);
  spec.timeout = std::chrono::seconds(60);
  return run_process(spec);
}

int lines_of(const std::string& s) { return static_cast<int>(std::count(s.begin(), s.end(), '\n')); }

// The verdict class of one document, read as the runner and the VM harness
// read it: through formats::decode_verdict ("" with the reason when it does
// not decode). The string keys left in this file check the document's own
// shape on purpose (schema, input, findings[].lock, oom_events[]: the CLI
// contract of analyzer/README.md that no other tool reads).
std::string verdict_of(const std::string& document) {
  std::string why;
  auto v = formats::decode_verdict(document, &why);
  return v ? v->verdict : "(" + why + ")";
}

TEST(Cli, SeedGivesLivelockJsonAndExit1) {
  auto r = run({seed_path("003_")});
  EXPECT_EQ(r.exit_code, 1);
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["schema"], "oomlab.verdict/1");
  EXPECT_EQ(verdict_of(r.out), "oom_livelock");
  EXPECT_EQ(j["findings"][0]["lock"]["name"], "mmap_sem");
  EXPECT_EQ(j["oom_events"][1]["victim"]["pid"], 3418);
  EXPECT_TRUE(r.err.empty());
}

TEST(Cli, CleanInputExits0) {
  auto r = run({seed_path("001_")});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(verdict_of(r.out), "clean");
}

TEST(Cli, StdinAndName) {
  auto r = run({"--name", "serial.log"}, "[ 1.0] Killed process 5 (x) total-vm:1kB, anon-rss:1kB, file-rss:0kB\n");
  EXPECT_EQ(r.exit_code, 1);
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["input"]["name"], "serial.log");
  EXPECT_EQ(verdict_of(r.out), "oom_resolved");
  auto empty = run({"-"}, "");
  EXPECT_EQ(empty.exit_code, 0);
  EXPECT_EQ(nlohmann::json::parse(empty.out)["input"]["lines"], 0);
}

TEST(Cli, JsonlOneLinePerInput) {
  auto r = run({"--jsonl", seed_path("000_"), seed_path("001_"), seed_path("003_")});
  EXPECT_EQ(r.exit_code, 1);
  ASSERT_EQ(lines_of(r.out), 3);
  std::istringstream in(r.out);
  std::string line;
  std::vector<std::string> verdicts;
  while (std::getline(in, line)) verdicts.push_back(verdict_of(line));
  EXPECT_EQ(verdicts, (std::vector<std::string>{"warning", "clean", "oom_livelock"}));
}

TEST(Cli, SeveralFilesPrettyIsAnArray) {
  auto r = run({seed_path("000_"), seed_path("002_")});
  auto j = nlohmann::json::parse(r.out);
  ASSERT_TRUE(j.is_array());
  EXPECT_EQ(j.size(), 2u);
  EXPECT_EQ(r.exit_code, 1);
}

TEST(Cli, TextSummary) {
  auto r = run({"--text", seed_path("003_")});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.out.find("oom_livelock - OOM livelock: a.out(3418) waits for mmap_sem write in vm_munmap"), std::string::npos);
  EXPECT_NE(r.out.find("silent_hang: silent hang: no progress for 291 s (up to 16 task(s) blocked on alloc)"), std::string::npos);
  EXPECT_NE(r.out.find("hog a.out(3417) state R, allocator"), std::string::npos);
}

TEST(Cli, ThresholdOptionsChangeTheVerdict) {
  auto r = run({"--jsonl", "--stall-threshold", "300s", "--victim-threshold", "1000s", seed_path("003_")});
  // The victim was last seen 221 s after its kill, the stall lasted 191 s.
  EXPECT_EQ(verdict_of(r.out), "allocation_stall");
}

TEST(Cli, BadUsageAndBadInputExit2WithOneLine) {
  struct Case {
    std::vector<std::string> args;
    std::string needle;
  };
  const std::vector<Case> cases = {
      {{"--frobnicate"}, "unknown option --frobnicate"},
      {{"--stall-threshold"}, "--stall-threshold needs a duration"},
      {{"--stall-threshold", "soon"}, "--stall-threshold needs a duration"},
      {{"--max-line", "1"}, "--max-line needs a size"},
      {{"/nonexistent/kern.log"}, "/nonexistent/kern.log: No such file or directory"},
      {{OOMLAB_SOURCE_DIR}, "is a directory"},
  };
  for (const Case& c : cases) {
    auto r = run(c.args);
    EXPECT_EQ(r.exit_code, 2) << c.args[0];
    EXPECT_EQ(lines_of(r.err), 1) << r.err;
    EXPECT_NE(r.err.find(c.needle), std::string::npos) << r.err;
  }
}

TEST(Cli, OneBadFileDoesNotHideTheOthers) {
  auto r = run({"--jsonl", "/nonexistent", seed_path("003_")});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(lines_of(r.out), 1);
  EXPECT_EQ(verdict_of(r.out), "oom_livelock");
}

// --watchdog-lines: the watchdog's JSON log back to the text lines it wrote
// (what bench/reliability/vm_memory_exhaustion.sh compares with the
// daemon's stderr), through the codec: the demo run's 133 records.
TEST(Cli, WatchdogLinesAreTheRecordsText) {
  auto r = run({"--watchdog-lines", fixture_path("demo_mmap_lock_hold.watchdog.jsonl")});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(r.err.empty()) << r.err;
  EXPECT_EQ(lines_of(r.out), 133);
  EXPECT_EQ(r.out.rfind("oomlab-watchdog[2377]: started: profile=desktop period=250ms ", 0), 0u) << r.out.substr(0, 200);
  EXPECT_NE(r.out.find("\noomlab-watchdog[2377]: killed: pid=2384 comm=anon-ballast kill_to_exit=4ms kill_to_freed=4ms "
                       "freed=113812kB\n"),
            std::string::npos);
  EXPECT_EQ(r.out.find("\"mono_ms\""), std::string::npos) << "text lines, not JSON";
}

TEST(Cli, WatchdogLinesRefuseWhatIsNotTheWatchdogsLog) {
  char tmpl[] = "/tmp/oomlab-cli-XXXXXX";
  ASSERT_NE(::mkdtemp(tmpl), nullptr);
  const std::string dir = tmpl, bad = dir + "/bad.jsonl", empty = dir + "/empty.jsonl";
  {
    std::ofstream(bad) << R"({"type":"note","line":"oomlab-watchdog[1]: ok","mono_ms":1,"priority":6,"time":"t"})"
                       << "\nMemAlloc: not json\n";
    std::ofstream{empty};
  }
  struct Case {
    std::string file, needle;
  };
  for (const Case& c : {Case{bad, bad + ":2: "}, Case{empty, "no oomlab-watchdog JSON record"},
                        Case{dir + "/missing", "cannot be read"}, Case{dir, dir + ": is a directory"}}) {
    auto r = run({"--watchdog-lines", c.file});
    EXPECT_EQ(r.exit_code, 2) << c.file;
    EXPECT_EQ(lines_of(r.err), 1) << r.err;
    EXPECT_NE(r.err.find(c.needle), std::string::npos) << r.err;
  }
  auto none = run({"--watchdog-lines"});
  EXPECT_EQ(none.exit_code, 2);
  EXPECT_NE(none.err.find("--watchdog-lines needs a file"), std::string::npos) << none.err;
  std::filesystem::remove_all(dir);
}

TEST(Cli, Help) {
  auto r = run({"--help"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.out.find("usage: oomlab-analyze"), std::string::npos);
  EXPECT_NE(r.out.find("exit status: 0 clean, 1 at least one finding, 2 bad input or usage"), std::string::npos);
}

}  // namespace
}  // namespace oomlab::analyzer::test
