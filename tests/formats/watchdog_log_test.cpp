#include <gtest/gtest.h>

#include "oomlab/formats/watchdog_log.hpp"

using namespace oomlab::formats;

TEST(WatchdogLog, EveryPayloadRoundTrips) {
  WdTask task;
  task.comm = "a b(c)", task.tid = 12, task.tgid = 10, task.state = "D", task.kind = "mmap_lock";
  task.delay_ms = 7750, task.wchan = "__access_remote_vm", task.cgroup = "/oomlab/repro-1", task.rss_kb = 3;
  task.victim = true;
  task.delays_ms = {{"reclaim", 1200}, {"thrashing", 5}};
  task.evidence = "delays";
  WdKilled killed;
  killed.pid = 5, killed.comm = "ballast", killed.kill_to_exit_ms = 40, killed.kill_to_freed_ms = 12;
  killed.freed_kb = 113664, killed.reap_error = 0, killed.closed_after_ms = 41, killed.freed_by = "process_mrelease";
  const WdPayload payloads[] = {std::monostate{},
                                WdInfo{3, 1, 0, 1, 2, true},
                                task,
                                WdWarn{12, "x", 2000, "/g"},
                                WdKill{5, "ballast", "/g", 113664, 0, "stall_timeout", false},
                                killed,
                                WdEscalate{"/g", "cgroup_kill"},
                                WdKmsgSummary{37, 5000},
                                WdHolder{"/g", 60397977, 1, 1, "/memfd:x (deleted)", {12, 13}, 3},
                                WdUnheld{"/g", 4, {{"/dev/shm/big", 209715200}}}};
  for (const WdPayload& p : payloads) {
    WatchdogRecord r;
    r.type = payload_type(p);
    r.time = "2026-12-06T16:00:00.000Z";
    r.mono_ms = 123456;
    r.priority = 4;
    r.line = "oomlab-watchdog[9]: text";
    r.payload = p;
    std::string why;
    auto back = decode_watchdog_record(encode_watchdog_record(r), &why);
    ASSERT_TRUE(back) << why;
    EXPECT_EQ(back->type, r.type);
    EXPECT_EQ(back->mono_ms, 123456);
    EXPECT_EQ(back->priority, 4);
    EXPECT_EQ(back->time, r.time);
    EXPECT_EQ(back->line, r.line);
    EXPECT_EQ(back->payload.index(), p.index()) << r.type;
  }
  WatchdogRecord r{"memalloc", "", 1, 4, "", task};
  auto t = decode_watchdog_record(encode_watchdog_record(r));
  ASSERT_TRUE(t);
  const auto& back = std::get<WdTask>(t->payload);
  EXPECT_EQ(back.comm, "a b(c)");
  EXPECT_EQ(back.delay_ms, 7750);
  EXPECT_TRUE(back.victim);
  ASSERT_EQ(back.delays_ms.size(), 2u);
  EXPECT_EQ(back.evidence, "delays");
  // A line from a watchdog older than the field decodes with no evidence.
  auto old = decode_watchdog_record(R"({"type":"memalloc","mono_ms":5,"comm":"x","state":"D"})");
  ASSERT_TRUE(old);
  EXPECT_EQ(std::get<WdTask>(old->payload).evidence, "");
  WatchdogRecord k{"killed", "", 1, 5, "", killed};
  auto kb = decode_watchdog_record(encode_watchdog_record(k));
  ASSERT_TRUE(kb);
  EXPECT_EQ(std::get<WdKilled>(kb->payload).freed_by, "process_mrelease");
  EXPECT_EQ(std::get<WdKilled>(kb->payload).kill_to_freed_ms, 12);
  WatchdogRecord h{"holder", "", 1, 3, "", WdHolder{"/g", 60397977, 1, 2, "/memfd:x (deleted)", {12, 13}, 3}};
  auto hb = decode_watchdog_record(encode_watchdog_record(h));
  ASSERT_TRUE(hb);
  const auto& holder = std::get<WdHolder>(hb->payload);
  EXPECT_EQ(holder.held_bytes, 60397977u);
  EXPECT_EQ(holder.pipes, 2u);
  EXPECT_EQ(holder.largest, "/memfd:x (deleted)");
  EXPECT_EQ(holder.holders, (std::vector<pid_t>{12, 13}));
  WatchdogRecord u{"unheld", "", 1, 3, "", WdUnheld{"/g", 4, {{"/dev/shm/big", 209715200}}}};
  auto ub = decode_watchdog_record(encode_watchdog_record(u));
  ASSERT_TRUE(ub);
  const auto& unheld = std::get<WdUnheld>(ub->payload);
  ASSERT_EQ(unheld.files.size(), 1u);
  EXPECT_EQ(unheld.files[0].first, "/dev/shm/big");
  EXPECT_EQ(unheld.files[0].second, 209715200u);
}

TEST(WatchdogLog, BadLinesAreRefusedWithAReason) {
  std::string why;
  EXPECT_FALSE(decode_watchdog_record("not json", &why));
  EXPECT_EQ(why, "not a JSON object");
  EXPECT_FALSE(decode_watchdog_record("[1,2]", &why));
  EXPECT_FALSE(decode_watchdog_record(R"({"mono_ms":1})", &why));
  EXPECT_EQ(why, "no string \"type\"");
  EXPECT_FALSE(decode_watchdog_record(R"({"type":"kill","mono_ms":"x"})", &why));
  EXPECT_EQ(why, "no integer \"mono_ms\"");
}

TEST(WatchdogLog, OlderAndNewerRecordsStayReadable) {
  // A killed line from before freed_by existed, a type this reader does not know.
  auto old = decode_watchdog_record(
      R"({"type":"killed","mono_ms":5,"pid":3,"comm":"x","kill_to_exit_ms":9,"kill_to_freed_ms":-1,"freed_kb":0})");
  ASSERT_TRUE(old);
  const auto& k = std::get<WdKilled>(old->payload);
  EXPECT_EQ(k.kill_to_exit_ms, 9);
  EXPECT_EQ(k.kill_to_freed_ms, -1);
  EXPECT_EQ(k.freed_by, "");
  auto future = decode_watchdog_record(R"({"type":"something_new","mono_ms":5,"x":1})");
  ASSERT_TRUE(future);
  EXPECT_TRUE(std::holds_alternative<std::monostate>(future->payload));
  EXPECT_EQ(future->type, "something_new");
}

TEST(WatchdogLog, LineBody) {
  WatchdogRecord r;
  r.line = "oomlab-watchdog[77]: kill: pid=1";
  EXPECT_EQ(watchdog_line_body(r), "kill: pid=1");
  r.line = "something else";
  EXPECT_EQ(watchdog_line_body(r), "");
}

// fuzz_watchdog_log: a number no field's type holds decodes as the field's
// default, never as a float cast to int (undefined behaviour under UBSan).
TEST(WatchdogLog, NumbersOutOfRangeOrFractionalGiveTheDefault) {
  auto r = decode_watchdog_record(R"({"type":"memalloc_info","mono_ms":5,"stalling":4.88889e+65,"dying":1.5,"victim":-3,"oom_count":-1})");
  ASSERT_TRUE(r);
  const auto& info = std::get<WdInfo>(r->payload);
  EXPECT_EQ(info.stalling, 0);
  EXPECT_EQ(info.dying, 0);
  EXPECT_EQ(info.victim, -3);
  EXPECT_EQ(info.oom_count, 0u);
}
