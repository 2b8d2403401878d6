// The oomlab-repro command line: list, run, help.
#include <cstdio>
#include <string>
#include <vector>

#include "oomlab/common/units.hpp"
#include "oomlab/formats/scenario_list.hpp"
#include "oomlab/repro/outcome.hpp"
#include "oomlab/repro/runner.hpp"

namespace oomlab::repro {
namespace {

const char* kUsage =
    "usage: oomlab-repro list [--json]\n"
    "       oomlab-repro run NAME [--limit SIZE] [--duration T] [--stall-threshold T] [--period T]\n"
    "                             [--stall-psi PCT] [--json] [--out DIR | --report-dir DIR] [--unsafe-no-cgroup]\n"
    "                             [--watchdog [--watchdog-args 'ARGS']] [--trace] [--cgroup-parent DIR]\n"
    "                             [--OPTION VALUE...]\n"
    "       oomlab-repro run NAME --help      (the scenario's options)\n"
    "\n"
    "Runs an OOM-livelock scenario inside a fresh memory cgroup with a hard deadline, samples it\n"
    "every period (usage, memory.events, PSI, thread states and wait channels, OOM kills in the\n"
    "kernel log), kills and removes everything at the end and writes\n"
    "DIR/<UTC>-<NAME>/report.json and report.html (DIR defaults to ./reports).\n"
    "\n"
    "  --limit SIZE            memory limit of the group (default 256M)\n"
    "  --duration T            how long the workload runs (default 30s); a hard deadline of T+30s\n"
    "                          ends the run even if the runner itself gets stuck\n"
    "  --stall-threshold T     no progress for this long is a livelock (default 10s)\n"
    "  --stall-psi PCT         a moment counts as \"no progress\" when the group's tasks were\n"
    "                          stalled on memory (PSI some) for PCT of the last second (default 25%)\n"
    "  --period T              sampling period (default 100ms)\n"
    "  --json                  print a JSON summary on stdout instead of text (one line, schema\n"
    "                          oomlab.run-summary/1, docs/FORMATS.md)\n"
    "  --out DIR               where report directories go (default ./reports)\n"
    "  --report-dir DIR        this run's report directory itself (created; must be absent or empty)\n"
    "  --unsafe-no-cgroup      run without a memory cgroup (the hog can exhaust this machine)\n"
    "  --cgroup-parent DIR     create the run's group under DIR, relative to the memory root (default\n"
    "                          oomlab), e.g. a systemd slice that systemd-oomd watches\n"
    "  --trace                 BPF stall tracer on the group (root, BTF): tasks in reclaim with gfp/order\n"
    "                          and mmap_lock waits with their holders, per sample; without BPF the\n"
    "                          run goes on and the report says why\n"
    "  --watchdog              run oomlab-watchdog (next to this binary) scoped to the group, with\n"
    "                          --profile desktop; its reports and kills go into the report\n"
    "  --watchdog-args 'ARGS'  more watchdog flags, e.g. '--kill-after 3s --period 250ms' (implies\n"
    "                          --watchdog; they override the defaults)\n"
    "\n"
    "Outcomes and exit codes:\n"
    "  0  oom_resolved           the kernel OOM-killed and a kill freed >= 20% of the limit (latency in\n"
    "                            the report)\n"
    "  7  oom_ineffective        OOM kills, but none freed 20% of the limit: shmem, pipe buffers or\n"
    "                            other memory no kill frees keeps the group full\n"
    "  1  livelock               no progress for >= the stall threshold until the end\n"
    "  3  stalled_then_resolved  a stall >= the threshold that ended before the run did\n"
    "  8  rescued                (--watchdog) a stall that oomlab-watchdog's kill ended\n"
    "  4  no_oom                 no OOM kill and no long stall\n"
    "  2  bad usage;  5  refused or skipped (no memory cgroup, scenario needs v2/disk);\n"
    "  6  the run failed (cgroup/fork/report errors);  130/143  interrupted by SIGINT/SIGTERM\n"
    "Needs root for memory cgroups and /dev/kmsg.\n";

int list(const std::vector<std::unique_ptr<Scenario>>& catalogue, bool json) {
  if (json) {
    std::vector<formats::ScenarioInfo> out;
    for (const auto& s : catalogue) {
      formats::ScenarioInfo info{std::string(s->name()), std::string(s->summary()), s->requirements().cgroup_v2,
                                 s->requirements().needs_disk, {}};
      for (const OptionSpec& o : s->options()) info.options.push_back({o.name, o.default_value, o.help});
      out.push_back(std::move(info));
    }
    std::printf("%s\n", formats::encode_scenario_list(out).c_str());
    return 0;
  }
  if (catalogue.empty()) std::printf("(no scenarios built in)\n");
  std::size_t width = 0;
  for (const auto& s : catalogue) width = std::max(width, s->name().size());
  for (const auto& s : catalogue)
    std::printf("%-*s  %s\n", static_cast<int>(width), std::string(s->name()).c_str(), std::string(s->summary()).c_str());
  return 0;
}

void scenario_help(const Scenario& s) {
  std::printf("oomlab-repro run %s [runner options] [scenario options]\n\n%s\n\n%s\n",
              std::string(s.name()).c_str(), std::string(s.summary()).c_str(), std::string(s.details()).c_str());
  Requirements r = s.requirements();
  if (r.cgroup_v2 || r.needs_disk)
    std::printf("\nNeeds:%s%s\n", r.cgroup_v2 ? " cgroup v2 memory controller" : "",
                r.needs_disk ? " a disk-backed report directory (reclaimable page cache)" : "");
  std::printf("\nScenario options:\n");
  if (s.options().empty()) std::printf("  (none)\n");
  for (const OptionSpec& o : s.options())
    std::printf("  --%-20s %s (default: %s)\n", o.name.c_str(), o.help.c_str(), o.default_value.c_str());
  std::printf("\nRunner options: --limit SIZE --duration T --stall-threshold T --stall-psi PCT --period T --json --out DIR\n"
              "--report-dir DIR --unsafe-no-cgroup --watchdog --watchdog-args 'ARGS' --trace --cgroup-parent DIR (see `oomlab-repro --help`)\n");
}

}  // namespace

int repro_main(int argc, char** argv, const std::vector<std::unique_ptr<Scenario>>& catalogue) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty()) {
    std::fprintf(stderr, "oomlab-repro: missing command (list, run); see --help\n");
    return exit_code::usage;
  }
  const std::string cmd = args[0];
  if (cmd == "--help" || cmd == "-h" || cmd == "help") {
    std::printf("%s", kUsage);
    return 0;
  }
  if (cmd == "list") {
    bool json = false;
    for (std::size_t i = 1; i < args.size(); ++i) {
      if (args[i] == "--json") json = true;
      else if (args[i] == "--help" || args[i] == "-h") {
        std::printf("usage: oomlab-repro list [--json]\n");
        return 0;
      } else {
        std::fprintf(stderr, "oomlab-repro: list: unexpected argument '%s'\n", args[i].c_str());
        return exit_code::usage;
      }
    }
    return list(catalogue, json);
  }
  if (cmd == "run") {
    std::vector<std::string> rest(args.begin() + 1, args.end());
    if (!rest.empty() && (rest[0] == "--help" || rest[0] == "-h")) {
      std::printf("%s", kUsage);
      return 0;
    }
    ParseResult p = parse_run_args(rest, catalogue);
    if (!p.config) {
      std::fprintf(stderr, "oomlab-repro: %s\n", p.error.c_str());
      return exit_code::usage;
    }
    Scenario* s = nullptr;
    for (const auto& c : catalogue)
      if (c->name() == p.config->scenario) s = c.get();
    if (p.config->show_help) {
      scenario_help(*s);
      return 0;
    }
    return run_scenario(*s, *p.config);
  }
  std::fprintf(stderr, "oomlab-repro: unknown command '%s' (list, run); see --help\n", cmd.c_str());
  return exit_code::usage;
}

}  // namespace oomlab::repro
