#include "guard_probe.hpp"
#include "guards.hpp"
#include "vm_run.hpp"

#include <ctime>
#include <gtest/gtest.h>
#include <unistd.h>

using namespace oomlab::peers;

namespace {

std::vector<TimedLine> lines(std::initializer_list<const char*> texts) {
  std::vector<TimedLine> out;
  std::int64_t t = 1000;
  for (const char* s : texts) out.push_back({t += 10, s});
  return out;
}

TEST(GuardKills, OomlabWatchdogKillAndGroupKillButNotDryRun) {
  auto k = parse_guard_kills(
      GuardKind::oomlab,
      lines({"oomlab-watchdog[7]: warn: stall of zero-hog(12) for 2100ms in cgroup /oomlab/repro-1",
             "oomlab-watchdog[7]: kill: pid=12 comm=zero-hog cgroup=/oomlab/repro-1 rss=200000kB oom_score_adj=0 reason=stall",
             "oomlab-watchdog[7]: kill: pid=13 comm=other cgroup=/x rss=1kB oom_score_adj=0 reason=stall dry-run",
             "oomlab-watchdog[7]: killed: pid=12 comm=zero-hog kill_to_exit=3ms kill_to_freed=5ms freed=1kB",
             "oomlab-watchdog[7]: killed 3 process(es) of cgroup /oomlab/repro-1"}));
  ASSERT_EQ(k.size(), 2u);
  EXPECT_EQ(k[0].pid, 12);
  EXPECT_EQ(k[0].comm, "zero-hog");
  EXPECT_EQ(k[0].realtime_ms, 1020);
  EXPECT_TRUE(k[1].whole_group);
}

TEST(GuardKills, EarlyoomSendingLines) {
  auto k = parse_guard_kills(GuardKind::earlyoom,
                             lines({"mem avail:    20 of   481 MiB ( 4.16%), swap free:    0 of    0 MiB ( 0.00%)",
                                    "low memory! at or below SIGTERM limits: mem 10.00%, swap 10.00%",
                                    "sending SIGTERM to process 301 uid 0 \"zero hog\": badness 900, VmRSS 400 MiB",
                                    "sending SIGKILL to process 301 uid 0 \"zero hog\": badness 900, VmRSS 400 MiB"}));
  ASSERT_EQ(k.size(), 2u);
  EXPECT_EQ(k[0].pid, 301);
  EXPECT_EQ(k[0].comm, "zero hog");
}

TEST(GuardKills, NohangVictimBlockThenSend) {
  auto k = parse_guard_kills(GuardKind::nohang,
                             lines({"Victim status (found in 3ms):", "  PID:       4242, name: cache-reader, state: D, EUID: 0,",
                                    "  badness:   1010, oom_score:  10, oom_score_adj:  0", "Implementing a corrective action:",
                                    "  Sending SIGTERM to the victim", "Sending SIGKILL to the victim"}));
  ASSERT_EQ(k.size(), 1u) << "a send without a new victim block is the same kill";
  EXPECT_EQ(k[0].pid, 4242);
  EXPECT_EQ(k[0].comm, "cache-reader");
  EXPECT_EQ(k[0].realtime_ms, 1050);
}

TEST(GuardKills, NoneAndUnrelatedLinesGiveNothing) {
  EXPECT_TRUE(parse_guard_kills(GuardKind::none, lines({"sending SIGTERM to process 1 uid 0 \"x\""})).empty());
  EXPECT_TRUE(parse_guard_kills(GuardKind::earlyoom, lines({"earlyoom v1.7", "mem avail: 100%"})).empty());
}

TEST(GuardCommand, PointsEachToolAtTheGroup) {
  Target t{"/oomlab/repro-9", "/sys/fs/cgroup/unified/oomlab/repro-9/memory.pressure", ::testing::TempDir()};
  auto w = guard_command(GuardKind::oomlab, t, "/bin/oomlab-watchdog");
  auto has = [&](const std::vector<std::string>& v, const std::string& a, const std::string& b) {
    for (std::size_t i = 0; i + 1 < v.size(); ++i)
      if (v[i] == a && v[i + 1] == b) return true;
    return false;
  };
  EXPECT_TRUE(has(w, "--scope", "/oomlab/repro-9"));
  EXPECT_TRUE(has(w, "--watch-cgroup", "/sys/fs/cgroup/unified/oomlab/repro-9"));
  EXPECT_TRUE(has(w, "--pressure-above", "some=25"));  // nohang's PSI level
  EXPECT_TRUE(has(w, "--kill-after", "5s"));
  EXPECT_TRUE(guard_command(GuardKind::none, t, "x").empty());
  std::string conf = nohang_config(t);
  EXPECT_NE(conf.find("psi_path = /sys/fs/cgroup/unified/oomlab/repro-9/memory.pressure\n"), std::string::npos);
  EXPECT_NE(conf.find("@BADNESS_ADJ_RE_CGROUP_V2 1000 /// ^/oomlab/repro-9$"), std::string::npos);
  EXPECT_NE(conf.find("psi_excess_duration = 5\n"), std::string::npos);
  auto n = guard_command(GuardKind::nohang, t, "x");
  ASSERT_EQ(n.size(), 4u);
  EXPECT_EQ(n[3], ::testing::TempDir() + "/nohang.conf");
  EXPECT_EQ(parse_guard("oomlab"), GuardKind::oomlab);
  EXPECT_EQ(parse_guard("earlyoom"), GuardKind::earlyoom);
  EXPECT_FALSE(parse_guard("systemd-oomd"));
}

TEST(ProcStat, CommWithSpacesAndParentheses) {
  StatFields f;
  ASSERT_TRUE(parse_stat("42 (a (b) c) D 1 42 42 0 -1 4194304 10 0 0 0 7 3 5 6 20 0 1 0 100 1000 50", f));
  EXPECT_EQ(f.state, 'D');
  EXPECT_EQ(f.utime, 7u);
  EXPECT_EQ(f.stime, 3u);
  EXPECT_EQ(f.cutime, 5u);
  EXPECT_EQ(f.cstime, 6u);
  EXPECT_FALSE(parse_stat("42 (x) R 1 2", f));
  EXPECT_FALSE(parse_stat("garbage", f));
}

TEST(GuardProbe, MeasuresThisProcess) {
  GuardProbe p(getpid());
  volatile double x = 0;
  const std::clock_t start = std::clock();
  while (std::clock() - start < CLOCKS_PER_SEC / 20) x = x + 1;  // 50 ms of CPU
  p.sample(0);
  EXPECT_GT(p.cost().peak_rss_kb, 100u);
  EXPECT_GE(p.cost().cpu_ms, 40.0);
  EXPECT_EQ(p.cost().longest_d_ms, 0);
}

}  // namespace

