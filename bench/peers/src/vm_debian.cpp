#include "vm_debian.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <regex>

#include "host_run.hpp"
#include "oomlab/common/clock.hpp"
#include "oomlab/common/subprocess.hpp"
#include "summary.hpp"
#include "vm_run.hpp"

namespace fs = std::filesystem;

namespace oomlab::peers {

using oomlab::realtime_ms;
using oomlab::utc_iso8601;


const std::vector<std::string>& debian_guards() {
  static const std::vector<std::string> kGuards = {"none", "oomlab-watchdog", "systemd-oomd", "earlyoom", "nohang"};
  return kGuards;
}

std::string debian_guard_label(const std::string& guard, bool tuned) {
  if (guard == "none") return guard;
  return guard + (tuned ? " (tuned)" : " (default)");
}

std::vector<TimedLine> parse_short_unix_journal(const std::string& text) {
  std::vector<TimedLine> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    char* end = nullptr;
    double t = std::strtod(line.c_str(), &end);
    if (end == line.c_str() || t <= 0 || *end != ' ') continue;
    out.push_back({static_cast<std::int64_t>(t * 1000), std::string(end + 1)});
  }
  return out;
}

std::vector<GuardKill> parse_oomd_kills(const std::vector<TimedLine>& lines) {
  static const std::regex kill_re(R"(\bKilled (/\S+) due to )");
  std::vector<GuardKill> kills;
  std::smatch m;
  for (const TimedLine& l : lines)
    if (std::regex_search(l.text, m, kill_re)) kills.push_back({l.realtime_ms, 0, m[1].str(), true});
  return kills;
}

std::vector<std::string> debian_vm_argv(const DebianRunConfig& c) {
  std::vector<std::string> argv = {c.bin_dir + "/oomlab-vm", "run", c.scenario, "--rootfs", "debian", "--guard", c.guard,
               "--guard-config", c.tuned ? "tuned" : "default", "--mem", c.mem, "--report-dir", c.report_dir,
               "--bin-dir", c.bin_dir, "--timeout", "12m", "--stall-timeout", "120s",
               // The KVM probe can pass where nested KVM hangs the guest (vm/README.md).
               "--accel", "tcg"};
  if (!c.rootfs_cache.empty()) argv.insert(argv.end(), {"--rootfs-cache", c.rootfs_cache});
  if (!c.kernel.empty()) argv.insert(argv.end(), {"--kernel", c.kernel});
  if (!c.oomlab_deb.empty()) argv.insert(argv.end(), {"--oomlab-deb", c.oomlab_deb});
  argv.insert(argv.end(), {"--", "--limit", c.limit, "--duration", std::to_string(c.duration.count()) + "s",
                           "--period", "100ms", "--stall-threshold", std::to_string(kActAfterSeconds) + "s"});
  argv.insert(argv.end(), c.scenario_args.begin(), c.scenario_args.end());
  return argv;
}

RunResult run_in_debian_vm(const DebianRunConfig& config, std::string& log) {
  RunResult failed;
  failed.scenario = config.scenario;
  failed.guard = debian_guard_label(config.guard, config.tuned);
  DebianRunConfig c = config;
  c.report_dir = fresh_report_dir(c.work_dir).string();
  const fs::path dir = c.report_dir;
  ProcessSpec spec;
  spec.argv = debian_vm_argv(c);
  spec.timeout = std::chrono::minutes(14);
  auto drop = [&] {
    std::error_code ec;
    if (!c.keep_reports) fs::remove_all(dir, ec);  // the figures are kept in runs.json
  };
  const std::optional<formats::VmReport> vm = run_oomlab_vm(spec, dir, log, failed.error);
  if (!vm) {
    std::error_code ec;
    if (fs::is_empty(dir, ec)) fs::remove(dir, ec);
    return failed;  // what there is stays, for a look (the error names it)
  }
  // The runner's full report came back as guest-<name>.json.
  std::optional<formats::Report> report;
  for (const std::string& f : vm->guest.files)
    if (f.rfind("guest-", 0) == 0 && f.ends_with(".json")) report = formats::decode_report(read_text(dir / f));
  if (!report) {
    failed.error = "no runner report from the guest (outcome " + vm->outcome + ", " + dir.string() + ")";
    return failed;
  }
  const formats::VmSystemd sd = vm->systemd.value_or(formats::VmSystemd{});
  if (c.guard != "none" && !sd.guard_ready) {
    failed.error = c.guard + " did not start as a service (" + dir.string() + ")";
    return failed;
  }
  std::vector<TimedLine> lines = parse_short_unix_journal(read_text(dir / "guard-journal.txt"));
  std::vector<GuardKill> kills;
  GuardKind kind = GuardKind::none;
  if (c.guard == "systemd-oomd") kills = parse_oomd_kills(lines);
  else if (auto k = parse_guard(c.guard)) kind = *k, kills = parse_guard_kills(kind, lines);
  GuardCost cost;
  cost.cpu_ms = sd.guard_cpu_ms.value_or(0);  // since the service started
  RunResult r = measure_run(*report, kind, kills, std::nullopt, cost);
  r.guard = debian_guard_label(c.guard, c.tuned);
  for (auto& k : r.kills)
    if (k.by != "kernel") k.by = c.guard;
  for (std::size_t i = lines.size() > 15 ? lines.size() - 15 : 0; i < lines.size(); ++i)
    r.guard_tail.push_back(lines[i].text);
  drop();
  return r;
}

