// Helpers for the scenario tests: each scenario runs through the real
// `oomlab-repro run NAME --limit 64M --duration 5s --json` and the tests
// assert on its report (what the kernel did, what the workload logged) and on
// the teardown (no group, no task, no mount left).
#pragma once
#include <gtest/gtest.h>

#include <dirent.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "oomlab/cgroups/hierarchy.hpp"
#include "oomlab/common/procfs.hpp"
#include "oomlab/common/subprocess.hpp"
#include "oomlab/facts/proc_stat.hpp"
#include "oomlab/formats/report.hpp"
#include "oomlab/formats/run_summary.hpp"

namespace scenario_test {

namespace formats = oomlab::formats;

// The report.json named by a --json summary line, through its one codec
// (formats/report.hpp) as every tool reads it: a renamed field breaks the
// build, not silently a test. nullopt, with *why, when there is none.
inline std::optional<formats::Report> report_of(const std::string& summary, std::string* why = nullptr) {
  auto fail = [&](std::string what) -> std::optional<formats::Report> {
    if (why) *why = std::move(what);
    return std::nullopt;
  };
  std::string bad;
  auto s = formats::decode_run_summary(summary, &bad);
  if (!s) return fail("the runner's --json summary: " + bad);
  if (s->report_json.empty()) return fail("no report_json in the runner's --json summary");
  const std::string& path = s->report_json;
  std::ifstream f(path);
  if (!f) return fail("cannot open " + path);
  std::ostringstream text;
  text << f.rdbuf();
  return formats::decode_report(text.str(), why);
}

// One line per thing for a failure message (the typed report has no dump()).
inline std::string describe(const formats::ReportOutcome& o) {
  std::string s = o.cls + " - " + o.reason + " (exit " + std::to_string(o.exit_code) + ", kill_to_freed_ms " +
                  (o.kill_to_freed_ms ? std::to_string(*o.kill_to_freed_ms) : "null") + ", stalls";
  for (const auto& st : o.stalls)
    s += " [" + std::to_string(st.start_ms) + ".." + std::to_string(st.end_ms) + " ms " + st.cause + "]";
  return s + ")";
}
inline std::string describe(const std::vector<formats::ReportOomKill>& kills) {
  std::string s = std::to_string(kills.size()) + " OOM kill(s):";
  for (const auto& k : kills)
    s += " " + k.comm + "(" + std::to_string(k.pid) + ")@" + std::to_string(k.t_ms) + "ms" +
         (k.relieved ? " relieved" : "") + " source=" + k.source;
  return s;
}

// Live (not zombie) tasks whose comm is exactly `comm` (stat only: never
// cmdline).
inline std::vector<pid_t> live_tasks_named(const std::string& comm) {
  std::vector<pid_t> out;
  DIR* d = opendir("/proc");
  if (!d) return out;
  while (dirent* e = readdir(d)) {
    const pid_t pid = static_cast<pid_t>(std::atoi(e->d_name));
    if (pid <= 0) continue;
    auto stat = oomlab::read_proc_file("/proc/" + std::to_string(pid) + "/stat");
    if (!stat) continue;
    oomlab::facts::ProcStat st;
    if (!oomlab::facts::parse_proc_stat(*stat, st)) continue;
    if (comm == st.comm && st.state != 'Z' && st.state != 'X') out.push_back(pid);
  }
  closedir(d);
  return out;
}

struct ScenarioRun {
  oomlab::ProcessResult proc;
  std::optional<formats::Report> report;  // report.json, nullopt when the run wrote none (report_error says why)
  std::string report_error;
  std::string out_dir;

