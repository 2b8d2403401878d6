// The scenario catalogue and the workloads' option handling, without running
// any workload: fast, unprivileged (label unit, also under ASan+UBSan).
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <set>
#include <string>

#include "../../reproducers/scenarios/scenario_kit.hpp"
#include "oomlab/repro/scenario.hpp"

using oomlab::repro::Scenario;
using oomlab::repro::ScenarioParams;
namespace kit = oomlab::repro::kit;

namespace {

const Scenario& scenario(const std::vector<std::unique_ptr<Scenario>>& all, std::string_view name) {
  for (const auto& s : all)
    if (s->name() == name) return *s;
  throw std::runtime_error("no scenario " + std::string(name));
}

ScenarioParams defaults_of(const Scenario& s, std::uint64_t limit = 64ull << 20) {
  ScenarioParams p;
  p.limit_bytes = limit;
  p.cgroup_version = 1;
  p.work_dir = "/nonexistent";
  for (const auto& o : s.options()) p.options[o.name] = o.default_value;
  return p;
}

}  // namespace

TEST(ScenarioCatalogue, HasTheSevenScenariosInListOrder) {
  auto all = oomlab::repro::all_scenarios();
  std::vector<std::string> names;
  for (const auto& s : all) names.emplace_back(s->name());
  EXPECT_EQ(names, (std::vector<std::string>{"mmap-sem", "mmap-lock-hold", "page-cache-thrash", "memory-high",
                                             "shmem-fill", "pipe-fill", "dying-competition"}));
}

TEST(ScenarioCatalogue, EveryScenarioDescribesItselfAndItsOptions) {
  // Options the runner owns: a scenario option with one of these names would
  // be unreachable.
  const std::set<std::string> runner_options = {"limit", "duration", "stall-threshold", "period",
                                                "json",  "out",      "unsafe-no-cgroup", "help"};
  for (const auto& s : oomlab::repro::all_scenarios()) {
    SCOPED_TRACE(std::string(s->name()));
    EXPECT_FALSE(s->summary().empty());
    EXPECT_LE(s->summary().size(), 110u) << "one line in `list`";
    EXPECT_GT(s->details().size(), s->summary().size());
    std::set<std::string> seen;
    for (const auto& o : s->options()) {
      EXPECT_TRUE(seen.insert(o.name).second) << "duplicate --" << o.name;
      EXPECT_FALSE(runner_options.count(o.name)) << "--" << o.name << " collides with a runner option";
      EXPECT_NE(o.name.rfind("--", 0), 0u) << o.name;
      EXPECT_FALSE(o.default_value.empty()) << o.name;
      EXPECT_FALSE(o.help.empty()) << o.name;
    }
  }
}

TEST(ScenarioCatalogue, RequirementsMatchWhatTheWorkloadsNeed) {
  auto all = oomlab::repro::all_scenarios();
  EXPECT_TRUE(scenario(all, "memory-high").requirements().cgroup_v2);
  EXPECT_TRUE(scenario(all, "page-cache-thrash").requirements().needs_disk);
  EXPECT_FALSE(scenario(all, "mmap-sem").requirements().cgroup_v2);
  EXPECT_FALSE(scenario(all, "shmem-fill").requirements().needs_disk);
}

TEST(ScenarioCatalogue, BadOptionValuesEndTheWorkloadWithUsageExit) {
  // Options are all parsed before a workload forks, mounts or writes anything,
  // so these calls return at once.
  auto all = oomlab::repro::all_scenarios();
  const std::vector<std::pair<std::string, std::pair<std::string, std::string>>> cases = {
      {"mmap-sem", {"reader-file", "environ"}},
      {"mmap-sem", {"threads", "-1"}},
      {"mmap-sem", {"victim-oom-score-adj", "1001"}},
      {"mmap-lock-hold", {"io-delay", "soon"}},
      {"mmap-lock-hold", {"file-size", "0"}},
      {"page-cache-thrash", {"working-set", "lots"}},
      {"shmem-fill", {"shmem", "-5%"}},
      {"pipe-fill", {"respawn-delay", "1e3"}},
      {"dying-competition", {"respawn", "maybe"}},
      {"dying-competition", {"chunk", "1G"}},  // larger than each thread's share
  };
  for (const auto& [name, opt] : cases) {
    SCOPED_TRACE(name + " --" + opt.first + " " + opt.second);
    Scenario& s = const_cast<Scenario&>(scenario(all, name));
    ScenarioParams p = defaults_of(s);
    p.options[opt.first] = opt.second;
    testing::internal::CaptureStderr();
    EXPECT_EQ(s.run_workload(p), kit::kUsageExit);
    const std::string err = testing::internal::GetCapturedStderr();
    EXPECT_NE(err.find("oomlab-repro: " + name + ": "), std::string::npos) << err;
    EXPECT_EQ(std::count(err.begin(), err.end(), '\n'), 1) << "one line: " << err;
  }
}