int run_debian_bench(const DebianBench& b, const std::string& out) {
  formats::PeersSettings settings;
  settings.where = "vm-debian", settings.mem = b.base.mem, settings.limit = b.base.limit;
  settings.duration_s = b.base.duration.count(), settings.runs = b.runs;
  settings.kernel_series = b.base.kernel.empty() ? "default (linux-image-amd64)" : b.base.kernel;
  settings.scenario_args = b.base.scenario_args;
  settings.oomlab_from = b.base.oomlab_deb.empty() ? "cmake --install (build tree)" : b.base.oomlab_deb;
  settings.started_at = utc_iso8601(realtime_ms());
  std::vector<RunResult> results;
  int failed = 0;
  auto save = [&] {
    std::ofstream(out + "/runs.json") << formats::encode_peers_runs({.settings = settings, .runs = results});
  };
  for (int n = 1; n <= b.runs && !g_interrupted; ++n)
    for (const auto& s : b.scenarios)
      for (const auto& g : b.guards)
        for (bool tuned : b.configs) {
          if (g_interrupted) break;
          if (g == "none" && tuned && std::find(b.configs.begin(), b.configs.end(), false) != b.configs.end()) continue;
          DebianRunConfig c = b.base;
          c.scenario = s, c.guard = g, c.tuned = tuned;
          settings.set_guard(debian_guard_label(g, tuned), g == "none" ? "the kernel OOM killer alone"
                                                                       : std::string("the packaged service, ") +
                                                                             (tuned ? "tuned to act after 5 s" : "packaged config"));
          std::string log;
          RunResult r = run_in_debian_vm(c, log);
          r.run = n;
          if (!r.error.empty()) {
            ++failed;
            std::fprintf(stderr, "%s / %s run %d: %s\n%s\n", s.c_str(), r.guard.c_str(), n, r.error.c_str(), log.c_str());
          }
          std::fprintf(stderr, "%-18s %-28s run %d: outcome %-22s first kill %s by %s%s, no progress %.1f s, hit %s\n",
                       s.c_str(), r.guard.c_str(), n, r.outcome.c_str(),
                       r.first_kill_ms ? (std::to_string(*r.first_kill_ms) + " ms").c_str() : "-",
                       r.kills.empty() ? "-" : r.kills.front().by.c_str(),
                       r.kills.empty() ? "" : (" (" + r.kills.front().comm + ")").c_str(), r.no_progress_ms / 1000.0,
                       r.hit ? "yes" : "no");
          results.push_back(r);
          save();
        }
  auto cells = summarise(results);
  std::ofstream(out + "/summary.md") << markdown_tables(cells);
  std::ofstream(out + "/chart.svg") << svg_chart(cells, "Time without progress per scenario and guard (Debian guest, " +
                                                            b.base.mem + ", systemd services)");
  std::printf("%s", markdown_tables(cells).c_str());
  std::printf("\nraw runs: %s/runs.json\n", out.c_str());
  if (g_interrupted) return 130;
  return failed ? 1 : 0;
}

}  // namespace oomlab::peers
