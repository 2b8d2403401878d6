// Userspace OOM killers' kills in journals: a kill a guard made is memory
// trouble it ended (oom_resolved, resolved_by the guard), a dry run is not.
#include <gtest/gtest.h>

#include "helpers.hpp"

namespace oomlab::analyzer::test {
namespace {

// Captured here: earlyoom 1.7 (`earlyoom -m 99,98 -s 100 -r 0` in its own pid
// namespace, so that it could only see and kill a 300 MiB python3 and its own
// `timeout` wrapper), its stderr lines given a journal prefix.
TEST(GuardKills, EarlyoomKillsAreResolvedByEarlyoom) {
  Report r = fixture("earlyoom_1.7_kills.journal");
  ASSERT_EQ(r.verdict, VerdictClass::oom_resolved) << r.title;
  const auto kills = findings_of(r, VerdictClass::oom_resolved);
  ASSERT_EQ(kills.size(), 2u);
  EXPECT_EQ(kills[0]->title, "earlyoom kill of python3(2): it exited in 100 ms");
  ASSERT_NE(role_of(*kills[0], 2), nullptr);
  EXPECT_EQ(role_of(*kills[0], 2)->role, "victim");
  ASSERT_NE(detail<std::string>(*kills[0], "resolved_by"), nullptr);
  EXPECT_EQ(*detail<std::string>(*kills[0], "resolved_by"), "earlyoom");
  EXPECT_EQ(*detail<std::string>(*kills[0], "signal"), "SIGKILL");
  ASSERT_NE(detail<double>(*kills[0], "resolved_ms"), nullptr);
  EXPECT_EQ(*detail<double>(*kills[0], "resolved_ms"), 100.0);
  EXPECT_EQ(kills[1]->tasks.at(0).comm, "timeout");
}

// Captured here: `earlyoom --dryrun -m 99,98`: every kill line is followed by
// "dryrun, not actually sending any signal", and its banner says "sending
// SIGTERM when ...": nothing was killed.
TEST(GuardKills, EarlyoomDryRunKillsNothing) {
  Report r = fixture("earlyoom_1.7_dryrun.journal");
  EXPECT_EQ(r.verdict, VerdictClass::clean) << r.title;
}

// systemd-oomd's kill line as its format string prints it
// (src/oom/oomd-util.c, "Killed %s due to memory pressure for %s being ...").
TEST(GuardKills, SystemdOomdKillNamesTheCgroupAndWhy) {
  Report r = analyze_text(
      "Dec 06 10:15:01 host systemd-oomd[612]: Killed /user.slice/user-1000.slice/user@1000.service/app.slice/app-firefox.scope "
      "due to memory pressure for /user.slice/user-1000.slice/user@1000.service being 71.23% > 50.00% for > 20s with reclaim activity\n"
      "Dec 06 10:15:01 host systemd[1100]: app-firefox.scope: systemd-oomd killed 212 process(es) in this unit.\n");
  ASSERT_EQ(r.verdict, VerdictClass::oom_resolved) << r.title;
  ASSERT_EQ(r.findings.size(), 1u);
  const Finding& f = r.findings[0];
  EXPECT_EQ(*detail<std::string>(f, "resolved_by"), "systemd-oomd");
  EXPECT_EQ(*detail<std::string>(f, "cgroup"), "/user.slice/user-1000.slice/user@1000.service/app.slice/app-firefox.scope");
  EXPECT_NE(f.title.find("71.23% > 50.00% for > 20s"), std::string::npos) << f.title;
  EXPECT_TRUE(f.tasks.empty()) << "oomd kills a cgroup, not one task";
}

// nohang 0.2's victim block and action, as its log() calls print them
// (/usr/sbin/nohang: "  PID: ..., name: ..." then "  Sending SIGx to the victim").
TEST(GuardKills, NohangVictimBlockThenSend) {
  Report r = analyze_text(
      "Dec 06 12:00:00 host nohang[900]: Victim status (found in 3ms):\n"
      "Dec 06 12:00:00 host nohang[900]:   PID:       4242, name: cache-reader, state: D, EUID: 0,\n"
      "Dec 06 12:00:00 host nohang[900]: Implementing a corrective action:\n"
      "Dec 06 12:00:00 host nohang[900]:   Sending SIGTERM to the victim\n"
      "Dec 06 12:00:05 host nohang[900]:   Sending SIGKILL to the victim\n");
  ASSERT_EQ(r.verdict, VerdictClass::oom_resolved) << r.title;
  ASSERT_EQ(r.findings.size(), 1u) << "the SIGKILL escalates the same kill";
  EXPECT_EQ(r.findings[0].title, "nohang kill of cache-reader(4242)");
}

// Another program's "sending"/"Killed /" lines are not a guard's kills.
TEST(GuardKills, OtherProgramsSayingTheSameWordsAreNot) {
  Report r = analyze_text(
      "Dec 06 12:00:00 host myapp[1]: sending SIGTERM to process 4242 uid 0 \"x\": badness 1, VmRSS 1 MiB\n"
      "Dec 06 12:00:00 host backup[2]: Killed /var/tmp/job due to timeout\n");
  EXPECT_EQ(r.verdict, VerdictClass::clean) << r.title;
}

}  // namespace
}  // namespace oomlab::analyzer::test
