// One oomlab-repro run in the background for the e2e tests: the scenario's
// group (found through the cgroups library, as the runner names it), its
// out directory (on a disk: page cache needs one), and the first event of a
// watchdog JSON log that matches - both documents read through their codecs
// in formats/ (report.json, the watchdog's JSON lines), not by string keys.
#pragma once
#include <filesystem>
#include <memory>
#include <optional>
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

}  // namespace wdtest
