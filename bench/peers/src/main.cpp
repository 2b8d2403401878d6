// oomlab-bench-peers: the same stalling scenarios under no guard,
// oomlab-watchdog, earlyoom and nohang; raw runs as JSON, then tables and a
// chart. See bench/peers/RESULTS.md for where each guard runs and why.
#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>
#include <unistd.h>
#include <vector>

#include "guard_wrap.hpp"
#include "host_run.hpp"
#include "vm_debian.hpp"
#include "vm_run.hpp"
#include "oomlab/common/clock.hpp"
#include "oomlab/common/subprocess.hpp"
#include "summary.hpp"

namespace fs = std::filesystem;
using namespace oomlab::peers;

namespace {

const char* kUsage =
    "usage: oomlab-bench-peers [run] [--vm] [--quick] [--runs N] [--guards LIST] [--scenarios LIST]\n"
    "                          [--limit SIZE] [--duration SECONDS] [--out DIR] [--bin-dir DIR]\n"
    "       oomlab-bench-peers summarize [--out DIR] RUNS.json...\n"
    "       oomlab-bench-peers wrap --out FILE -- GUARD ARGS...   (used inside the test VM)\n"
    "\n"
    "run: each scenario N times under each guard on this host, interleaved (run, then scenario,\n"
    "then guard) so a slow moment of the machine hits every guard alike. oomlab-repro makes the\n"
    "memory group; the guard starts as soon as the group exists, pointed at it where the tool\n"
    "can be (oomlab-watchdog --scope/--watch-cgroup, nohang psi_path + cgroup badness).\n"
    "Writes DIR/runs.json (raw, one object per run), DIR/summary.md and DIR/chart.svg.\n"
    "--vm: each run boots the test VM (oomlab-vm, --guest-cmd) with --limit as its whole memory, for\n"
    "guards that only see the whole machine (earlyoom); the guard runs under `wrap` in the guest.\n"
    "--vm --rootfs debian: each run boots the Debian guest (oomlab-vm --rootfs debian) with the guard as its\n"
    "packaged systemd service (none,oomlab-watchdog,systemd-oomd,earlyoom,nohang), with the package's config and\n"
    "tuned to act after 5 s (--guard-configs default,tuned); --kernel SERIES, --mem SIZE (guest, default 512M),\n"
    "--rootfs-cache DIR as for oomlab-vm; --oomlab-deb FILE installs that package in the guest instead of the build\n"
    "tree; --scenario-args 'ARGS' (both VM guests) appends the scenarios' own options (e.g. '--high 50% --alloc 90%');\n"
    "without it the busybox guest's page-cache-thrash gets '--ballast 37% --working-set 44%' (a file set ~1.2x the page\n"
    "cache the 384M guest leaves: with the defaults no refault is a workingset one and the guest never thrashes);\n"
    "--disk-iops N (--vm, busybox guest) throttles the disk of page-cache-thrash and mmap-lock-hold to N requests per second\n"
    "(oomlab-vm --disk-iops: reads the host's page cache answers then cost what a slow disk's would);\n"
    "--keep-vm-reports keeps each run's oomlab-vm report directory (guard journal, oomctl dump) in DIR/vm-reports.\n"
    "Code: src/vm_debian.cpp.\n"
    "summarize: merges raw run files (e.g. host + VM) into DIR/summary.md and DIR/chart.svg.\n"
    "\n"
    "  --quick             1 run, 8 s scenarios, guards none,oomlab-watchdog, scenarios mmap-sem,shmem-fill\n"
    "  --runs N            runs per scenario and guard (default 5)\n"
    "  --guards LIST       comma-separated: none,oomlab-watchdog,nohang,earlyoom (default: none,oomlab-watchdog,nohang;\n"
    "                      --vm: none,oomlab-watchdog,earlyoom)\n"
    "  --scenarios LIST    default: mmap-sem,mmap-lock-hold,page-cache-thrash,shmem-fill,pipe-fill,dying-competition\n"
    "                      (--vm: mmap-sem,mmap-lock-hold,page-cache-thrash,shmem-fill,dying-competition)\n"
    "  --limit SIZE        memory limit of the scenario group (default 256M; --vm: guest memory, default 384M)\n"
    "  --duration SECONDS  of each scenario (default 20)\n"
    "  --out DIR           results directory (default ./peers-results; must be on a disk for page-cache-thrash)\n"
    "  --bin-dir DIR       where oomlab-repro and oomlab-watchdog are (default: next to this binary)\n"
    "Needs root (memory cgroups). Exit: 0 done, 1 some runs failed, 2 usage, 77 skipped (not root).\n";

std::vector<std::string> split(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream in(s);
  for (std::string item; std::getline(in, item, ',');)
    if (!item.empty()) out.push_back(item);
  return out;
}

void on_signal(int) { g_interrupted = true; }

int usage_error(const std::string& msg) {
  std::fprintf(stderr, "oomlab-bench-peers: %s (see --help)\n", msg.c_str());
  return 2;
}

void write_outputs(const std::vector<RunResult>& runs, const oomlab::formats::PeersSettings& settings,
                   const std::string& out) {
  std::ofstream(out + "/runs.json") << oomlab::formats::encode_peers_runs({.settings = settings, .runs = runs});
}

void write_summary(const std::vector<RunResult>& runs, const std::string& out, const std::string& title) {
  auto cells = summarise(runs);
  std::ofstream(out + "/summary.md") << markdown_tables(cells);
  std::ofstream(out + "/chart.svg") << svg_chart(cells, title);
}

int summarize(const std::vector<std::string>& files, const std::string& out) {
  std::vector<RunResult> runs;
  for (const auto& f : files) {
    std::ifstream in(f);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::string why = in.is_open() ? "" : "cannot read it";
    auto doc = why.empty() ? oomlab::formats::decode_peers_runs(text, &why) : std::nullopt;
    if (!doc) {
      std::fprintf(stderr, "oomlab-bench-peers: %s: not a runs.json file (%s)\n", f.c_str(), why.c_str());
      return 2;
    }
    runs.insert(runs.end(), doc->runs.begin(), doc->runs.end());
  }
  fs::create_directories(out);
  write_summary(runs, out, "Time without progress per scenario and guard");
  std::printf("%s", markdown_tables(summarise(runs)).c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (!args.empty() && args[0] == "wrap") return wrap_main({args.begin() + 1, args.end()});
  if (!args.empty() && args[0] == "run") args.erase(args.begin());
  bool summarize_mode = !args.empty() && args[0] == "summarize";
  if (summarize_mode) args.erase(args.begin());
  bool quick = false, vm = false, keep_vm_reports = false;
  std::string rootfs, guard_configs = "default,tuned", kernel, mem = "512M", rootfs_cache, oomlab_deb, scenario_args, disk_iops;
  int runs = 5;
  std::vector<std::string> guards{"none", "oomlab-watchdog", "nohang"};
  std::vector<std::string> scenarios{"mmap-sem", "mmap-lock-hold", "page-cache-thrash", "shmem-fill", "pipe-fill",
                                     "dying-competition"};
  bool guards_set = false, scenarios_set = false, duration_set = false, limit_set = false;
  std::string limit = "256M", out = "peers-results", bin_dir;
  long duration = 20;
  std::vector<std::string> files;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    auto value = [&]() -> const std::string* { return i + 1 < args.size() ? &args[++i] : nullptr; };
    if (a == "--help" || a == "-h") {
      std::printf("%s", kUsage);
      return 0;
    } else if (a == "--quick") {
      quick = true;
    } else if (a == "--vm") {
      vm = true;
    } else if (a == "--keep-vm-reports") {
      keep_vm_reports = true;
    } else if (a == "--rootfs" || a == "--guard-configs" || a == "--kernel" || a == "--mem" || a == "--rootfs-cache" ||
               a == "--oomlab-deb" || a == "--scenario-args" || a == "--disk-iops") {
      const std::string* v = value();
      if (!v) return usage_error(a + " needs a value");
      (a == "--rootfs" ? rootfs : a == "--guard-configs" ? guard_configs : a == "--kernel" ? kernel
                                  : a == "--mem"        ? mem
                                  : a == "--oomlab-deb" ? oomlab_deb
                                  : a == "--scenario-args" ? scenario_args
                                  : a == "--disk-iops"   ? disk_iops
                                                        : rootfs_cache) = *v;
    } else if (a == "--runs" || a == "--guards" || a == "--scenarios" || a == "--limit" || a == "--duration" ||
               a == "--out" || a == "--bin-dir") {
      const std::string* v = value();
      if (!v) return usage_error(a + " needs a value");
      try {
        if (a == "--runs") runs = std::stoi(*v);
        if (a == "--duration") duration = std::stol(*v), duration_set = true;
      } catch (const std::exception&) {
        return usage_error(a + ": not a number: '" + *v + "'");
      }
      if (a == "--guards") guards = split(*v), guards_set = true;
      if (a == "--scenarios") scenarios = split(*v), scenarios_set = true;
      if (a == "--limit") limit = *v, limit_set = true;
      if (a == "--out") out = *v;
      if (a == "--bin-dir") bin_dir = *v;
    } else if (summarize_mode && a.rfind("--", 0) != 0) {
      files.push_back(a);
    } else {
      return usage_error("unexpected argument '" + a + "'");
    }
  }
  if (summarize_mode) return files.empty() ? usage_error("summarize needs RUNS.json files") : summarize(files, out);
  if (runs < 1 || runs > 100) return usage_error("--runs: expected 1..100");
  if (duration < 2 || duration > 600) return usage_error("--duration: expected 2..600 seconds");
  if (rootfs.empty() && !oomlab_deb.empty()) return usage_error("--oomlab-deb goes with --vm --rootfs debian");
  if (!vm && !scenario_args.empty()) return usage_error("--scenario-args goes with --vm");
  if (!disk_iops.empty()) {
    if (!vm || !rootfs.empty()) return usage_error("--disk-iops goes with --vm (the busybox guest's disk)");
    if (disk_iops.find_first_not_of("0123456789") != std::string::npos || disk_iops.size() > 7 || disk_iops == "0" ||
        disk_iops[0] == '0')
      return usage_error("--disk-iops: expected 1..9999999 requests per second: '" + disk_iops + "'");
  }
  std::vector<std::string> scenario_words;
  {
    std::istringstream words(scenario_args);
    for (std::string w; words >> w;) scenario_words.push_back(w);
  }
  if (!rootfs.empty()) {
    if (rootfs != "debian" || !vm) return usage_error("--rootfs: only 'debian', with --vm");
    DebianBench b;
    b.guards = guards_set ? guards : debian_guards();
    for (const auto& g : b.guards)
      if (std::find(debian_guards().begin(), debian_guards().end(), g) == debian_guards().end())
        return usage_error("unknown guard '" + g + "' for the Debian guest");
    b.scenarios = scenarios_set ? scenarios : std::vector<std::string>{"page-cache-thrash", "mmap-lock-hold", "shmem-fill"};
    b.configs.clear();
    for (const auto& c : split(guard_configs)) {
      if (c != "default" && c != "tuned") return usage_error("--guard-configs: default and/or tuned");
      b.configs.push_back(c == "tuned");
    }
    b.runs = quick ? 1 : runs;
    b.base.mem = mem, b.base.limit = limit_set ? limit : "256M", b.base.kernel = kernel, b.base.rootfs_cache = rootfs_cache;
    b.base.duration = std::chrono::seconds(duration_set ? duration : 30);
    if (!oomlab_deb.empty()) {
      if (!fs::is_regular_file(oomlab_deb)) return usage_error("--oomlab-deb " + oomlab_deb + ": no such file");
      b.base.oomlab_deb = fs::absolute(oomlab_deb).string();
    }
    b.base.keep_reports = keep_vm_reports;
    b.base.scenario_args = scenario_words;
    if (geteuid() != 0) {
      std::printf("oomlab-bench-peers: skipped: needs root (the Debian root is built with mmdebstrap)\n");
      return 77;
    }
    b.base.bin_dir = bin_dir.empty() ? oomlab::self_exe_dir() : bin_dir;
    if (!fs::exists(b.base.bin_dir + "/oomlab-vm")) return usage_error(b.base.bin_dir + "/oomlab-vm not found (--bin-dir)");
    std::error_code ec;
    fs::create_directories(out, ec);
    if (ec) return usage_error("cannot create " + out + ": " + ec.message());
    out = fs::absolute(out).string();
    b.base.work_dir = out;
    std::signal(SIGINT, on_signal);
    std::signal(SIGTERM, on_signal);
    return run_debian_bench(b, out);
  }
  if (vm) {
    if (!guards_set) guards = {"none", "oomlab-watchdog", "earlyoom"};
    if (!scenarios_set) scenarios = {"mmap-sem", "mmap-lock-hold", "page-cache-thrash", "shmem-fill", "dying-competition"};
    if (!limit_set) limit = "384M";
  }
  if (quick) {
    runs = 1;
    if (!duration_set) duration = 8;
    if (!guards_set) guards = {"none", "oomlab-watchdog"};
    if (!scenarios_set) scenarios = {"mmap-sem", "shmem-fill"};
  }
  std::vector<GuardKind> kinds;
  for (const auto& g : guards) {
    auto k = parse_guard(g);
    if (!k) return usage_error("unknown guard '" + g + "'");
    kinds.push_back(*k);
  }
  if (geteuid() != 0) {
    std::printf("oomlab-bench-peers: skipped: needs root for memory cgroups\n");
    return 77;
  }
  if (bin_dir.empty()) bin_dir = oomlab::self_exe_dir();
  std::vector<std::string> needed{"oomlab-repro", "oomlab-watchdog"};
  if (vm) needed.push_back("oomlab-vm");
  for (const auto& b : needed)
    if (!fs::exists(bin_dir + "/" + b)) return usage_error(bin_dir + "/" + b + " not found (--bin-dir)");
  std::error_code ec;
  fs::create_directories(out, ec);
  if (ec) return usage_error("cannot create " + out + ": " + ec.message());
  out = fs::absolute(out).string();
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);

