// The Debian-guest mode of the peer benchmark, without a VM: the journal
// lines the guest sends back and systemd-oomd's kill lines.
#include "vm_debian.hpp"

#include <gtest/gtest.h>

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
