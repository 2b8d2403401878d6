// page-cache-thrash (oomlab-repro) under the watchdog scoped to its group.
// 1. No task stalls for long and the kernel never OOM-kills, so only the
//    group's memory PSI can end it: the watchdog must kill a task of that
//    group with reason=pressure (~10 s, the working set is written first).
// 2. With --bpf, the tracer sees the readers inside memcg reclaim (running,
//    invisible to wchan): a MemAlloc line of the group carries the real gfp
//    mask and order (~10-30 s).
#include <filesystem>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <sstream>
#include <thread>
#include <unistd.h>

#include "child.hpp"
#include "oomlab/common/procfs.hpp"
#include "oomlab/tracer/tracer.hpp"

using namespace std::chrono_literals;
namespace fs = std::filesystem;
using nlohmann::json;
using wdtest::bin;
using wdtest::Child;

namespace {

// Where oomlab-repro puts its groups (as bench/peers finds them): the memory
// hierarchy and the cgroup2 directory that holds the groups' memory.pressure.
struct Layout {
  std::string memory_parent, pressure_parent;
};

Layout layout() {
  if (fs::is_directory("/sys/fs/cgroup/memory")) return {"/sys/fs/cgroup/memory/oomlab", "/sys/fs/cgroup/unified/oomlab"};
  return {"/sys/fs/cgroup/oomlab", "/sys/fs/cgroup/oomlab"};
}

std::set<std::string> repro_groups(const std::string& parent) {
  std::set<std::string> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(parent, ec))
    if (e.is_directory(ec) && e.path().filename().string().rfind("repro", 0) == 0) out.insert(e.path().filename());
  return out;
}

pid_t parent_of(pid_t pid) {
  auto stat = oomlab::read_proc_file("/proc/" + std::to_string(pid) + "/stat");
  auto close = stat ? stat->rfind(')') : std::string::npos;
  int ppid = 0;
  if (close == std::string::npos || std::sscanf(stat->c_str() + close + 1, " %*c %d", &ppid) != 1) return 0;
  return ppid;
}

bool holds_child_of(const std::string& dir, pid_t parent) {
  std::istringstream in(oomlab::read_proc_file(dir + "/cgroup.procs").value_or(""));
  for (pid_t pid; in >> pid;)
    if (parent_of(pid) == parent) return true;
  return false;
}

// One oomlab-repro page-cache-thrash run and the group it made.
struct ThrashRun {
  std::string dir, group, psi_dir, skip;
  std::unique_ptr<Child> repro;
  ThrashRun() {
    const Layout l = layout();
    if (!fs::exists(l.pressure_parent.substr(0, l.pressure_parent.rfind('/')) + "/cgroup.procs")) {
      skip = "no cgroup2 mount where oomlab-repro's groups get a memory.pressure";
      return;
    }
    char tmpl[] = "/var/tmp/oomlab-wd-thrash-XXXXXX";  // page cache needs a disk, not tmpfs
    if (!mkdtemp(tmpl)) throw std::runtime_error("mkdtemp");
    dir = tmpl;
    const auto before = repro_groups(l.memory_parent);
    repro = std::make_unique<Child>(std::vector<std::string>{bin("oomlab-repro"), "run", "page-cache-thrash", "--limit",
                                                             "64M", "--duration", "45s", "--stall-threshold", "3s",
                                                             "--out", dir + "/reports"});
    for (int i = 0; i < 100 && group.empty(); ++i) {
      std::this_thread::sleep_for(100ms);
      for (const auto& g : repro_groups(l.memory_parent))
        if (!before.count(g) && holds_child_of(l.memory_parent + "/" + g, repro->pid())) group = g;
    }
    psi_dir = l.pressure_parent + "/" + group;
  }
  ~ThrashRun() {
    if (repro) repro->stop(15s);
    if (!dir.empty()) fs::remove_all(dir);
  }
};

// The first JSON line of `type` in the log for which pred holds.
template <typename Pred>
json first_event(const std::string& path, const std::string& type, Pred pred) {
  std::istringstream in(wdtest::slurp(path));
  for (std::string line; std::getline(in, line);) {
    json j = json::parse(line, nullptr, false);
    if (j.is_object() && j["type"] == type && pred(j)) return j;
  }
  return json();
}

}  // namespace

