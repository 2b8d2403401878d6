// Allocation stall reports: kmallocwd's MemAlloc formats of 2016 and 2017
// and oomlab-watchdog/tracer lines exactly as docs/FORMATS.md defines them.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "helpers.hpp"
#include "oomlab/analyzer/output.hpp"

namespace oomlab::analyzer::test {
namespace {

TEST(MemAlloc, Format2016WithExitingAndOomCount) {
  Report r = fixture("memalloc_2016.dmesg");
  const auto& s = r.memalloc.series;
  ASSERT_EQ(s.size(), 4u);
  EXPECT_EQ(s[0].format, "2016");
  EXPECT_EQ(s[0].stalling, 2);
  EXPECT_EQ(s[0].exiting, 0);
  EXPECT_EQ(s[0].oom_count, 11);
  EXPECT_EQ(s[2].dying, 1);
  EXPECT_EQ(s[2].exiting, 1);
  EXPECT_EQ(s[2].victim, 1);
  EXPECT_EQ(s[2].oom_count, 12);
  const auto& t = r.memalloc.tasks;
  ASSERT_EQ(t.size(), 5u);
  EXPECT_EQ(t[0].task.comm, "kswapd0");
  EXPECT_EQ(t[0].task.pid, 48);
  EXPECT_EQ(t[0].state, "D");
  EXPECT_FALSE(t[0].delay_ms);
  EXPECT_EQ(t[1].gfp, "0x24280ca");
  EXPECT_EQ(t[1].gfp_flags, "GFP_HIGHUSER_MOVABLE|__GFP_ZERO");
  EXPECT_EQ(t[1].order, 0);
  EXPECT_EQ(t[1].delay_ms, 10021u);
  EXPECT_EQ(t[2].gfp_flags, "GFP_NOFS|__GFP_HIGHMEM|__GFP_COLD|__GFP_NOWARN|__GFP_NORETRY|__GFP_HARDWALL|__GFP_MOVABLE");
  EXPECT_TRUE(t[4].dying);
  EXPECT_TRUE(t[4].victim);
  EXPECT_FALSE(t[4].exiting);
  EXPECT_EQ(r.memalloc.max_delay_ms, 30821u);
  // Reports 10 s apart whose delay= dates the stall back to 190.1 s, an OOM
  // kill at 212 s within the threshold (not silent), the victim still
  // reported at 220.9 s, then stalling=0: one stall the kill ended.
  EXPECT_EQ(r.verdict, VerdictClass::allocation_stall);
  EXPECT_EQ(r.findings.at(0).title,
            "allocation stall: no progress for 32 s (up to 3 task(s) blocked on alloc), ended by the kernel's OOM kill of a.out(5012)");
  EXPECT_EQ(findings_of(r, VerdictClass::oom_resolved).size(), 1u);
}

TEST(MemAlloc, KeyValueFormatSilentHang) {
  Report r = fixture("memalloc_2017_kv_silent.dmesg");
  EXPECT_EQ(r.verdict, VerdictClass::silent_hang);
  const Finding& f = r.findings.at(0);
  // From 1040 - 43.184 s (the oldest delay= of the first report) to the last report.
  EXPECT_EQ(f.title, "silent hang: no progress for 83 s (up to 7 task(s) blocked on alloc), until the log ends");
  EXPECT_NEAR(*detail<double>(f, "start_ts"), 996.816, 1e-9);
  EXPECT_NEAR(*detail<double>(f, "end_ts"), 1080.0, 1e-9);
  EXPECT_EQ(*detail<std::string>(f, "ended_by"), "end_of_log");
  EXPECT_EQ(*detail<std::int64_t>(f, "samples"), 5);
  EXPECT_EQ(r.memalloc.series.at(0).format, "kv");
  EXPECT_EQ(r.memalloc.series.at(0).oom_count, 198);
  EXPECT_EQ(r.memalloc.tasks.at(1).task.comm, "dd");
  EXPECT_EQ(r.memalloc.tasks.at(1).order, 3);
  EXPECT_EQ(r.memalloc.max_delay_ms, 83184u);
}

TEST(MemAlloc, ThresholdDecidesBetweenSilentHangAndStall) {
  Options opt;
  opt.stall_threshold_s = 83.2;   // the stall lasts 83.184 s
  EXPECT_EQ(fixture("memalloc_2017_kv_silent.dmesg", opt).verdict, VerdictClass::allocation_stall);
  opt.stall_threshold_s = 83.1;
  EXPECT_EQ(fixture("memalloc_2017_kv_silent.dmesg", opt).verdict, VerdictClass::silent_hang);
}

TEST(OomlabLines, WatchdogStallReportsKillsAndTracer) {
  Report r = fixture("oomlab_watchdog.dmesg");
  const auto& s = r.memalloc.series;
  ASSERT_EQ(s.size(), 7u);
  for (const auto& x : s) EXPECT_EQ(x.source, "oomlab-watchdog");
  EXPECT_EQ(s[5].dying, 1);
  EXPECT_EQ(s[5].exiting, 1);
  EXPECT_EQ(s[5].oom_count, 1);
  const auto& t = r.memalloc.tasks;
  ASSERT_EQ(t.size(), 4u);
  EXPECT_EQ(t[0].task.pid, 3418);
  EXPECT_EQ(t[0].tgid, 3418);
  EXPECT_EQ(t[0].kind, "mmap_lock");
  EXPECT_EQ(t[0].lock_mode, "write");
  EXPECT_EQ(t[0].wchan, "rwsem_down_write_slowpath");
  EXPECT_EQ(t[0].cgroup, "/oomlab/seed");
  EXPECT_EQ(t[0].delay_ms, 12000u);
  EXPECT_EQ(t[1].task.comm, "my (odd) comm");   // comms may hold spaces and parentheses
  EXPECT_EQ(t[1].task.pid, 3420);
  EXPECT_EQ(t[1].gfp_flags, "GFP_HIGHUSER_MOVABLE|__GFP_COMP");
  EXPECT_EQ(t[1].wchan, "?");
  EXPECT_TRUE(t[2].dying && t[2].exiting && t[2].victim);
  EXPECT_EQ(t[2].kind, "exit");
  EXPECT_EQ(t[3].source, "oomlab-tracer");
  EXPECT_EQ(t[3].delay_ms, 2500u);
  EXPECT_EQ(t[3].gfp, "0xcc0");

  const auto& a = r.watchdog_actions;
  ASSERT_EQ(a.size(), 5u);
  EXPECT_EQ(a[0].action, "warn");
  EXPECT_EQ(a[0].fields, (std::vector<std::pair<std::string, std::string>>{
                             {"comm", "a.out"}, {"pid", "3418"}, {"delay", "12000ms"}, {"cgroup", "/oomlab/seed"}}));
  EXPECT_EQ(a[1].action, "kill");
  EXPECT_EQ(a[1].fields.back(), (std::pair<std::string, std::string>{"reason", "stall_timeout"}));
  EXPECT_EQ(a[2].action, "killed");
  EXPECT_EQ(a[3].action, "escalate");
  EXPECT_EQ(a[4].action, "tracer_victim");
  EXPECT_EQ(a[4].fields[2], (std::pair<std::string, std::string>{"marked", "+0ms"}));

  ASSERT_EQ(r.lock_waits.size(), 1u);
  const LockWait& w = r.lock_waits[0];
  EXPECT_EQ(w.waiter.pid, 3418);
  EXPECT_EQ(w.lock, "mmap_lock");
  EXPECT_EQ(w.mode, "write");
  EXPECT_EQ(w.wait_ms, 12000u);
  ASSERT_EQ(w.holders.size(), 2u);
  EXPECT_EQ(w.holders[0].pid, 3428);
  EXPECT_EQ(w.holders[1].comm, "cat (1)");
  EXPECT_EQ(w.holders[1].pid, 3419);

  EXPECT_EQ(r.verdict, VerdictClass::silent_hang);
  EXPECT_EQ(*detail<std::string>(r.findings[0], "ended_by"), "watchdog_kill");
  auto resolved = findings_of(r, VerdictClass::oom_resolved);
  ASSERT_EQ(resolved.size(), 1u);
  EXPECT_EQ(resolved[0]->title, "oomlab-watchdog kill of a.out(3417) freed memory in 700 ms");
}

TEST(OomlabLines, WatchdogDelayAccountingFieldsAreParsedAndReported) {
  // --delayacct adds "<what>_delay=Nms" between rss= and gfp=, only the
  // non-zero ones (docs/FORMATS.md).
  Report r = fixture("oomlab_watchdog_delayacct.dmesg");
  const auto& t = r.memalloc.tasks;
  ASSERT_EQ(t.size(), 3u);
  EXPECT_EQ(t[0].task.comm, "cache-reader");
  EXPECT_EQ(t[0].delay_ms, 4200u);   // the stall itself, not one of the *_delay fields
  EXPECT_EQ(t[0].delays_ms.reclaim, 3050u);
  EXPECT_EQ(t[0].delays_ms.blkio, 610u);
  EXPECT_FALSE(t[0].delays_ms.thrashing);
  EXPECT_FALSE(t[0].delays_ms.compact);
  EXPECT_FALSE(t[0].delays_ms.swapin);
  EXPECT_EQ(t[1].delays_ms.reclaim, 1200u);
  EXPECT_EQ(t[1].delays_ms.thrashing, 2900u);
  EXPECT_EQ(t[1].delays_ms.compact, 40u);
  EXPECT_EQ(t[1].delays_ms.swapin, 350u);
  EXPECT_EQ(t[1].delays_ms.blkio, 1700u);
  EXPECT_EQ(t[1].gfp_flags, "GFP_HIGHUSER_MOVABLE|__GFP_COMP");   // fields after the delays still parse
  EXPECT_EQ(t[1].order, 0);
  EXPECT_EQ(t[2].kind, "io");   // a line without delay accounting
  EXPECT_EQ(t[2].delay_ms, 3000u);
  EXPECT_FALSE(t[2].delays_ms.reclaim || t[2].delays_ms.thrashing || t[2].delays_ms.compact ||
               t[2].delays_ms.swapin || t[2].delays_ms.blkio);
  EXPECT_EQ(r.memalloc.max_delay_ms, 5100u);

  // The analyzer's own document's shape, on purpose (analyzer/README.md):
  // by keys, as the schema names them.
  const auto j = to_json(r)["memalloc"]["tasks"];
  EXPECT_EQ(j[0]["delays_ms"].dump(), R"({"reclaim":3050,"blkio":610})");
  EXPECT_EQ(j[1]["delays_ms"].dump(), R"({"reclaim":1200,"thrashing":2900,"compact":40,"swapin":350,"blkio":1700})");
  EXPECT_FALSE(j[2].contains("delays_ms"));
  EXPECT_EQ(j[2]["delay_ms"], 3000);
}

TEST(OomlabLines, JournalFormKeepsTheWatchdogTag) {
  Report r = fixture("oomlab_watchdog.journal");
  ASSERT_EQ(r.memalloc.series.size(), 2u);
  EXPECT_EQ(r.memalloc.series[0].source, "oomlab-watchdog");
  ASSERT_EQ(r.memalloc.tasks.size(), 1u);
  EXPECT_EQ(r.memalloc.tasks[0].kind, "io");
  EXPECT_EQ(r.memalloc.tasks[0].cgroup, "/system.slice/postgresql.service");
  EXPECT_EQ(r.verdict, VerdictClass::allocation_stall);
  // delay=3000ms at 10:20:00, stalling=0 at 10:20:05: blocked from 10:19:57 to the last stalled report.
  EXPECT_EQ(r.findings[0].title, "allocation stall: no progress for 3.0 s (up to 1 task(s) blocked on io), then progressed");
  EXPECT_EQ(*detail<std::string>(r.findings[0], "ended_by"), "recovered");
}

TEST(OomlabLines, WatchdogKillThatFreedNothing) {
  Report r = analyze_text(
      "oomlab-watchdog[9]: kill: pid=77 comm=shm filler cgroup=/x rss=10kB oom_score_adj=0 reason=stall_timeout\n"
      "oomlab-watchdog[9]: killed: pid=77 comm=shm filler kill_to_exit=5ms kill_to_freed=-1ms freed=0kB\n");
  ASSERT_EQ(r.watchdog_actions.size(), 2u);
  EXPECT_EQ(r.watchdog_actions[0].fields[1], (std::pair<std::string, std::string>{"comm", "shm filler"}));
  EXPECT_EQ(r.verdict, VerdictClass::oom_reaper_failed);
  EXPECT_EQ(r.title, "oomlab-watchdog kill of shm filler(77) did not free memory");
}

TEST(OomlabLines, TracerLockWaitWithHolderModeAndMore) {
  // The tracer's refined form (docs/FORMATS.md): "held for read|write by", "+N more".
  Report r = analyze_text(
      "oomlab-tracer[812]: lockwait: cmdline-probe(21801) waits mmap_lock read 3999ms; held for read by lock-holder(21798)\n"
      "oomlab-tracer[812]: lockwait: a.out(2452) waits mmap_lock write 88ms; held for write by b(1), c d(2) +3 more\n"
      "oomlab-tracer[812]: lockwait: cc1plus(4237) waits mmap_lock write 339ms ongoing; holder unknown\n");
  ASSERT_EQ(r.lock_waits.size(), 3u);
  ASSERT_EQ(r.lock_waits[0].holders.size(), 1u);
  EXPECT_EQ(r.lock_waits[0].holders[0].comm, "lock-holder");
  EXPECT_EQ(r.lock_waits[0].holders[0].pid, 21798);
  EXPECT_EQ(r.lock_waits[0].mode, "read");
  EXPECT_EQ(r.lock_waits[0].wait_ms, 3999u);
  ASSERT_EQ(r.lock_waits[1].holders.size(), 2u);
  EXPECT_EQ(r.lock_waits[1].holders[1].comm, "c d");
  EXPECT_EQ(r.lock_waits[1].holders[1].pid, 2);
  EXPECT_TRUE(r.lock_waits[2].holders.empty());
  EXPECT_EQ(r.lock_waits[2].waiter.pid, 4237);
}

TEST(OomlabLines, TracerVictimStillPendingIsMeasured) {
  // A victim alive --victim-timeout after mark_victim is reported every
  // interval with " pending=Nms" (docs/FORMATS.md); the last line is kept as
  // the most complete and the wait is a field, not lost in the comm.
  Report r = analyze_text(
      "oomlab-tracer[900]: victim: uffd-victim(5120) marked=+1200ms reaped=+2019ms exited=- pending=2224ms\n"
      "oomlab-tracer[900]: victim: uffd-victim(5120) marked=+1200ms reaped=+2019ms exited=+7410ms\n");
  ASSERT_EQ(r.watchdog_actions.size(), 2u);
  const auto& f = r.watchdog_actions[0].fields;
  EXPECT_EQ(r.watchdog_actions[0].action, "tracer_victim");
  EXPECT_EQ(f[0], (std::pair<std::string, std::string>{"comm", "uffd-victim"}));
  EXPECT_EQ(f[1], (std::pair<std::string, std::string>{"pid", "5120"}));
  EXPECT_EQ(f.back(), (std::pair<std::string, std::string>{"pending", "2224ms"}));
  EXPECT_EQ(r.watchdog_actions[1].fields.back(), (std::pair<std::string, std::string>{"exited", "+7410ms"}));
}

}  // namespace
}  // namespace oomlab::analyzer::test
