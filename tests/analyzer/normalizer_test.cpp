// Input normalisation: every transport prefix in front of a kernel message.
#include <gtest/gtest.h>

#include "helpers.hpp"
#include "oomlab/analyzer/normalizer.hpp"

namespace oomlab::analyzer::test {
namespace {

TEST(Normalize, DmesgTimestamp) {
  Line l = normalize("[  101.438951] MemAlloc-Info: 10 stalling task", 7);
  EXPECT_EQ(l.no, 7u);
  EXPECT_EQ(l.stamp, Stamp::dmesg);
  EXPECT_DOUBLE_EQ(*l.ts, 101.438951);
  EXPECT_EQ(l.msg, "MemAlloc-Info: 10 stalling task");
  EXPECT_FALSE(l.indented);
}

// The dmesg fast path (taken once the journal-tag probe is over) and the
// general path give the same Line, including the 8-byte fraction parser's
// edge cases: fewer or more than six digits, a non-digit among them, a short
// line, caller ids and task table rows after the stamp.
TEST(Normalize, DmesgFastPathMatchesTheGeneralPath) {
  for (const char* s : {"[  101.438951] MemAlloc-Info: 10 stalling task", "[    0.000000] Linux version 6.1.0",
                        "[99999.999999] x", "[  12.34] short fraction", "[  12.123456789] nine digits",
                        "[  12.1234567890] ten digits", "[  12.12345x] non-digit", "[  12.12:456] colon",
                        "[  12.123456]", "[1.0]", "[  12.123456][ T42] caller", "[  12.123456] [  C1] caller",
                        "[  380.042500] [  467]     0   467    14047     1815 systemd-journal",
                        "[  601.139145]  [<ffffffff8112b174>] ? try_to_free_pages+0x94/0xc0", "[  12./123456] x",
                        "[ 1234567890123456.5] too long", "[  12.12345~] tilde"}) {
    Line fast = normalize(s, 1, false), slow = normalize(s, 1, true);
    EXPECT_EQ(fast.stamp, slow.stamp) << s;
    EXPECT_EQ(fast.ts.has_value(), slow.ts.has_value()) << s;
    if (fast.ts && slow.ts) {
      EXPECT_EQ(*fast.ts, *slow.ts) << s;
    }
    EXPECT_EQ(fast.caller, slow.caller) << s;
    EXPECT_EQ(fast.msg, slow.msg) << s;
    EXPECT_EQ(fast.indented, slow.indented) << s;
  }
  EXPECT_DOUBLE_EQ(*normalize("[  12.000009] x", 1, false).ts, 12.000009);
  EXPECT_DOUBLE_EQ(*normalize("[  12.900000] x", 1, false).ts, 12.9);
  EXPECT_DOUBLE_EQ(*normalize("[  12.12345] x", 1, false).ts, 12.12345);
}

TEST(Normalize, FramesKeepTheirIndentFlag) {
  Line l = normalize("[  601.139145]  [<ffffffff8112b174>] ? try_to_free_pages+0x94/0xc0", 1);
  EXPECT_TRUE(l.indented);
  EXPECT_EQ(l.msg, "[<ffffffff8112b174>] ? try_to_free_pages+0x94/0xc0");
}

TEST(Normalize, CallerIds) {
  Line a = normalize("[   46.414063][ T8396] general protection fault", 1);
  EXPECT_EQ(a.caller, "T8396");
  EXPECT_DOUBLE_EQ(*a.ts, 46.414063);
  EXPECT_EQ(a.msg, "general protection fault");
  Line b = normalize("[   46.414063] [  C1] NMI backtrace for cpu 1", 1);
  EXPECT_EQ(b.caller, "C1");
  EXPECT_EQ(b.msg, "NMI backtrace for cpu 1");
  Line c = normalize("[    T123] no timestamp, caller only", 1);
  EXPECT_EQ(c.caller, "T123");
  EXPECT_FALSE(c.ts);
  EXPECT_EQ(c.msg, "no timestamp, caller only");
}

TEST(Normalize, DmesgWallClock) {
  Line l = normalize("[Mon Nov 23 10:00:01 2026] Out of memory: Killed process 1 (x)", 1);
  EXPECT_EQ(l.stamp, Stamp::dmesg_wall);
  EXPECT_DOUBLE_EQ(*l.ts, 1795428001.0);
  EXPECT_EQ(l.msg, "Out of memory: Killed process 1 (x)");
  Line d = normalize("[Tue Nov  3 01:02:03 2026] x", 1);   // single-digit day, padded
  EXPECT_DOUBLE_EQ(*d.ts, 1793667723.0);
}

TEST(Normalize, JournalctlShortAndIso) {
  Line j = normalize("Nov 23 10:00:01 testvm kernel: Mem-Info:", 1);
  EXPECT_EQ(j.stamp, Stamp::journal);
  EXPECT_EQ(j.msg, "Mem-Info:");
  Line j2 = normalize("Nov  3 10:00:02 testvm kernel: Mem-Info:", 1);
  EXPECT_DOUBLE_EQ(*j2.ts - *j.ts, -20 * 86400.0 + 1);
  Line iso = normalize("2026-11-23T10:00:01.250000+0000 testvm kernel: Mem-Info:", 1);
  EXPECT_EQ(iso.stamp, Stamp::journal_iso);
  EXPECT_DOUBLE_EQ(*iso.ts, 1795428001.25);
  EXPECT_EQ(iso.msg, "Mem-Info:");
  // short-monotonic: the kernel's own clock wins
  Line mono = normalize("[  380.128535] testvm kernel: Out of memory: Kill process", 1);
  EXPECT_DOUBLE_EQ(*mono.ts, 380.128535);
  EXPECT_EQ(mono.msg, "Out of memory: Kill process");
  // classic syslog carrying the kernel stamp after the tag
  Line sys = normalize("Nov 23 10:00:01 host kernel: [  380.128535] Out of memory: Kill process", 1);
  EXPECT_DOUBLE_EQ(*sys.ts, 380.128535);
  EXPECT_EQ(sys.msg, "Out of memory: Kill process");
  // other tags are kept: the watchdog's lines look the same everywhere
  Line wd = normalize("Nov 23 10:00:01 host oomlab-watchdog[812]: MemAlloc-Info: stalling=1", 1);
  EXPECT_EQ(wd.msg, "oomlab-watchdog[812]: MemAlloc-Info: stalling=1");
}

TEST(Normalize, KmsgRecords) {
  Line l = normalize("6,1234,5678901,-;Out of memory: Kill process", 1);
  EXPECT_EQ(l.stamp, Stamp::kmsg);
  EXPECT_DOUBLE_EQ(*l.ts, 5.678901);
  EXPECT_EQ(l.msg, "Out of memory: Kill process");
  Line c = normalize("4,99,1000000,c,caller=T27;[ pid ]", 1);
  EXPECT_EQ(c.caller, "T27");
  EXPECT_EQ(c.msg, "[ pid ]");
  Line notk = normalize("1,2,3 is not a record; really", 1);
  EXPECT_EQ(notk.stamp, Stamp::none);
}

TEST(Normalize, MailQuotingPriorityAndGaps) {
  EXPECT_EQ(normalize("> [  1.000000] Mem-Info:", 1).msg, "Mem-Info:");
  EXPECT_EQ(normalize(">> > [  1.000000] Mem-Info:", 1).msg, "Mem-Info:");
  EXPECT_EQ(normalize("<4>[  1.000000] Mem-Info:", 1).msg, "Mem-Info:");
  EXPECT_EQ(normalize("  [    0.000000] WARNING: at x", 1).msg, "WARNING: at x");
  EXPECT_TRUE(normalize("(...snipped...)", 1).gap);
  EXPECT_TRUE(normalize("> (...snipped...)", 1).gap);
  EXPECT_TRUE(normalize("[...]", 1).gap);
  EXPECT_FALSE(normalize("[...] something", 1).gap);
}

TEST(Normalize, MalformedStampsStayText) {
  for (const char* s : {"[", "[ 12.]", "[12.34", "[abc.def] x", "[Mon Nov 99 xx:00:01 2026] x", "Nov 23 1", "6,1,2;x"}) {
    Line l = normalize(s, 1);
    EXPECT_EQ(l.stamp, Stamp::none) << s;
    EXPECT_FALSE(l.ts) << s;
  }
}

TEST(Formats, KmsgFixtureWithContinuationLines) {
  Report r = fixture("kmsg_records.txt");
  EXPECT_EQ(r.input.format, "kmsg");
  ASSERT_EQ(r.oom_events.size(), 1u);
  const OomEvent& e = r.oom_events[0];
  EXPECT_EQ(e.table.size(), 2u);
  EXPECT_EQ(e.victim->pid, 3418);
  EXPECT_DOUBLE_EQ(*e.killed->ts, 380.130392);
  EXPECT_DOUBLE_EQ(*e.reaped->ts, 380.430392);
  EXPECT_NEAR(*e.resolved_ms, 390.495, 1e-3);
}

TEST(Formats, MailQuotedLogStillGivesTheLivelock) {
  Report r = fixture("mail_quoted.txt");
  EXPECT_EQ(r.verdict, VerdictClass::oom_livelock);
  EXPECT_EQ(r.title, "OOM livelock: a.out(3418) waits for mmap_sem write in vm_munmap");
  EXPECT_EQ(r.input.gaps, 2u);
  ASSERT_EQ(findings_of(r, VerdictClass::silent_hang).size(), 1u);
  EXPECT_EQ(r.oom_events.at(0).table.size(), 2u);
}

}  // namespace
}  // namespace oomlab::analyzer::test
