// The Debian-guest mode of the peer benchmark, without a VM: the journal
// lines the guest sends back and systemd-oomd's kill lines.
#include "vm_debian.hpp"

#include <gtest/gtest.h>

#include <algorithm>

using namespace oomlab::peers;

TEST(VmDebian, ShortUnixJournalLinesGetEpochTimes) {
  auto lines = parse_short_unix_journal(
      "-- Boot 1a2b --\n"
      "1733500540.123456 oomlab-guest systemd[1]: Starting systemd-oomd.service...\n"
      "not a journal line\n"
      "1733500545.5 oomlab-guest oomlab-watchdog[190]: kill: pid=300 comm=zero-hog cgroup=/x rss=1\n");
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0].realtime_ms, 1733500540123);
  EXPECT_EQ(lines[0].text, "oomlab-guest systemd[1]: Starting systemd-oomd.service...");
  EXPECT_EQ(lines[1].realtime_ms, 1733500545500);
  // The watchdog's own kill pattern still matches inside a journal line.
  auto kills = parse_guard_kills(GuardKind::oomlab, lines);
  ASSERT_EQ(kills.size(), 1u);
  EXPECT_EQ(kills[0].pid, 300);
}

TEST(VmDebian, OomdKillsAreWholeGroupKills) {
  auto kills = parse_oomd_kills(parse_short_unix_journal(
      "1733500550.000001 oomlab-guest systemd-oomd[201]: Killed /oomlab.slice/repro-163-4100-1 due to memory "
      "pressure for /oomlab.slice being 61.20% > 60.00% for > 30s with reclaim activity\n"
      "1733500551.0 oomlab-guest systemd-oomd[201]: Considered 2 cgroups for killing, top candidates were:\n"));
  ASSERT_EQ(kills.size(), 1u);
  EXPECT_TRUE(kills[0].whole_group);
  EXPECT_EQ(kills[0].comm, "/oomlab.slice/repro-163-4100-1");
  EXPECT_EQ(kills[0].realtime_ms, 1733500550000);
  EXPECT_EQ(debian_guard_label("systemd-oomd", true), "systemd-oomd (tuned)");
  EXPECT_EQ(debian_guard_label("none", true), "none");
}

// What one run asks oomlab-vm for: the guard, its config, the package when
// one is given, and after `--` the runner's options then the scenario's own.
TEST(VmDebian, OomlabVmArgvCarriesThePackageAndTheScenarioArgs) {
  DebianRunConfig c;
  c.scenario = "memory-high", c.guard = "systemd-oomd", c.tuned = true, c.limit = "128M";
  c.duration = std::chrono::seconds(70), c.bin_dir = "/b", c.work_dir = "/w", c.report_dir = "/w/vm-reports/run-1";
  auto argv = debian_vm_argv(c);
  auto at = [&](const std::string& a) { return std::find(argv.begin(), argv.end(), a) - argv.begin(); };
  ASSERT_EQ(argv[0], "/b/oomlab-vm");
  EXPECT_EQ(argv[at("--guard") + 1], "systemd-oomd");
  EXPECT_EQ(argv[at("--guard-config") + 1], "tuned");
  EXPECT_EQ(argv[at("--report-dir") + 1], "/w/vm-reports/run-1");
  EXPECT_EQ(at("--oomlab-deb"), static_cast<long>(argv.size()));  // the build tree by default
  ASSERT_LT(at("--"), static_cast<long>(argv.size()));
  EXPECT_EQ(argv[at("--duration") + 1], "70s");
  EXPECT_EQ(argv[at("--stall-threshold") + 1], "5s");
  EXPECT_EQ(argv.back(), "5s");  // no scenario options: the runner's are last

  c.oomlab_deb = "/p/oomlab_0.1.0-1_amd64.deb";
  c.scenario_args = {"--high", "50%", "--alloc", "90%"};
  argv = debian_vm_argv(c);
  ASSERT_LT(at("--oomlab-deb"), at("--"));  // an oomlab-vm option, not the scenario's
  EXPECT_EQ(argv[at("--oomlab-deb") + 1], "/p/oomlab_0.1.0-1_amd64.deb");
  ASSERT_GE(argv.size(), 4u);
  EXPECT_EQ(std::vector<std::string>(argv.end() - 4, argv.end()), c.scenario_args);
  EXPECT_GT(at("--high"), at("--stall-threshold"));
}
