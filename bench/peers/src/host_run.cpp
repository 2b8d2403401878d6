#include "host_run.hpp"

#include <filesystem>
#include <fstream>
#include <optional>
#include <set>
#include <cstdio>
#include <sstream>

#include "child.hpp"
#include "guard_probe.hpp"
#include "oomlab/cgroups/run_groups.hpp"
#include "oomlab/common/clock.hpp"
#include "oomlab/common/procfs.hpp"
#include "oomlab/formats/run_summary.hpp"

namespace fs = std::filesystem;

namespace oomlab::peers {

std::atomic<bool> g_interrupted{false};

namespace {

// The runner's --json summary (formats::RunSummary) among its stdout lines;
// the last one that decodes. Its report_json names the report.
std::optional<formats::RunSummary> run_summary(const std::vector<TimedLine>& lines) {
  for (auto it = lines.rbegin(); it != lines.rend(); ++it)
    if (auto s = formats::decode_run_summary(it->text)) return s;
  return std::nullopt;
}

std::vector<std::string> tail_lines(const std::vector<TimedLine>& lines, std::size_t n) {
  std::vector<std::string> out;
  for (std::size_t i = lines.size() > n ? lines.size() - n : 0; i < lines.size(); ++i) out.push_back(lines[i].text);
  return out;
}

std::string tail(const std::vector<TimedLine>& lines, std::size_t n) {
  std::string out;
  for (std::size_t i = lines.size() > n ? lines.size() - n : 0; i < lines.size(); ++i) out += lines[i].text + "\n";
  return out;
}

}  // namespace

RunResult run_on_host(const HostRunConfig& c, std::string& log) {
  const cgroups::RunGroupDirs layout = cgroups::run_group_dirs();
  const std::set<std::string> before = cgroups::run_group_names(layout.memory_parent);
  std::vector<std::string> argv{c.bin_dir + "/oomlab-repro", "run", c.scenario, "--limit", c.limit, "--duration",
                                std::to_string(c.duration.count()) + "s", "--period", "50ms", "--stall-threshold", std::to_string(kActAfterSeconds) + "s", "--json", "--out",
                                c.work_dir + "/reports"};
  argv.insert(argv.end(), c.scenario_options.begin(), c.scenario_options.end());
  RunResult failed;
  failed.scenario = c.scenario;
  failed.guard = std::string(guard_name(c.guard));

  Child repro(argv);
  std::optional<Child> guard;
  std::optional<GuardProbe> probe;
  std::optional<std::int64_t> guard_started;
  std::string guard_error;
  const std::int64_t t0 = monotonic_ms();
  while (!repro.exited()) {
    if (g_interrupted) {
      repro.stop(15000);  // SIGTERM: oomlab-repro kills its workload and removes the group
      if (guard) guard->stop();
      failed.error = "interrupted";
      return failed;
    }
    repro.pump(guard ? 25 : 5);
    if (c.guard != GuardKind::none && !guard && guard_error.empty()) {
      // Ours is the new group holding a child of our oomlab-repro (other
      // runs - tests, other benchmarks - may create groups meanwhile).
      const std::string fresh = cgroups::new_run_group_of(layout.memory_parent, before, repro.pid());
      if (!fresh.empty()) {
        Target t;
        t.memory_cgroup = "/oomlab/" + fresh;
        std::string psi = layout.pressure_parent + "/" + fresh + "/memory.pressure";
        if (fs::exists(psi)) t.pressure_file = psi;
        t.scratch_dir = c.work_dir;
        try {
          guard.emplace(guard_command(c.guard, t, c.bin_dir + "/oomlab-watchdog"));
          guard_started = realtime_ms();
          probe.emplace(guard->pid());
        } catch (const std::exception& e) {
          guard_error = std::string("cannot start the guard: ") + e.what();
        }
      } else if (monotonic_ms() - t0 > 10000) {
        guard_error = "no new memory group under " + layout.memory_parent + " after 10 s";
      }
    }
    if (guard) {
      guard->pump(0);
      if (!guard->exited()) probe->sample(monotonic_ms());
      else if (guard_error.empty()) guard_error = "the guard exited early";
    }
  }
  repro.pump(50);
  if (guard) {
    if (!guard->exited()) probe->sample(monotonic_ms());
    guard->stop();
  }
  log = "$ " + argv[0] + " ...\n" + tail(repro.lines(), 6);
  if (guard) log += "guard " + std::string(guard_name(c.guard)) + " (last lines):\n" + tail(guard->lines(), 8);

  const std::optional<formats::RunSummary> summary = run_summary(repro.lines());
  const std::string path = summary ? summary->report_json : "";
  std::ifstream in(path);
  std::string why = !summary ? "no --json summary on its stdout"
                    : path.empty() ? "none written: " + (summary->error.empty() ? summary->reason : summary->error)
                    : in.is_open() ? "" : "cannot read " + path;
  std::optional<formats::Report> report;
  if (why.empty())
    report = formats::decode_report(std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()), &why);
  if (!report) {
    failed.error = "oomlab-repro gave no report (" + why + "; exit status " + std::to_string(repro.exit_status()) + ")";
    return failed;
  }
  std::vector<GuardKill> kills = guard ? parse_guard_kills(c.guard, guard->lines()) : std::vector<GuardKill>{};
  RunResult r = measure_run(*report, c.guard, kills, guard_started, probe ? probe->cost() : GuardCost{});
  if (!guard_error.empty() && kills.empty()) r.error = guard_error;
  if (guard) r.guard_tail = tail_lines(guard->lines(), 15);
  // The report directory is large (timeline at 50 ms); the figures are kept.
  std::error_code ec;
  fs::remove_all(fs::path(path).parent_path(), ec);
  return r;
}

}  // namespace oomlab::peers
