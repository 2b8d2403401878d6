// The runner's timeline always has a start and an end sample, however short
// the run: a run that ended at its first periodic sample (a hog OOM-killed
// in its first 100 ms, a deadline of one period) used to leave a one-sample
// timeline that no chart can draw. --unsafe-no-cgroup so that it runs
// unprivileged; the workloads only sleep or exit.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>

#include "oomlab/formats/report.hpp"
#include "oomlab/formats/run_summary.hpp"
#include <string>
#include <vector>

#include "oomlab/common/subprocess.hpp"

namespace {

struct TempDir {
  std::string path;
  TempDir() {
    char tmpl[] = "/tmp/oomlab-repro-sampling-XXXXXX";
    if (mkdtemp(tmpl)) path = tmpl;
  }
  ~TempDir() {
    if (!path.empty()) std::filesystem::remove_all(path);
  }
};

// The run's report.json, decoded by the one codec (formats/report.hpp).
std::optional<oomlab::formats::Report> run_report(const std::vector<std::string>& args, const std::string& out,
                                                  int expected_exit) {
  std::vector<std::string> argv = {std::string(OOMLAB_BIN_DIR) + "/oomlab-repro-testbin", "run"};
  argv.insert(argv.end(), args.begin(), args.end());
  argv.insert(argv.end(), {"--unsafe-no-cgroup", "--json", "--out", out});
  oomlab::ProcessSpec spec(argv);
  spec.timeout = std::chrono::seconds(90);
  auto r = oomlab::run_process(spec);
  if (expected_exit >= 0) {
    EXPECT_EQ(r.exit_code, expected_exit) << r.out << r.err;
  }
  auto summary = oomlab::formats::decode_run_summary(r.out);
  if (!summary || summary->report_json.empty()) {
    ADD_FAILURE() << "no report: " << r.out << r.err;
    return std::nullopt;
  }
  std::ifstream f(summary->report_json);
  std::string why;
  auto report = oomlab::formats::decode_report(
      std::string(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()), &why);
  if (!report) ADD_FAILURE() << "report.json: " << why;
  return report;
}

std::string times(const std::vector<oomlab::formats::ReportSample>& timeline) {
  std::string s;
  for (const auto& x : timeline) s += std::to_string(x.t_ms) + "ms/" + std::to_string(x.processes) + "p ";
  return s;
}

}  // namespace

TEST(RunnerSampling, ARunOfOnePeriodHasAStartAndAnEndSample) {
  TempDir out;
  ASSERT_FALSE(out.path.empty());
  // The deadline falls on the first periodic sample: without a start sample
  // the timeline would have that one point only.
  auto j = run_report({"test-sleep", "--children", "0", "--threads", "0", "--period", "1s", "--duration", "1s",
                       "--stall-threshold", "500ms", "--stall-psi", "100%"},
                      out.path, -1);  // no_oom, unless the system's PSI (no group) said otherwise
  ASSERT_TRUE(j);
  const auto& timeline = j->timeline;
  ASSERT_GE(timeline.size(), 2u) << times(timeline);
  // The start: taken before the workload was let go (it exists, asleep on
  // its start signal) ...
  EXPECT_EQ(timeline.front().processes, 1) << times(timeline);
  // ... the end: at (or past, when the runner was late) the deadline.
  EXPECT_GE(timeline.back().t_ms, 1000) << times(timeline);
  EXPECT_LT(timeline.front().t_ms, timeline.back().t_ms) << times(timeline);
}

TEST(RunnerSampling, AWorkloadGoneWithinThePeriodStillGivesTwoSamples) {
  TempDir out;
  ASSERT_FALSE(out.path.empty());
  // One period is 1 s; the workload exits at once (like a hog OOM-killed in
  // its first 100 ms).
  auto j = run_report({"test-exit", "--code", "0", "--period", "1s", "--duration", "30s"}, out.path, 4);  // no_oom
  ASSERT_TRUE(j);
  EXPECT_EQ(j->workload.exit, "exit 0");
  EXPECT_EQ(j->outcome.cls, "no_oom");
  const auto& timeline = j->timeline;
  ASSERT_GE(timeline.size(), 2u) << times(timeline);
  EXPECT_EQ(timeline.front().processes, 1) << times(timeline);
  // The end: the workload is gone, and it comes after the start.
  EXPECT_EQ(timeline.back().processes, 0) << times(timeline);
  EXPECT_LT(timeline.front().t_ms, timeline.back().t_ms) << times(timeline);
}
