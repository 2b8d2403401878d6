// page-cache-thrash (oomlab-repro) under the watchdog scoped to its group.
// 1. No task stalls for long and the kernel never OOM-kills, so only the
//    group's memory PSI can end it: the watchdog must kill a task of that
//    group with reason=pressure (~10 s, the working set is written first).
// 2. With --bpf, the tracer sees the readers inside memcg reclaim (running,
//    invisible to wchan): a MemAlloc line of the group carries the real gfp
//    mask and order (~10-30 s).
// 3. With --delayacct enable, taskstats shows the same readers losing most
//    of each period to reclaim: they are reported as stalled with the
//    growth of their delay totals, and kernel.task_delayacct is put back.
#include <filesystem>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <sstream>
#include <thread>
#include <unistd.h>

#include "child.hpp"
#include "oomlab/cgroups/run_groups.hpp"
#include "oomlab/common/procfs.hpp"
#include "oomlab/common/subprocess.hpp"
#include "oomlab/tracer/tracer.hpp"
#include "oomlab/watchdog/taskstats.hpp"

using namespace std::chrono_literals;
namespace fs = std::filesystem;
using nlohmann::json;
using wdtest::bin;
using wdtest::Child;

namespace {

// One oomlab-repro page-cache-thrash run and the group it made.
struct ThrashRun {
  std::string dir, group, psi_dir, skip;
  std::unique_ptr<Child> repro;
  explicit ThrashRun(const char* duration = "45s", std::vector<std::string> extra = {}) {
    const oomlab::cgroups::RunGroupDirs l = oomlab::cgroups::run_group_dirs();
    if (!fs::exists(l.pressure_parent.substr(0, l.pressure_parent.rfind('/')) + "/cgroup.procs")) {
      skip = "no cgroup2 mount where oomlab-repro's groups get a memory.pressure";
      return;
    }
    char tmpl[] = "/var/tmp/oomlab-wd-thrash-XXXXXX";  // page cache needs a disk, not tmpfs
    if (!mkdtemp(tmpl)) throw std::runtime_error("mkdtemp");
    dir = tmpl;
    const auto before = oomlab::cgroups::run_group_names(l.memory_parent);
    std::vector<std::string> argv{bin("oomlab-repro"), "run",       "page-cache-thrash", "--limit", "64M", "--duration",
                                  duration,           "--stall-threshold", "3s", "--out", dir + "/reports"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    repro = std::make_unique<Child>(argv);
    for (int i = 0; i < 100 && group.empty(); ++i) {
      std::this_thread::sleep_for(100ms);
      group = oomlab::cgroups::new_run_group_of(l.memory_parent, before, repro->pid());
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
  ThrashRun run("40s");
  if (!run.skip.empty()) GTEST_SKIP() << run.skip;
  ASSERT_FALSE(run.group.empty()) << "oomlab-repro made no group";
  const std::string events = run.dir + "/events.jsonl", err = run.dir + "/stderr.log";
  const std::string& group = run.group;
  const std::string& psi_dir = run.psi_dir;
  if (!fs::exists(psi_dir + "/memory.pressure"))
    GTEST_SKIP() << "no memory.pressure in " << psi_dir << " (kernel without PSI for cgroup2)";
  // Thresholds scaled to this reproducer on this host: a 64M group reading
  // from a disk the host caches reaches some avg10 ~20-30%, full ~15%.
  Child wd({bin("oomlab-watchdog"), "--period", "500ms", "--warn-after", "2s", "--kill-after", "4s",
            "--escalate-after", "4s", "--pressure-above", "some=10", "--watch-cgroup", psi_dir, "--scope",
            "/oomlab/" + group, "--socket", "", "--json-log", events, "--no-self-protect"},
           nullptr, err);
  json kill;
  for (int i = 0; i < 120 && kill.is_null(); ++i) {  // 60 s: writing the files, then the pressure
    std::this_thread::sleep_for(500ms);
    kill = first_event(events, "kill", [](const json&) { return true; });
    if (!run.repro->running()) break;
  }
  EXPECT_EQ(wd.stop(), 0);
  run.repro->stop(15s);
  ASSERT_FALSE(kill.is_null()) << "no kill; watchdog log:\n" << wdtest::slurp(err);
  EXPECT_EQ(kill["reason"], "pressure") << kill.dump();
  EXPECT_EQ(kill["cgroup"], "/oomlab/" + group);
  EXPECT_FALSE(kill["dry_run"].get<bool>());
  std::set<std::string> workload = {"anon-ballast", "cache-reader", "cache-thrash"};
  EXPECT_TRUE(workload.count(kill["comm"].get<std::string>())) << kill.dump();
  EXPECT_NE(wdtest::slurp(err).find("memory pressure in cgroup /oomlab/" + group + " above some=10"), std::string::npos);
}

TEST(WatchdogDelayacct, ReclaimingReadersAreReportedWithTheirDelayGrowth) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root (memory cgroups, taskstats)";
  std::string why;
  if (!oomlab::watchdog::TaskstatsClient::open(why)) GTEST_SKIP() << "no taskstats here: " << why;
  const int before = oomlab::watchdog::read_task_delayacct("/proc");
  if (before < 0) GTEST_SKIP() << "no /proc/sys/kernel/task_delayacct";
  // A ballast of 85% leaves ~10M of page cache for a 64M working set: the
  // readers spend ~70% of their time in memcg reclaim (measured on 6.18).
  ThrashRun run("40s", {"--ballast", "85%"});
  if (!run.skip.empty()) GTEST_SKIP() << run.skip;
  ASSERT_FALSE(run.group.empty()) << "oomlab-repro made no group";
  const std::string events = run.dir + "/events.jsonl", err = run.dir + "/stderr.log", cg = "/oomlab/" + run.group;
  json line;
  {
    const std::string sock = run.dir + "/control.sock";
    Child wd({bin("oomlab-watchdog"), "--delayacct", "enable", "--period", "500ms", "--warn-after", "2s",
              "--kill-after", "10m", "--pressure-above", "off", "--scope", cg, "--socket", sock, "--json-log", events,
              "--no-self-protect"},
             nullptr, err);
    for (int i = 0; i < 100 && line.is_null() && run.repro->running(); ++i) {  // up to 50 s
      std::this_thread::sleep_for(500ms);
      line = first_event(events, "memalloc", [&](const json& j) {
        return j["cgroup"] == cg && j["comm"] == "cache-reader" && j.contains("delays_ms");
      });
    }
    EXPECT_EQ(oomlab::watchdog::read_task_delayacct("/proc"), 1) << "--delayacct enable while running";
    oomlab::ProcessSpec q({bin("oomlab-watchdog"), "status", "--socket", sock});
    q.timeout = 10s;
    auto status = oomlab::run_process(q);
    ASSERT_EQ(status.exit_code, 0) << status.err;
    json st = json::parse(status.out, nullptr, false);
    EXPECT_EQ(st["sources"]["taskstats"], true) << status.out;
    EXPECT_EQ(st["sources"]["delayacct"], true) << status.out;
    EXPECT_EQ(st["config"]["delayacct"], "enable") << status.out;
    EXPECT_EQ(wd.stop(), 0);
  }
  EXPECT_EQ(oomlab::watchdog::read_task_delayacct("/proc"), before) << "kernel.task_delayacct not restored";
  ASSERT_FALSE(line.is_null()) << "no MemAlloc line with delays for a reader of " << cg << "\n"
                               << wdtest::slurp(err);
  const json& d = line["delays_ms"];
  const auto memory_ms = d["reclaim"].get<std::uint64_t>() + d["thrashing"].get<std::uint64_t>() +
                         d["compact"].get<std::uint64_t>() + d["swapin"].get<std::uint64_t>();
  const auto delay_ms = line["delay_ms"].get<std::uint64_t>();
  EXPECT_GE(delay_ms, 2000u) << line.dump();
  // Each interval of the stall lost >= 50% to memory delays; allow for the
  // part of the first interval before the baseline sample.
  EXPECT_GE(memory_ms * 10, delay_ms * 4) << line.dump();
  EXPECT_LE(memory_ms, delay_ms + 500) << line.dump();
  EXPECT_NE(line["line"].get<std::string>().find(" reclaim_delay="), std::string::npos) << line.dump();
}