// The busybox VM's watchdog runs the host's command: scoped to the scenario
// parent, with the group PSI rule (without it a whole-guest page-cache thrash,
// where earlyoom never acts, could only end by a per-task stall).
TEST(VmGuestScript, WatchdogGetsTheHostsScopeAndPressureRule) {
  VmRunConfig c;
  c.scenario = "page-cache-thrash", c.guard = GuardKind::oomlab;
  const std::string s = guest_script(c);
  const auto mkdir = s.find("mkdir -p /sys/fs/cgroup/oomlab\n");
  const auto guard = s.find("oomlab-bench-peers wrap --out /tmp/guard.json -- oomlab-watchdog ");
  ASSERT_NE(mkdir, std::string::npos) << s;
  ASSERT_NE(guard, std::string::npos) << s;
  EXPECT_LT(mkdir, guard);  // the trigger is opened on an existing memory.pressure
  const std::string line = s.substr(guard, s.find('\n', guard) - guard);
  EXPECT_NE(line.find(" --scope /oomlab "), std::string::npos) << line;
  EXPECT_NE(line.find(" --watch-cgroup /sys/fs/cgroup/oomlab "), std::string::npos) << line;
  EXPECT_NE(line.find(" --pressure-above some=25"), std::string::npos) << line;
  EXPECT_NE(line.find(" --socket '' "), std::string::npos) << line;  // the empty value survives the shell
  EXPECT_NE(line.find(" --kill-after 5s "), std::string::npos) << line;
  EXPECT_LT(line.find(" &"), line.size());  // still started in the background

  c.guard = GuardKind::earlyoom;
  const std::string e = guest_script(c);
  EXPECT_NE(e.find("-- earlyoom -r 0 &"), std::string::npos) << e;
  EXPECT_EQ(e.find("--dryrun"), std::string::npos) << e;  // in the guest it acts for real
  c.guard = GuardKind::none;
  EXPECT_EQ(guest_script(c).find("wrap"), std::string::npos);
  EXPECT_NE(guest_script(c).find("oomlab-repro run page-cache-thrash --limit 384M "), std::string::npos);
  // Without --scenario-args page-cache-thrash gets the guest's own sizes (a file set
  // ~1.2x the cache the guest leaves, so that its refaults are a thrash); no other
  // scenario gets any.
  EXPECT_NE(guest_script(c).find(" --json --report-dir \"$TMPDIR/run\" --ballast 37% --working-set 44% > /tmp/sum.json"),
            std::string::npos)
      << guest_script(c);
  VmRunConfig other = c;
  other.scenario = "mmap-lock-hold";
  EXPECT_NE(guest_script(other).find(" --json --report-dir \"$TMPDIR/run\" > /tmp/sum.json"), std::string::npos)
      << guest_script(other);
  // The harness shell (and so wrap and the runner) out of the OOM killers' reach, from its first line on.
  EXPECT_EQ(guest_script(c).find("echo -1000 > /proc/self/oom_score_adj\n"), guest_script(c).find('\n') + 1);

  // --scenario-args: the scenario's own options after the runner's, one shell word each.
  c.scenario_args = {"--ballast", "70%", "--working-set", "150%"};
  const std::string a = guest_script(c);
  const auto run = a.find("oomlab-repro run page-cache-thrash ");
  ASSERT_NE(run, std::string::npos) << a;
  const std::string cmd = a.substr(run, a.find('\n', run) - run);
  EXPECT_NE(cmd.find(" --json --report-dir \"$TMPDIR/run\" --ballast 70% --working-set 150% > /tmp/sum.json"),
            std::string::npos)
      << cmd;
}