TEST(WatchdogBpf, MemAllocLinesCarryGfpAndOrder) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root (memory cgroups, BPF)";
  if (!oomlab::tracer::Tracer::compiled_in()) GTEST_SKIP() << "built without BPF";
  if (access("/sys/kernel/btf/vmlinux", R_OK) != 0) GTEST_SKIP() << "kernel has no BTF";
  ThrashRun run;
  if (!run.skip.empty()) GTEST_SKIP() << run.skip;
  ASSERT_FALSE(run.group.empty()) << "oomlab-repro made no group";
  const std::string events = run.dir + "/events.jsonl", err = run.dir + "/stderr.log", cg = "/oomlab/" + run.group;
  Child wd({bin("oomlab-watchdog"), "--bpf", "--period", "100ms", "--warn-after", "100ms", "--kill-after", "10m",
            "--scope", cg, "--socket", "", "--json-log", events, "--no-self-protect"},
           nullptr, err);
  json line;
  for (int i = 0; i < 80 && line.is_null() && run.repro->running(); ++i) {  // up to 40 s
    std::this_thread::sleep_for(500ms);
    line = first_event(events, "memalloc", [&](const json& j) {
      return j["cgroup"] == cg && j["line"].get<std::string>().find(" gfp=") != std::string::npos;
    });
  }
  EXPECT_EQ(wd.stop(), 0);
  const std::string log = wdtest::slurp(err);
  if (log.find("BPF tracer unavailable") != std::string::npos) GTEST_SKIP() << "BPF could not load: " << log;
  ASSERT_FALSE(line.is_null()) << "no MemAlloc line with gfp= for " << cg << "\n" << log;
  std::smatch m;
  const std::string text = line["line"];
  ASSERT_TRUE(std::regex_search(text, m, std::regex(R"( gfp=0x([0-9a-f]+)\(([A-Z_|0-9x]+)\) order=(\d+))"))) << text;
  EXPECT_NE(std::stoul(m[1], nullptr, 16), 0u) << text;  // memcg reclaim only for allocations that may block
  EXPECT_LE(std::stoi(m[3]), 10) << text;
}

TEST(WatchdogPressure, KillsInAThrashingGroupWithReasonPressure) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root (memory cgroups)";
  const Layout l = layout();
  if (!fs::exists(l.pressure_parent.substr(0, l.pressure_parent.rfind('/')) + "/cgroup.procs"))
    GTEST_SKIP() << "no cgroup2 mount where oomlab-repro's groups get a memory.pressure";
  char tmpl[] = "/var/tmp/oomlab-wd-pressure-XXXXXX";  // page cache needs a disk, not tmpfs
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  const std::string dir = tmpl, events = dir + "/events.jsonl", err = dir + "/stderr.log";
  const auto before = repro_groups(l.memory_parent);
  Child repro({bin("oomlab-repro"), "run", "page-cache-thrash", "--limit", "64M", "--duration", "40s",
               "--stall-threshold", "3s", "--out", dir + "/reports"});
  std::string group;
  for (int i = 0; i < 100 && group.empty(); ++i) {
    std::this_thread::sleep_for(100ms);
    for (const auto& g : repro_groups(l.memory_parent))
      if (!before.count(g) && holds_child_of(l.memory_parent + "/" + g, repro.pid())) group = g;
  }
  ASSERT_FALSE(group.empty()) << "oomlab-repro made no group under " << l.memory_parent;
  const std::string psi_dir = l.pressure_parent + "/" + group;
  if (!fs::exists(psi_dir + "/memory.pressure")) {
    repro.stop(15s);
    fs::remove_all(dir);
    GTEST_SKIP() << "no memory.pressure in " << psi_dir << " (kernel without PSI for cgroup2)";
  }
  // Thresholds scaled to this reproducer on this host: a 64M group reading
  // from a disk the host caches reaches some avg10 ~20-30%, full ~15%.
  Child wd({bin("oomlab-watchdog"), "--period", "500ms", "--warn-after", "2s", "--kill-after", "4s",
            "--escalate-after", "4s", "--pressure-above", "some=10", "--watch-cgroup", psi_dir, "--scope",
            "/oomlab/" + group, "--socket", "", "--json-log", events, "--no-self-protect"},
           nullptr, err);
  json kill;
  for (int i = 0; i < 120 && kill.is_null(); ++i) {  // 60 s: writing the files, then the pressure
    std::this_thread::sleep_for(500ms);
    std::istringstream in(wdtest::slurp(events));
    for (std::string line; std::getline(in, line);) {
      json j = json::parse(line, nullptr, false);
      if (j.is_object() && j["type"] == "kill") {
        kill = j;
        break;
      }
    }
    if (!repro.running()) break;
  }
  EXPECT_EQ(wd.stop(), 0);
  repro.stop(15s);
  ASSERT_FALSE(kill.is_null()) << "no kill; watchdog log:\n" << wdtest::slurp(err);
  EXPECT_EQ(kill["reason"], "pressure") << kill.dump();
  EXPECT_EQ(kill["cgroup"], "/oomlab/" + group);
  EXPECT_FALSE(kill["dry_run"].get<bool>());
  std::set<std::string> workload = {"anon-ballast", "cache-reader", "cache-thrash"};
  EXPECT_TRUE(workload.count(kill["comm"].get<std::string>())) << kill.dump();
  EXPECT_NE(wdtest::slurp(err).find("memory pressure in cgroup /oomlab/" + group + " above some=10"), std::string::npos);
  fs::remove_all(dir);
}
