// One oomlab-repro run in the background for the e2e tests: the scenario's
// group (found through the cgroups library, as the runner names it), its
// out directory (on a disk: page cache needs one), and the first event of a
// watchdog JSON log that matches - both documents read through their codecs
// in formats/ (report.json, the watchdog's JSON lines), not by string keys.
#pragma once
#include <filesystem>
#include <memory>
#include <optional>
#include <regex>
#include <csignal>
#include <cstdio>
#include <unistd.h>
#include <sstream>
#include <stdexcept>
#include <stdlib.h>
#include <string>
#include <thread>
#include <vector>

#include "child.hpp"
#include "oomlab/cgroups/run_groups.hpp"
#include "oomlab/formats/report.hpp"
#include "oomlab/formats/watchdog_log.hpp"

namespace wdtest {

struct ReproRun {
  std::string dir, group, psi_dir, skip;
  std::unique_ptr<Child> repro;
  ReproRun(const std::string& scenario, const std::string& limit, const std::string& duration,
           std::vector<std::string> extra = {}) {
    using namespace std::chrono_literals;
    namespace fs = std::filesystem;
    const oomlab::cgroups::RunGroupDirs l = oomlab::cgroups::run_group_dirs();
    if (!fs::exists(l.pressure_parent.substr(0, l.pressure_parent.rfind('/')) + "/cgroup.procs")) {
      skip = "no cgroup2 mount where oomlab-repro's groups get a memory.pressure";
      return;
    }
    char tmpl[] = "/var/tmp/oomlab-wd-repro-XXXXXX";
    if (!mkdtemp(tmpl)) throw std::runtime_error("mkdtemp");
    dir = tmpl;
    const auto before = oomlab::cgroups::run_group_names(l.memory_parent);
    std::vector<std::string> argv{bin("oomlab-repro"), "run", scenario, "--limit", limit, "--duration", duration,
                                  "--stall-threshold", "3s", "--out", dir + "/reports"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    repro = std::make_unique<Child>(argv);
    for (int i = 0; i < 100 && group.empty(); ++i) {
      std::this_thread::sleep_for(100ms);
      group = oomlab::cgroups::new_run_group_of(l.memory_parent, before, repro->pid());
    }
    psi_dir = l.pressure_parent + "/" + group;
  }
  ~ReproRun() {
    if (repro) repro->stop(std::chrono::seconds(15));
    if (!dir.empty()) std::filesystem::remove_all(dir);
  }
  // The run's report.json (after the run ended) through formats::decode_report;
  // nullopt, with *why, when there is none.
  std::optional<oomlab::formats::Report> report(std::string* why = nullptr) const {
    std::error_code ec;
    for (auto it = std::filesystem::recursive_directory_iterator(dir + "/reports", ec);
         !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec))
      if (it->path().filename() == "report.json") return oomlab::formats::decode_report(slurp(it->path().string()), why);
    if (why) *why = "no report.json under " + dir + "/reports";
    return std::nullopt;
  }
};

// The first record of the watchdog's JSON log whose payload is a T
// (formats::WdKill, WdTask...) and for which pred(payload, record) holds.
// Polled while the daemon writes: a line that does not decode (yet) is
// skipped.
template <typename T, typename Pred>
std::optional<oomlab::formats::WatchdogRecord> first_event(const std::string& path, Pred pred) {
  std::istringstream in(slurp(path));
  for (std::string line; std::getline(in, line);) {
    auto r = oomlab::formats::decode_watchdog_record(line);
    if (!r) continue;
    if (const T* p = std::get_if<T>(&r->payload); p && pred(*p, *r)) return r;
  }
  return std::nullopt;
}


// oomlab-watchdog scoped to a run's group while the run lasts, with only the
// rule under test able to act (--kill-after/--escalate-after 10 minutes),
// under strace when there is one: the holder and respawner tests check what
// it opened. Ends when the run ends (<= 40 s).
struct ScopedWatchdogRun {
  std::string cgroup;   // "/oomlab/<group>", as the watchdog names it
  std::string events;   // its JSON log
  std::string log;      // its stderr
  std::string trace;    // strace of its opens; "" without strace
};
inline ScopedWatchdogRun watch_until_run_ends(ReproRun& run) {
  using namespace std::chrono_literals;
  ScopedWatchdogRun out;
  out.cgroup = "/oomlab/" + run.group;
  out.events = run.dir + "/events.jsonl";
  const std::string err = run.dir + "/stderr.log";
  const bool traced = ::access("/usr/bin/strace", X_OK) == 0;
  std::vector<std::string> argv{bin("oomlab-watchdog"), "--period", "500ms", "--warn-after", "2s", "--kill-after", "10m",
                                "--escalate-after", "10m", "--scope", out.cgroup, "--socket", "", "--json-log", out.events,
                                "--no-self-protect", "--no-kmsg-write"};
  if (traced)
    argv.insert(argv.begin(), {"/usr/bin/strace", "-f", "-qq", "-e", "trace=open,openat,openat2", "-o", run.dir + "/strace.log"});
  Child wd(argv, nullptr, err);
  for (int i = 0; i < 80 && run.repro->running(); ++i) std::this_thread::sleep_for(500ms);
  run.repro->stop(30s);
  // SIGTERM to the daemon itself (strace would only detach): its pid is in its first line.
  const std::string first = slurp(err);
  pid_t daemon = 0;
  if (traced && std::sscanf(first.c_str() + std::min(first.size(), first.find("oomlab-watchdog[")), "oomlab-watchdog[%d]",
                            &daemon) == 1)
    ::kill(daemon, SIGTERM);
  wd.stop(10s);
  out.log = slurp(err);
  if (traced) out.trace = slurp(run.dir + "/strace.log");
  return out;
}

// The /proc files in an strace of opens that wait for the target's mmap
// lock (PLATFORM.md): the watchdog must never open one.
inline std::vector<std::string> mmap_lock_reads(const std::string& trace) {
  static const std::regex forbidden(
      R"re("/proc/(\d+)/(task/\d+/)?(cmdline|environ|maps|map_files|smaps|smaps_rollup|numa_maps|mem|pagemap)")re");
  std::vector<std::string> out;
  for (auto it = std::sregex_iterator(trace.begin(), trace.end(), forbidden); it != std::sregex_iterator(); ++it)
    out.push_back((*it)[0]);
  return out;
}

}  // namespace wdtest