TEST(ScenarioCatalogue, MemoryHighRefusesCgroupV1) {
  auto all = oomlab::repro::all_scenarios();
  Scenario& s = const_cast<Scenario&>(scenario(all, "memory-high"));
  ScenarioParams p = defaults_of(s);
  p.cgroup_path = "/sys/fs/cgroup/memory/none";
  testing::internal::CaptureStderr();
  EXPECT_EQ(s.run_workload(p), kit::kUsageExit);
  EXPECT_NE(testing::internal::GetCapturedStderr().find("needs a cgroup v2"), std::string::npos);
}

TEST(ScenarioKitOptions, SizesAreAbsoluteOrAShareOfTheLimit) {
  ScenarioParams p;
  p.limit_bytes = 200ull << 20;
  p.options = {{"a", "64M"}, {"b", "50%"}, {"c", "150%"}, {"z", "0"}, {"bad", "12Q"}, {"neg", "-1M"}};
  kit::Options opt(p);
  EXPECT_EQ(opt.size("a"), 64ull << 20);
  EXPECT_EQ(opt.size("b"), 100ull << 20);
  EXPECT_EQ(opt.size("c"), 300ull << 20);
  EXPECT_EQ(opt.size("z", true), 0u);
  EXPECT_THROW(opt.size("z"), kit::WorkloadError);
  EXPECT_THROW(opt.size("bad"), kit::WorkloadError);
  EXPECT_THROW(opt.size("neg"), kit::WorkloadError);
  EXPECT_THROW(opt.size("missing"), kit::WorkloadError);
  p.limit_bytes = 0;  // --unsafe-no-cgroup: no limit to take a share of
  EXPECT_THROW(opt.size("b"), kit::WorkloadError);
  EXPECT_EQ(opt.size("a"), 64ull << 20);
}

TEST(ScenarioKitOptions, IntegersChoicesAndFlagsAreChecked) {
  ScenarioParams p;
  p.options = {{"n", "9"}, {"big", "99999999999999999999"}, {"txt", "9x"}, {"file", "maps"},
               {"yes", "yes"}, {"no", "0"}, {"odd", "perhaps"}};
  kit::Options opt(p);
  EXPECT_EQ(opt.integer("n", 0, 10), 9);
  EXPECT_THROW(opt.integer("n", 10, 20), kit::WorkloadError);
  EXPECT_THROW(opt.integer("big", 0, 10), kit::WorkloadError);
  EXPECT_THROW(opt.integer("txt", 0, 10), kit::WorkloadError);
  EXPECT_EQ(opt.choice("file", {"stat", "cmdline", "maps"}), "maps");
  try {
    opt.choice("file", {"stat", "cmdline"});
    ADD_FAILURE() << "maps accepted";
  } catch (const kit::WorkloadError& e) {
    EXPECT_STREQ(e.what(), "--file must be one of stat|cmdline, got 'maps'");
  }
  EXPECT_TRUE(opt.flag("yes"));
  EXPECT_FALSE(opt.flag("no"));
  EXPECT_THROW(opt.flag("odd"), kit::WorkloadError);
}

TEST(ScenarioKit, GuardedTurnsErrorsIntoOneLineAndAnExitCode) {
  testing::internal::CaptureStderr();
  EXPECT_EQ(kit::guarded("demo", [] () -> int { throw kit::WorkloadError("bad thing"); }), kit::kUsageExit);
  EXPECT_EQ(kit::guarded("demo", [] () -> int { throw std::runtime_error("boom"); }), 1);
  EXPECT_EQ(kit::guarded("demo", [] { return 7; }), 7);
  EXPECT_EQ(testing::internal::GetCapturedStderr(), "oomlab-repro: demo: bad thing\noomlab-repro: demo: boom\n");
}

TEST(ScenarioKit, KnowsMemoryBackedFilesystems) {
  EXPECT_FALSE(kit::is_memory_backed_fs("/proc"));
  EXPECT_EQ(kit::filesystem_name("/nonexistent/dir"), "unknown");
  auto mounts = std::string();
  if (FILE* f = std::fopen("/proc/self/mounts", "r")) {
    char line[4096];
    while (std::fgets(line, sizeof line, f)) mounts += line;
    std::fclose(f);
  }
  if (mounts.find(" /dev/shm tmpfs ") != std::string::npos) {
    EXPECT_TRUE(kit::is_memory_backed_fs("/dev/shm"));
    EXPECT_EQ(kit::filesystem_name("/dev/shm"), "tmpfs");
  }
}
