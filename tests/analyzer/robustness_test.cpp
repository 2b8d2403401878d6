// Bad input: binary garbage, NUL bytes, a 100 MB line, truncated traces,
// CRLF, empty input. A sane verdict or a clear error, never a crash or hang.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <random>
#include <thread>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "helpers.hpp"
#include "oomlab/analyzer/line_reader.hpp"
#include "oomlab/analyzer/output.hpp"

namespace oomlab::analyzer::test {
namespace {

// Feeds `chunks` (repeated `times`) into a pipe from a thread; returns the read end.
struct PipeFeeder {
  int fds[2] = {-1, -1};
  std::thread writer;
  PipeFeeder(std::string chunk, std::size_t times, std::string tail = "") {
    EXPECT_EQ(::pipe(fds), 0);
    writer = std::thread([this, chunk = std::move(chunk), times, tail = std::move(tail)] {
      for (std::size_t i = 0; i < times; ++i)
        for (std::size_t off = 0; off < chunk.size();) {
          ssize_t n = ::write(fds[1], chunk.data() + off, chunk.size() - off);
          if (n <= 0) break;
          off += static_cast<std::size_t>(n);
        }
      if (!tail.empty() && ::write(fds[1], tail.data(), tail.size()) < 0) {}
      ::close(fds[1]);
    });
  }
  ~PipeFeeder() {
    writer.join();
    ::close(fds[0]);
  }
};

TEST(LineReader, SplitsCrLfAndLastLineWithoutNewline) {
  PipeFeeder p("a\r\nbb\n\nccc", 1);
  LineReader r(p.fds[0], 64);
  std::vector<std::string> lines;
  while (auto l = r.next()) lines.emplace_back(*l);
  EXPECT_EQ(lines, (std::vector<std::string>{"a", "bb", "", "ccc"}));
  EXPECT_EQ(r.bytes(), 10u);
  EXPECT_EQ(r.truncated_lines(), 0u);
}

TEST(LineReader, HundredMegabyteLineIsCutNotBuffered) {
  // 100 MiB without a newline, then a real OOM line: the head is kept, the
  // rest skipped in place, and the next line still parses.
  const std::string chunk(1 << 20, 'x');
  const std::string tail = "\n[ 5.000000] Killed process 42 (x) total-vm:1kB, anon-rss:1kB, file-rss:0kB\n";
  PipeFeeder p(chunk, 100, tail);
  LineReader r(p.fds[0], 4096);
  auto first = r.next();
  ASSERT_TRUE(first);
  EXPECT_EQ(first->size(), 4096u);
  auto second = r.next();
  ASSERT_TRUE(second);
  EXPECT_EQ(second->substr(0, 12), "[ 5.000000] ");
  EXPECT_FALSE(r.next());
  EXPECT_EQ(r.truncated_lines(), 1u);
  EXPECT_EQ(r.bytes(), 100u * (1 << 20) + tail.size());
}

TEST(LineReader, NulBytesBecomeSpaces) {
  PipeFeeder p(std::string("Out of\0memory\n", 14), 1);
  LineReader r(p.fds[0], 64);
  auto l = r.next();
  ASSERT_TRUE(l);
  EXPECT_EQ(*l, "Out of memory");
  EXPECT_EQ(r.nul_bytes(), 1u);
}

TEST(Robustness, HundredMegabyteLineThroughTheAnalyzer) {
  PipeFeeder p(std::string(1 << 20, 'B'), 100,
               "\n[ 5.000000] Killed process 42 (x) total-vm:1kB, anon-rss:1kB, file-rss:0kB\n");
  Report r = analyze_fd(p.fds[0], "pipe");
  EXPECT_EQ(r.input.truncated_lines, 1u);
  EXPECT_EQ(r.input.lines, 2u);
  ASSERT_EQ(r.oom_events.size(), 1u);
  EXPECT_EQ(r.oom_events[0].victim->pid, 42);
}

TEST(Robustness, EmptyInputIsClean) {
  Report r = analyze_text("");
  EXPECT_EQ(r.verdict, VerdictClass::clean);
  EXPECT_EQ(r.input.lines, 0u);
  EXPECT_EQ(r.title, "clean");
}

TEST(Robustness, BinaryGarbageIsCleanAndSerialisable) {
  std::mt19937 rng(12345);
  std::string junk(256 * 1024, '\0');
  for (char& c : junk) c = static_cast<char>(rng());
  Report r = analyze_text(junk);
  EXPECT_GT(r.input.nul_bytes, 0u);
  std::string out = dump_json(to_json(r), false);   // invalid UTF-8 is replaced, not thrown
  EXPECT_TRUE(nlohmann::json::accept(out));
}

TEST(Robustness, NulBytesInsideRecognisedLines) {
  const char raw[] = "[  1.000000] Killed process 7 (a\0b) total-vm:1kB, anon-rss:1kB, file-rss:0kB\n";
  Report r = analyze_text(std::string_view(raw, sizeof raw - 1));
  EXPECT_EQ(r.input.nul_bytes, 1u);
  ASSERT_EQ(r.oom_events.size(), 1u);
  EXPECT_EQ(r.oom_events[0].victim->pid, 7);
  EXPECT_EQ(r.oom_events[0].victim->comm, "a b");
}

TEST(Robustness, TruncatedTracesAndReports) {
  Report r = analyze_text(
      "[ 1.0] INFO: task a:1 blocked for more than 120 seconds.\n"
      "[ 1.1] a               D ffff88007fc55a00     0     1      0 0x00000000\n"
      "[ 1.2] Call Trace:\n"
      "[ 1.3]  [<ffffffff8162a570>] sche\n"
      "[ 2.0] invoked oom-killer: gfp_mask=\n"
      "[ 2.1] Out of memory: Kill process\n"
      "[ 2.2] Killed process 99 (\n"
      "[ 2.3] oom_reaper: reaped process\n"
      "[ 2.4] MemAlloc-Info: 3 stalling task\n"
      "[ 2.5] MemAlloc: (\n"
      "[ 2.6] [ pid ]\n"
      "[ 2.7] [  1] 0\n"
      "[ 2.8] BUG: KASAN: \n"
      "[ 2.9] WARNING: \n"
      "[ 3.0] task:\n"
      "[ 3.1] Kernel panic - not syncing: \n");
  EXPECT_EQ(r.verdict, VerdictClass::hung_task);
  EXPECT_EQ(r.title, "INFO: task hung");   // no complete frame: no function
  EXPECT_TRUE(r.memalloc.series.empty());
}

TEST(Robustness, MissingTimestampsStillOrderByLine) {
  Report r = analyze_text(
      "MemAlloc-Info: 5 stalling task, 0 dying task, 0 victim task.\n"
      "MemAlloc-Info: 6 stalling task, 0 dying task, 0 victim task.\n"
      "Out of memory: Kill process 3 (a) score 1 or sacrifice child\n"
      "Killed process 3 (a) total-vm:1kB, anon-rss:1kB, file-rss:0kB\n"
      "a               D ffff88007fc55a00     0     3      1 0x00000000\n"
      "Call Trace:\n"
      " [<ffffffff8162d8eb>] rwsem_down_write_failed+0x1fb/0x350\n"
      " [<ffffffff81147abe>] vm_munmap+0x2e/0x60\n");
  // Without clocks the thresholds cannot be measured: the stall stays a
  // stall, but the victim seen after its kill is still a livelock.
  EXPECT_EQ(r.verdict, VerdictClass::oom_livelock);
  EXPECT_EQ(findings_of(r, VerdictClass::allocation_stall).size(), 1u);
  EXPECT_EQ(r.title, "OOM livelock: a(3) waits for mmap_sem write in vm_munmap");
}

TEST(Robustness, CapsKeepMemoryFlat) {
  Options opt;
  opt.limits.tasks = 8;
  opt.limits.oom_events = 4;
  opt.limits.series = 16;
  std::string text;
  for (int i = 0; i < 200; ++i) {
    text += "[ " + std::to_string(i * 100) + ".000000] MemAlloc-Info: 1 stalling task, 0 dying task, 0 victim task.\n";
    text += "[ " + std::to_string(i * 100 + 50) + ".000000] Killed process " + std::to_string(i + 10) +
            " (a) total-vm:1kB, anon-rss:1kB, file-rss:0kB\n";
    text += "a               D ffff88007fc55a00     0  " + std::to_string(i + 1000) + "      1 0x00000000\n";
  }
  Report r = analyze_text(text, "caps", opt);
  EXPECT_EQ(r.tasks.size(), 8u);
  EXPECT_EQ(r.tasks_dropped, 192u);
  EXPECT_EQ(r.oom_events.size(), 4u);
  EXPECT_EQ(r.oom_events_dropped, 196u);
  EXPECT_EQ(r.memalloc.series.size(), 16u);
  EXPECT_EQ(r.memalloc.series_dropped, 184u);
}

TEST(Robustness, TaskTableRowsAreCappedAcrossEvents) {
  Options opt;
  opt.limits.table_rows = 5;
  opt.limits.table_rows_total = 12;
  std::string text;
  for (int e = 0; e < 4; ++e) {
    text += "[ " + std::to_string(100 * e) + ".0] [ pid ]   uid  tgid total_vm      rss nr_ptes swapents oom_score_adj name\n";
    for (int i = 0; i < 8; ++i)
      text += "[ " + std::to_string(100 * e) + ".1] [ " + std::to_string(100 + i) + "]     0   1  1  1  1  0  0 p\n";
  }
  Report r = analyze_text(text, "tables", opt);
  ASSERT_EQ(r.oom_events.size(), 4u);
  EXPECT_EQ(r.oom_events[0].table.size(), 5u);
  EXPECT_EQ(r.oom_events[0].table_rows_dropped, 3u);
  EXPECT_EQ(r.oom_events[1].table.size(), 5u);
  EXPECT_EQ(r.oom_events[2].table.size(), 2u);   // 12 rows in total
  EXPECT_EQ(r.oom_events[3].table.size(), 0u);
  EXPECT_EQ(r.oom_events[3].table_rows_dropped, 8u);
}

}  // namespace
}  // namespace oomlab::analyzer::test
