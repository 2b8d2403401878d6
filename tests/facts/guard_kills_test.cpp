#include <gtest/gtest.h>

#include "oomlab/facts/guard_kills.hpp"

using namespace oomlab::facts;

TEST(GuardKills, EarlyoomAcrossVersions) {
  // 1.8 (oom_score, cmdline), 1.7 (badness), before 1.6 (no uid), uid 0.
  auto k = parse_earlyoom_kill(
      "sending SIGTERM to process 4242 uid 1000 \"chrome\": oom_score 666, VmRSS 9120 MiB, cmdline \"/opt/chrome --type=renderer\"");
  ASSERT_TRUE(k);
  EXPECT_EQ(k->pid, 4242);
  EXPECT_EQ(k->comm, "chrome");
  EXPECT_EQ(k->signal, "SIGTERM");
  auto old = parse_earlyoom_kill("sending SIGKILL to process 301 \"zero hog\": badness 900, VmRSS 400 MiB");
  ASSERT_TRUE(old);
  EXPECT_EQ(old->pid, 301);
  EXPECT_EQ(old->comm, "zero hog");
  EXPECT_EQ(old->signal, "SIGKILL");
  auto root = parse_earlyoom_kill("sending SIGTERM to process 12 uid 0 \"a\": badness 1, VmRSS 1 MiB");
  ASSERT_TRUE(root);
  EXPECT_EQ(root->comm, "a");
  // Its start-up banner and memory reports are not kills.
  EXPECT_FALSE(parse_earlyoom_kill("sending SIGTERM when mem <= 10.00% and swap <= 10.00%,"));
  EXPECT_FALSE(parse_earlyoom_kill("sending SIGTERM to process x uid 0 \"a\": badness 1"));
  EXPECT_FALSE(parse_earlyoom_kill("low memory! at or below SIGTERM limits: mem 10.00%, swap 10.00%"));
}

TEST(GuardKills, EarlyoomDryRunLine) {
  EXPECT_TRUE(is_earlyoom_dry_run("dryrun, not actually sending any signal"));
  EXPECT_FALSE(is_earlyoom_dry_run("dryrun mode enabled, will not kill anything"));
}

TEST(GuardKills, EarlyoomVictimExit) {
  EXPECT_EQ(parse_earlyoom_exited_ms("process exited after 0.2 seconds"), 200);
  EXPECT_EQ(parse_earlyoom_exited_ms("process exited after 1.25 seconds"), 1250);
  EXPECT_EQ(parse_earlyoom_exited_ms("process exited after 3 seconds"), 3000);
  EXPECT_FALSE(parse_earlyoom_exited_ms("process exited after a while"));
}

TEST(GuardKills, SystemdOomdPressureAndSwapKills) {
  auto p = parse_systemd_oomd_kill(
      "Killed /user.slice/user-1000.slice/user@1000.service/app.slice/app-firefox.scope due to memory pressure for "
      "/user.slice/user-1000.slice/user@1000.service being 71.23% > 50.00% for > 20s with reclaim activity");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->pid, 0);
  EXPECT_EQ(p->cgroup, "/user.slice/user-1000.slice/user@1000.service/app.slice/app-firefox.scope");
  EXPECT_EQ(p->reason,
            "memory pressure for /user.slice/user-1000.slice/user@1000.service being 71.23% > 50.00% for > 20s with reclaim activity");
  auto s = parse_systemd_oomd_kill(
      "Killed /system.slice/build.service due to swap used (8000000000) / total (8589930496) being more than 90.00%");
  ASSERT_TRUE(s);
  EXPECT_EQ(s->cgroup, "/system.slice/build.service");
  EXPECT_EQ(s->reason, "swap used (8000000000) / total (8589930496) being more than 90.00%");
  EXPECT_FALSE(parse_systemd_oomd_kill("Killed process 3418 (a.out) total-vm:1kB"));
  EXPECT_FALSE(parse_systemd_oomd_kill("Killed /user.slice without a reason"));
}

TEST(GuardKills, NohangVictimThenSend) {
  NohangKills n;
  EXPECT_FALSE(n.feed("Victim status (found in 3ms):"));
  EXPECT_FALSE(n.feed("  PID:       4242, name: cache-reader, state: D, EUID: 0,"));
  EXPECT_FALSE(n.feed("Implementing a corrective action:"));
  auto k = n.feed("  Sending SIGTERM to the victim");
  ASSERT_TRUE(k);
  EXPECT_EQ(k->pid, 4242);
  EXPECT_EQ(k->comm, "cache-reader");
  EXPECT_EQ(k->signal, "SIGTERM");
  EXPECT_FALSE(n.feed("  Sending SIGKILL to the victim")) << "escalation of the same kill";
  EXPECT_FALSE(n.feed("  PID:       x, name: y,"));
}

TEST(GuardKills, SyslogTag) {
  auto t = split_syslog_tag("earlyoom[700]: sending SIGTERM to process 1");
  ASSERT_TRUE(t);
  EXPECT_EQ(t->ident, "earlyoom");
  EXPECT_EQ(t->body, "sending SIGTERM to process 1");
  EXPECT_TRUE(split_syslog_tag("systemd-oomd[612]: Killed /a due to x"));
  EXPECT_FALSE(split_syslog_tag("[700]: x"));
  EXPECT_FALSE(split_syslog_tag("earlyoom[70a]: x"));
  EXPECT_FALSE(split_syslog_tag("a b[1]: x"));
  EXPECT_FALSE(split_syslog_tag("earlyoom: x"));
}