  oomlab::formats::PeersSettings settings;
  settings.where = vm ? "vm" : "host", settings.limit = limit, settings.duration_s = duration, settings.runs = runs;
  settings.scenario_args = scenario_words;
  // The busybox guest's own sizes for page-cache-thrash (vm_run.cpp), named
  // with the scenario they apply to.
  if (vm && scenario_words.empty() && std::find(scenarios.begin(), scenarios.end(), "page-cache-thrash") != scenarios.end()) {
    settings.scenario_args = {"page-cache-thrash:"};
    const auto thrash = vm_scenario_args("page-cache-thrash", {});
    settings.scenario_args.insert(settings.scenario_args.end(), thrash.begin(), thrash.end());
  }
  if (!disk_iops.empty()) settings.vm_disk = disk_iops + " IOPS";
  settings.quick = quick, settings.started_at = oomlab::utc_iso8601(oomlab::realtime_ms()), settings.period_ms = 50;
  for (GuardKind k : kinds) settings.set_guard(std::string(guard_name(k)), guard_settings(k));
  if (std::ifstream v("/proc/version"); v) std::getline(v, settings.kernel);

  std::vector<RunResult> results;
  int failed = 0;
  // Run-major order: an interrupted session still has every scenario and
  // guard, with fewer runs.
  for (int n = 1; n <= runs && !g_interrupted; ++n)
    for (const auto& s : scenarios)
      for (GuardKind k : kinds) {
        if (g_interrupted) break;
        std::string log;
        RunResult r;
        if (vm) {
          VmRunConfig c;
          c.scenario = s, c.guard = k, c.mem = limit, c.duration = std::chrono::seconds(duration);
          c.bin_dir = bin_dir, c.work_dir = out, c.scenario_args = scenario_words, c.disk_iops = disk_iops;
          r = run_in_vm(c, log);
          // A guest that did not boot: once more. Not when the global OOM killer took oomlab-repro: that is
          // what this scenario does to a whole-machine limit, and it would do it again.
          if (!r.error.empty() && !g_interrupted && r.error.find("SIGKILLed") == std::string::npos) {
            std::fprintf(stderr, "%s / %s run %d: %s; retrying once\n", s.c_str(), std::string(guard_name(k)).c_str(),
                         n, r.error.c_str());
            r = run_in_vm(c, log);
          }
        } else {
          HostRunConfig c;
          c.scenario = s, c.guard = k, c.limit = limit, c.duration = std::chrono::seconds(duration);
          c.bin_dir = bin_dir, c.work_dir = out;
          r = run_on_host(c, log);
        }
        r.run = n;
        if (!r.error.empty()) {
          ++failed;
          std::fprintf(stderr, "%s / %s run %d: %s\n%s", s.c_str(), std::string(guard_name(k)).c_str(), n,
                       r.error.c_str(), log.c_str());
        }
        std::fprintf(stderr, "%-18s %-16s run %d: outcome %-22s first kill %s by %s%s, no progress %.1f s, hit %s\n",
                     s.c_str(), std::string(guard_name(k)).c_str(), n, r.outcome.c_str(),
                     r.first_kill_ms ? (std::to_string(*r.first_kill_ms) + " ms").c_str() : "-",
                     r.kills.empty() ? "-" : r.kills.front().by.c_str(),
                     r.kills.empty() ? "" : (" (" + r.kills.front().comm + ")").c_str(), r.no_progress_ms / 1000.0,
                     r.hit ? "yes" : "no");
        results.push_back(r);
        write_outputs(results, settings, out);  // after every run: an interrupted session keeps its data
        std::this_thread::sleep_for(std::chrono::seconds(quick ? 1 : 2));
      }
  write_summary(results, out,
                "Time without progress per scenario and guard (" + std::string(vm ? "test VM, " : "host, ") + limit +
                    (vm ? " guest)" : " group)"));
  std::printf("%s", markdown_tables(summarise(results)).c_str());
  std::printf("\nraw runs: %s/runs.json\nchart: %s/chart.svg\n", out.c_str(), out.c_str());
  if (g_interrupted) return 130;
  return failed ? 1 : 0;
}
