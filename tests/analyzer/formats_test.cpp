// How people paste kernel logs: every wrapper and timestamp form in front of
// the kernel's message, and lines that mail clients and editors wrapped.
// The message lines are real ones (seeds, linux-mm mail, bug trackers).
#include <gtest/gtest.h>

#include "helpers.hpp"
#include "oomlab/analyzer/normalizer.hpp"

namespace oomlab::analyzer::test {
namespace {

constexpr const char* kKilled =
    "Out of memory: Killed process 50111 (main) total-vm:896552kB, anon-rss:197036kB, file-rss:0kB, shmem-rss:0kB, "
    "UID:0 pgtables:508kB oom_score_adj:0";

TEST(Formats, DmesgTInAnyLocale) {
  const double en = *normalize("[Mon Jan 12 10:11:12 2026] Mem-Info:", 1).ts;
  // glibc's %a %b in de_DE, fr_FR, es_ES, pl_PL, pt_BR: same instant.
  for (const char* s : {"[Mo Jan 12 10:11:12 2026] Mem-Info:", "[lun. janv. 12 10:11:12 2026] Mem-Info:",
                        "[lun ene 12 10:11:12 2026] Mem-Info:", "[pon sty 12 10:11:12 2026] Mem-Info:",
                        "[seg jan 12 10:11:12 2026] Mem-Info:"}) {
    Line l = normalize(s, 1);
    EXPECT_EQ(l.stamp, Stamp::dmesg_wall) << s;
    ASSERT_TRUE(l.ts) << s;
    EXPECT_DOUBLE_EQ(*l.ts, en) << s;
    EXPECT_EQ(l.msg, "Mem-Info:") << s;
  }
  // Months whose names differ from English, and day padding (%e).
  EXPECT_DOUBLE_EQ(*normalize("[Di M\xc3\xa4r  3 01:02:03 2026] x", 1).ts - *normalize("[Tue Mar  3 01:02:03 2026] x", 1).ts, 0);
  EXPECT_DOUBLE_EQ(*normalize("[mer. d\xc3\xa9" "c. 16 08:00:00 2026] x", 1).ts,
                   *normalize("[Wed Dec 16 08:00:00 2026] x", 1).ts);
  EXPECT_DOUBLE_EQ(*normalize("[Do Okt 15 08:00:00 2026] x", 1).ts, *normalize("[Thu Oct 15 08:00:00 2026] x", 1).ts);
  // A month name no table knows: the stamp still comes off, without a clock.
  Line u = normalize("[\xd0\xbf\xd0\xbd \xd1\x8f\xd0\xbd\xd0\xb2 12 10:11:12 2026] Mem-Info:", 1);
  EXPECT_EQ(u.stamp, Stamp::dmesg_wall);
  EXPECT_FALSE(u.ts);
  EXPECT_EQ(u.msg, "Mem-Info:");
}

TEST(Formats, DmesgHumanAndIsoTimeFormats) {
  Line h = normalize("[Jan12 10:11] Out of memory: Kill process 3417 (a.out) score 890 or sacrifice child", 1);
  EXPECT_EQ(h.stamp, Stamp::dmesg_wall);
  EXPECT_EQ(h.msg, "Out of memory: Kill process 3417 (a.out) score 890 or sacrifice child");
  Line d = normalize("[  +0.000052]  [<ffffffff8162d8eb>] rwsem_down_write_failed+0x1fb/0x350", 1);
  EXPECT_EQ(d.stamp, Stamp::dmesg_wall);
  EXPECT_TRUE(d.indented);
  EXPECT_EQ(d.msg, "[<ffffffff8162d8eb>] rwsem_down_write_failed+0x1fb/0x350");
  // dmesg --time-format iso: a comma before the fraction and no host after it.
  // A Line views its input: the text must outlive it.
  const std::string iso_text = std::string("2026-01-12T10:11:12,123456+01:00 ") + kKilled;
  Line iso = normalize(iso_text, 1);
  EXPECT_EQ(iso.stamp, Stamp::journal_iso);
  EXPECT_NEAR(*iso.ts - *normalize("2026-01-12T10:11:12.000000+01:00 h kernel: x", 1).ts, 0.123456, 1e-6);
  EXPECT_EQ(iso.msg, kKilled);
}

TEST(Formats, SyslogJournalAndRsyslog) {
  // rsyslog RFC 3339 stamps (the kcompactd report, linux-nfs 2026).
  Line r = normalize("2025-12-03T15:57:25.438905+00:00 ip-172-23-113-43 kernel: INFO: task kcompactd0:171 blocked for more than 122 seconds.", 1);
  EXPECT_EQ(r.stamp, Stamp::journal_iso);
  EXPECT_EQ(r.msg, "INFO: task kcompactd0:171 blocked for more than 122 seconds.");
  Line z = normalize("2026-01-12T10:11:12.5Z host kernel: Mem-Info:", 1);
  EXPECT_EQ(z.msg, "Mem-Info:");
  // journalctl -o short-precise
  Line p = normalize("Jan 12 10:11:12.250000 host kernel: Mem-Info:", 1);
  EXPECT_EQ(p.stamp, Stamp::journal);
  EXPECT_DOUBLE_EQ(*p.ts - *normalize("Jan 12 10:11:12 host kernel: Mem-Info:", 1).ts, 0.25);
  EXPECT_EQ(p.msg, "Mem-Info:");
  // RFC 5424 with priority and version
  EXPECT_EQ(normalize("<6>1 2026-01-12T10:11:12.123Z host kernel - - - Mem-Info:", 1).msg, "Mem-Info:");
  // A host field mangled by hand: the " kernel:" near the start still ends the prefix.
  Line g = normalize("2025-12-03T15:57:25.439 is bellow995+00:00 ip-172-23-113-43 kernel: Mem-Info:", 1);
  EXPECT_EQ(g.msg, "Mem-Info:");
}

TEST(Formats, NetconsoleRelayedBySyslog) {
  // netconsole packets logged by a remote syslogd: host, then the kernel's own stamp.
  const std::string relayed = std::string("Jan 12 10:11:12 192.168.1.5 [ 2283.487696] ") + kKilled;
  Line l = normalize(relayed, 1);
  EXPECT_DOUBLE_EQ(*l.ts, 2283.487696);
  EXPECT_EQ(l.msg, kKilled);
  // Extended netconsole format (the /dev/kmsg record header).
  const std::string record = std::string("6,1234,2283487696,-;") + kKilled;
  Line x = normalize(record, 1);
  EXPECT_EQ(x.stamp, Stamp::kmsg);
  EXPECT_EQ(x.msg, kKilled);
}

TEST(Formats, VmwareLogGuestLines) {
  // vmware.log of a Photon guest (github.com/vmware/photon/issues/1535) and the older "| vcpu-0|" form.
  Line a = normalize("2023-12-04T10:49:30.125Z In(05) vcpu-5 - Guest: <3>[39290745.072599] Killed process 2625 (node) "
                     "total-vm:22355612kB, anon-rss:517580kB, file-rss:34160kB, shmem-rss:0kB", 1);
  EXPECT_DOUBLE_EQ(*a.ts, 39290745.072599);
  EXPECT_EQ(a.msg, "Killed process 2625 (node) total-vm:22355612kB, anon-rss:517580kB, file-rss:34160kB, shmem-rss:0kB");
  Line b = normalize("2017-03-05T10:11:12.123+01:00| vcpu-0| I125: Guest: <4>[   12.345678] Mem-Info:", 1);
  EXPECT_DOUBLE_EQ(*b.ts, 12.345678);
  EXPECT_EQ(b.msg, "Mem-Info:");
  Report r = analyze_text(
      "2023-12-04T10:49:30.125Z In(05) vcpu-5 - Guest: <3>[39290745.072552] Memory cgroup out of memory: Kill process 2625 (node) score 1905 or sacrifice child\n"
      "2023-12-04T10:49:30.125Z In(05) vcpu-5 - Guest: <3>[39290745.072599] Killed process 2625 (node) total-vm:22355612kB, anon-rss:517580kB, file-rss:34160kB, shmem-rss:0kB\n"
      "2023-12-04T10:49:30.125Z In(05) vcpu-5 - Guest: <6>[39290745.088498] oom_reaper: reaped process 2625 (node), now anon-rss:0kB, file-rss:0kB, shmem-rss:0kB\n");
  EXPECT_EQ(r.verdict, VerdictClass::oom_resolved);
  ASSERT_EQ(r.oom_events.size(), 1u);
  EXPECT_TRUE(r.oom_events[0].memcg_oom);
  EXPECT_NEAR(*r.oom_events[0].resolved_ms, 15.946, 1e-3);
}

TEST(Formats, SerialConsoleNoise) {
  // Colour codes, a capture tool's own clock, a login prompt run into the line.
  EXPECT_EQ(normalize("\x1b[0m\x1b[1;31m[   12.345678] Mem-Info:", 1).msg, "Mem-Info:");
  Line c = normalize("[2026-01-12 10:11:12.123] [   12.345678] Mem-Info:", 1);
  EXPECT_DOUBLE_EQ(*c.ts, 12.345678);
  EXPECT_EQ(c.msg, "Mem-Info:");
  Line p = normalize("debian login: [   12.345678] Mem-Info:", 1);
  EXPECT_DOUBLE_EQ(*p.ts, 12.345678);
  EXPECT_EQ(p.msg, "Mem-Info:");
  // Text that merely contains brackets stays text.
  EXPECT_EQ(normalize("see [1] and [2.5x] here", 1).stamp, Stamp::none);
}

TEST(Formats, GrepPrefixes) {
  // grep -r / -H, -A/-B context lines ("FILE-"), -n ("FILE:N:")
  const std::string tail = " vicky kernel: [ 2283.487696] Mem-Info:";
  for (std::string pre : {"./log/syslog:May 30 07:44:38", "./log/syslog-May 30 07:44:38", "kern.log:1234:May 30 07:44:38",
                          "var/log/kern.log.1-17-May 30 07:44:38"}) {
    const std::string text = pre + tail;  // a Line views its input
    Line l = normalize(text, 1);
    EXPECT_DOUBLE_EQ(*l.ts, 2283.487696) << pre;
    EXPECT_EQ(l.msg, "Mem-Info:") << pre;
  }
  Line d = normalize("dmesg.txt:[  380.128535] Out of memory: Kill process 3417 (a.out) score 890 or sacrifice child", 1);
  EXPECT_EQ(d.msg, "Out of memory: Kill process 3417 (a.out) score 890 or sacrifice child");
  // Messages with colons stay whole.
  EXPECT_EQ(normalize("oom-kill:constraint=CONSTRAINT_NONE,nodemask=(null)", 1).msg, "oom-kill:constraint=CONSTRAINT_NONE,nodemask=(null)");
  EXPECT_EQ(normalize("task:kcompactd0      state:D stack:0     pid:171", 1).msg, "task:kcompactd0      state:D stack:0     pid:171");
}

TEST(Formats, QuotingCallerIdsAndNoStamps) {
  EXPECT_EQ(normalize("> > 2025-12-03T15:57:25.440000+00:00 ip-172-23-113-43 kernel: Call Trace:", 1).msg, "Call Trace:");
  EXPECT_EQ(normalize(">> [  380.128535] Mem-Info:", 1).msg, "Mem-Info:");
  Line c = normalize("[  380.128535][ T3417] Mem-Info:", 1);
  EXPECT_EQ(c.caller, "T3417");
  EXPECT_EQ(c.msg, "Mem-Info:");
  Line n = normalize("in:imklog: page allocation failure: order:0, mode:0x2280020(GFP_ATOMIC|__GFP_NOTRACK)", 1);
  EXPECT_EQ(n.stamp, Stamp::none);
  EXPECT_EQ(n.msg, "in:imklog: page allocation failure: order:0, mode:0x2280020(GFP_ATOMIC|__GFP_NOTRACK)");
}

// Wrapped lines ---------------------------------------------------------------

TEST(Rejoin, MailWrappedGrepOutput) {
  // linux-mm 2011-05-30: syslog lines from grep, wrapped by the mail client
  // after the comm (format=flowed keeps the blank), and a frame cut off its stamp.
  Report r = analyze_text(
      "> ./log/syslog:May 30 07:44:38 vicky kernel: [ 2283.487696] redis-server \n"
      "> invoked oom-killer: gfp_mask=0xd0, order=0, oom_adj=-17\n"
      "> ./log/syslog:May 30 07:44:38 vicky kernel: [ 2283.487708]  \n"
      "> [<ffffffff810b12b7>] ? oom_kill_process+0x82/0x283\n");
  ASSERT_EQ(r.oom_events.size(), 1u);
  EXPECT_EQ(r.oom_events[0].invoker->comm, "redis-server");
  EXPECT_EQ(r.oom_events[0].gfp, "0xd0");
  EXPECT_EQ(r.input.joined_lines, 2u);
  EXPECT_EQ(r.input.format, "dmesg");
}

TEST(Rejoin, WrappedHungTaskInRsyslog) {
  // linux-nfs 2026-01-12, double-quoted and wrapped where the next word did not fit.
  Report r = analyze_text(
      "> > 2025-12-03T15:57:25.438905+00:00 ip-172-23-113-43 kernel: INFO: task\n"
      "> > kcompactd0:171 blocked for more than 122 seconds.\n"
      "> > 2025-12-03T15:57:25.440000+00:00 ip-172-23-113-43 kernel: Call Trace:\n"
      "> > 2025-12-03T15:57:25.441023+00:00 ip-172-23-113-43 kernel:\n"
      "> > folio_wait_bit_common+0x138/0x310\n"
      "> > 2025-12-03T15:57:25.441024+00:00 ip-172-23-113-43 kernel:\n"
      "> > folio_wait_private_2+0x2c/0x60\n"
      "> > 2025-12-03T15:57:25.441025+00:00 ip-172-23-113-43 kernel:\n"
      "> > nfs_release_folio+0xa0/0x120 [nfs]\n");
  EXPECT_EQ(r.verdict, VerdictClass::hung_task);
  ASSERT_FALSE(r.findings.empty());
  ASSERT_FALSE(r.findings[0].tasks.empty());
  EXPECT_EQ(r.findings[0].tasks[0].pid, 171);
  EXPECT_EQ(r.input.joined_lines, 4u);
}

TEST(Rejoin, HardCutMidToken) {
  // A MemAlloc line cut at exactly 80 columns by a terminal: no blank goes in.
  const std::string line =
      "[  247.278695] MemAlloc: a.out(2269) flags=0x400040 switches=2115 seq=2 gfp=0x26084c0(GFP_KERNEL|__GFP_REPEAT|"
      "__GFP_ZERO|__GFP_NOTRACK) order=0 delay=181584 uninterruptible";
  Report r = analyze_text(line.substr(0, 80) + "\n" + line.substr(80) + "\n");
  ASSERT_EQ(r.memalloc.tasks.size(), 1u);
  EXPECT_EQ(r.memalloc.tasks[0].gfp_flags, "GFP_KERNEL|__GFP_REPEAT|__GFP_ZERO|__GFP_NOTRACK");
  EXPECT_EQ(*r.memalloc.tasks[0].delay_ms, 181584u);
  EXPECT_EQ(r.memalloc.tasks[0].state, "D");
}

TEST(Rejoin, OwnLinesStayApart) {
  // Unstamped lines that are messages of their own, or follow a line that
  // was not cut, are not glued on.
  Report r = analyze_text(
      "[  120.280227] Out of memory: Kill process 9546 (oom-write) score 892 or sacrifice child\n"
      "Killed process 9549 (write) total-vm:160kB, anon-rss:4kB, file-rss:0kB, shmem-rss:0kB\n"
      "[  121.000000] systemd[1]: Started systemd-journald.service - Journal Service for the whole system.\n"
      "[  OK  ] Started Journal Service.\n"
      "[  122.000000] short line\n"
      "plain text\n");
  EXPECT_EQ(r.input.joined_lines, 0u);
  ASSERT_EQ(r.oom_events.size(), 1u);
  EXPECT_EQ(r.oom_events[0].victim->pid, 9549);
  // No stamps at all: nothing can tell a wrap from a line.
  Report plain = analyze_text("a: page allocation stalls for 10048ms, \norder:0, mode:0x14200ca(GFP_HIGHUSER_MOVABLE)\n");
  EXPECT_EQ(plain.input.joined_lines, 0u);
}

}  // namespace
}  // namespace oomlab::analyzer::test