  // The workload's stderr (each scenario logs what it did there).
  std::string workload_log() const { return report ? report->workload.log_tail : std::string(); }
  const std::vector<formats::ReportSample>& timeline() const {
    static const std::vector<formats::ReportSample> none;
    return report ? report->timeline : none;
  }
  // For ASSERT_TRUE(run.report) << run.why(): the runner's output and why there is no report.
  std::string why() const { return report_error + "\n" + proc.out + proc.err; }
};

inline std::string repro_binary() { return std::string(OOMLAB_BIN_DIR) + "/oomlab-repro"; }

// Reports go under /var/tmp: the runner's work directory must be on a disk
// for page-cache-thrash (and /tmp may be a tmpfs).
inline std::string disk_temp_dir() {
  char tmpl[] = "/var/tmp/oomlab-scenario-test-XXXXXX";
  return mkdtemp(tmpl) ? tmpl : "";
}

inline ScenarioRun run_scenario(const std::string& name, const std::vector<std::string>& extra = {},
                        const std::string& duration = "5s") {
  ScenarioRun run;
  run.out_dir = disk_temp_dir();
  std::vector<std::string> argv = {repro_binary(), "run", name, "--limit", "64M", "--duration", duration,
                                   "--stall-threshold", "3s", "--json", "--out", run.out_dir};
  argv.insert(argv.end(), extra.begin(), extra.end());
  oomlab::ProcessSpec spec(argv);
  spec.timeout = std::chrono::seconds(120);
  run.proc = oomlab::run_process(spec);
  run.report = report_of(run.proc.out, &run.report_error);
  return run;
}

// Removes the report directory unless OOMLAB_KEEP_REPORTS is set (debugging).
inline void discard(const ScenarioRun& run) {
  if (!std::getenv("OOMLAB_KEEP_REPORTS") && !run.out_dir.empty()) std::filesystem::remove_all(run.out_dir);
}

// The memory cgroup a task is in ("/oomlab/repro-1-2-3"), from
// /proc/PID/cgroup (the v1 memory line, else the v2 line); empty if gone.
inline std::string memory_cgroup_of(pid_t pid) {
  auto text = oomlab::read_proc_file("/proc/" + std::to_string(pid) + "/cgroup");
  if (!text) return {};
  std::string v2;
  for (std::size_t pos = 0; pos < text->size();) {
    std::size_t eol = text->find('\n', pos);
    if (eol == std::string::npos) eol = text->size();
    const std::string line = text->substr(pos, eol - pos);
    if (auto at = line.find(":memory:"); at != std::string::npos) return line.substr(at + 8);
    if (line.rfind("0::", 0) == 0) v2 = line.substr(3);
    pos = eol + 1;
  }
  return v2;
}

// Tasks named like this scenario's that are not inside another live run's
// group (tests of other components may run the same scenario meanwhile).
// Tasks that are still exiting get up to 30 s to finish (a loaded machine
// can take seconds).
inline std::vector<std::string> left_behind(const std::string& our_group, std::initializer_list<const char*> comms) {
  std::vector<std::string> found;
  for (int attempt = 0; attempt < 300; ++attempt) {
    found.clear();
    for (const char* comm : comms)
      for (pid_t pid : live_tasks_named(comm)) {
        const std::string group = memory_cgroup_of(pid);
        const bool other_run = !group.empty() && our_group.find(group) == std::string::npos &&
                               group.find("/oomlab/") != std::string::npos;
        if (!other_run) found.push_back(std::string(comm) + "(" + std::to_string(pid) + ") in " + group);
      }
    if (found.empty()) break;
    usleep(100 * 1000);
  }
  return found;
}

// The runner said the teardown completed, and it did: the group directories
// are gone, no task of the scenario is alive, no FUSE mount of ours remains.
inline void expect_clean_teardown(const ScenarioRun& run, std::initializer_list<const char*> comms) {
  ASSERT_TRUE(run.report) << run.why();
  EXPECT_EQ(run.report->workload.teardown, "complete");
  const formats::ReportCgroup& cg = run.report->cgroup;
  const std::string group = cg.path;
  EXPECT_FALSE(std::filesystem::exists(group)) << group;
  if (!cg.psi_source.empty()) {
    const std::filesystem::path psi = cg.psi_source;
    if (psi.filename() == "memory.pressure" && psi.parent_path().string().find("/oomlab/") != std::string::npos) {
      EXPECT_FALSE(std::filesystem::exists(psi.parent_path())) << psi;
    }
  }
  for (const std::string& task : left_behind(group, comms)) ADD_FAILURE() << "left behind: " << task;
  auto mounts = oomlab::read_proc_file("/proc/self/mountinfo", 1 << 20);
  ASSERT_TRUE(mounts.has_value());
  EXPECT_EQ(mounts->find("oomlab-slow"), std::string::npos);
}

// Largest D-state count of any sample, and how often each wait channel was
// the top wait of a sample.
inline int max_d_tasks(const ScenarioRun& run) {
  int most = 0;
  for (const auto& s : run.timeline()) most = std::max(most, s.tasks.disk);
  return most;
}
inline int wait_channel_hits(const ScenarioRun& run, const std::string& wchan, std::int64_t from_ms = 0,
                             std::int64_t to_ms = INT64_MAX) {
  int hits = 0;
  for (const auto& s : run.timeline()) {
    const std::int64_t t = s.t_ms;
    if (t < from_ms || t > to_ms) continue;
    for (const auto& [sym, count] : s.tasks.top_wait)
      if (sym == wchan) hits += count;
  }
  return hits;
}

// Longest stretch of consecutive samples (from from_ms on) in which some
// task's top wait channel was `wchan`, in ms: a task blocked there for that
// long, as opposed to brief contention caught by one sample.
inline std::int64_t longest_wait_streak_ms(const ScenarioRun& run, const std::string& wchan, std::int64_t from_ms = 0) {
  std::int64_t longest = 0, start = -1, last = -1;
  for (const auto& s : run.timeline()) {
    const std::int64_t t = s.t_ms;
    if (t < from_ms) continue;
    bool waiting = false;
    for (const auto& w : s.tasks.top_wait) waiting |= w.first == wchan;
    if (!waiting) {
      start = -1;
      continue;
    }
    if (start < 0) start = t;
    last = t;
    longest = std::max(longest, last - start);
  }
  return longest;
}

// Lowest group usage over the samples taken in [from_ms, to_ms].
inline std::uint64_t min_usage_between(const ScenarioRun& run, std::int64_t from_ms, std::int64_t to_ms) {
  std::uint64_t low = UINT64_MAX;
  for (const auto& s : run.timeline()) {
    if (s.t_ms >= from_ms && s.t_ms <= to_ms) low = std::min(low, s.usage_bytes);
  }
  return low;
}

// Number after `key` on the last workload log line containing it ("...
// refaults 1234"), or -1.
inline long long last_number_after(const std::string& log, const std::string& key) {
  const auto at = log.rfind(key);
  if (at == std::string::npos) return -1;
  return std::atoll(log.c_str() + at + key.size());
}

// shmem-fill, pipe-fill: the kernel kills and kills, and no kill relieves the
// group (usage never 20% of the limit below it): the run is not oom_resolved;
// without a long stall it is oom_ineffective (with one, a stall class).
inline void expect_no_relief(const ScenarioRun& run) {
  ASSERT_TRUE(run.report) << run.why();
  const formats::ReportOutcome& outcome = run.report->outcome;
  for (const auto& k : run.report->oom_kills)
    EXPECT_FALSE(k.relieved) << k.comm << "(" << k.pid << ")@" << k.t_ms << "ms";
  EXPECT_NE(outcome.cls, "oom_resolved") << describe(outcome);
  EXPECT_FALSE(outcome.kill_to_freed_ms) << describe(outcome);
  bool long_stall = false;
  const std::int64_t threshold = run.report->params.stall_threshold_ms;
  for (const auto& s : outcome.stalls) long_stall |= s.end_ms - s.start_ms >= threshold;
  if (!long_stall) {
    EXPECT_EQ(outcome.cls, "oom_ineffective") << describe(outcome);
  }
}

}  // namespace scenario_test

#define OOMLAB_SCENARIO_PRECONDITIONS()                                                      \
  do {                                                                                       \
    if (geteuid() != 0) GTEST_SKIP() << "needs root (memory cgroups, /dev/kmsg)";            \
    if (!oomlab::cgroups::host_hierarchy().has_memory())                                     \
      GTEST_SKIP() << "no memory cgroup controller on this machine";                         \
    ASSERT_TRUE(std::filesystem::exists(scenario_test::repro_binary()))                      \
        << scenario_test::repro_binary() << " is missing: build the oomlab-repro target";   \
  } while (0)
