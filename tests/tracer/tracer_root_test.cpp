// The BPF tracer on the running kernel (label root): memcg reclaim episodes,
// mmap_lock contention attributed to the right threads, and an OOM victim's
// timeline. Skips only when the machine cannot run BPF at all (not root, no
// BTF); a load failure on a capable machine is a failure.
#include <atomic>
#include <csignal>
#include <cstdlib>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <stdexcept>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <vector>

#include "bpf_capable.hpp"
#include "oomlab/common/subprocess.hpp"
#include "oomlab/tracer/format.hpp"
#include "oomlab/tracer/tracer.hpp"
#include "test_memcg.hpp"

using namespace oomlab::tracer;
using oomlab::test::Child;
using oomlab::test::TestMemcg;
using namespace std::chrono_literals;

namespace {

constexpr std::uint64_t MiB = 1024 * 1024;

#define OPEN_TRACER_OR_SKIP(tracer, options)                  \
  do {                                                        \
    SKIP_UNLESS_BPF_CAPABLE();                                \
    ASSERT_TRUE((tracer).open(options)) << (tracer).error();  \
  } while (0)

std::vector<Event> drain(Tracer& t) {
  std::vector<Event> events;
  t.consume([&](const Event& e) { events.push_back(e); });
  return events;
}

// Fills a small memcg with page cache: write a file 3x the limit, read it back.
void page_cache_fill(std::uint64_t bytes) {
  std::string tmpl = std::string(OOMLAB_BIN_DIR) + "/tracer-fill-XXXXXX";
  int fd = mkstemp(tmpl.data());
  if (fd < 0) _exit(3);
  unlink(tmpl.c_str());  // nothing left behind, whatever happens
  std::vector<char> block(MiB, 'x');
  for (std::uint64_t done = 0; done < bytes; done += block.size())
    if (write(fd, block.data(), block.size()) < 0) _exit(4);
  lseek(fd, 0, SEEK_SET);
  while (read(fd, block.data(), block.size()) > 0) {
  }
  close(fd);
}

TEST(TracerRoot, MemcgReclaimEpisodesHavePlausibleGfpAndOrder) {
  Tracer tracer;
  OPEN_TRACER_OR_SKIP(tracer, (TracerOptions{0ns, 1ms, false, ""}));
  TestMemcg memcg("oomlab-tracer-reclaim", 32 * MiB);
  if (!memcg.ok()) GTEST_SKIP() << memcg.error();
  Child child([] { page_cache_fill(96 * MiB); });
  ASSERT_TRUE(memcg.add(child.pid()));
  child.release();
  int status = child.wait_exit(60'000);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "status " << status;

  std::vector<ReclaimEpisode> mine;
  for (const auto& e : drain(tracer))
    if (auto* r = std::get_if<ReclaimEpisode>(&e); r && r->task.tgid == child.pid()) mine.push_back(*r);
  ASSERT_FALSE(mine.empty()) << "no reclaim episode of the child in a 32 MiB memcg after 96 MiB of page cache";
  const std::uint32_t direct_reclaim = tracer.gfp().mask("__GFP_DIRECT_RECLAIM");
  ASSERT_NE(direct_reclaim, 0u);
  nanoseconds longest{0};
  bool memcg_seen = false;
  for (const auto& r : mine) {
    memcg_seen |= r.kind == ReclaimKind::Memcg;
    // memcg reclaim only runs for allocations that may block
    EXPECT_NE(r.gfp & direct_reclaim, 0u) << format_reclaim(r, tracer.gfp());
    EXPECT_GE(r.order, 0);
    EXPECT_LE(r.order, 10);  // MAX_ORDER
    EXPECT_GT(r.delay, 0ns);
    EXPECT_LT(r.delay, 60s);
    longest = std::max(longest, r.delay);
  }
  EXPECT_TRUE(memcg_seen);

  Snapshot snap = tracer.snapshot();
  auto it = std::find_if(snap.reclaim.begin(), snap.reclaim.end(),
                         [&](const TaskReclaim& t) { return t.task.tid == child.pid(); });
  ASSERT_NE(it, snap.reclaim.end());
  EXPECT_GE(it->count, mine.size());
  EXPECT_EQ(it->longest, longest);
  EXPECT_FALSE(it->current) << "the child exited: it cannot be in reclaim";
  auto one = tracer.reclaim_of(child.pid());
  ASSERT_TRUE(one);
  EXPECT_EQ(one->count, it->count);
  EXPECT_EQ(one->longest_gfp, it->longest_gfp);
  EXPECT_GE(snap.totals.reclaim_count[1], 1u);
}

pid_t gettid_() { return static_cast<pid_t>(syscall(SYS_gettid)); }

TEST(TracerRoot, MmapLockContentionAttributedToTheRightThreads) {
  Tracer tracer;
  OPEN_TRACER_OR_SKIP(tracer, (TracerOptions{1s, 10us, false, ""}));
  ASSERT_TRUE(tracer.attach_lock_tracing()) << tracer.error();
  ASSERT_TRUE(tracer.lock_tracing());

  const std::size_t region = 4 * MiB;
  void* probe = mmap(nullptr, region, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  ASSERT_NE(probe, MAP_FAILED);
  std::atomic<bool> stop{false};
  std::atomic<pid_t> writer_tid{0};
  std::vector<std::atomic<pid_t>> reader_tids(3);
  std::thread writer([&] {
    writer_tid = gettid_();
    while (!stop) {  // mmap/munmap: mmap_write_lock each time
      void* p = mmap(nullptr, 64 * 1024, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
      if (p != MAP_FAILED) munmap(p, 64 * 1024);
    }
  });
  std::vector<std::thread> readers;
  for (auto& tid : reader_tids)
    readers.emplace_back([&] {
      tid = gettid_();
      std::vector<unsigned char> vec(region / 4096);
      while (!stop) mincore(probe, region, vec.data());  // mmap_read_lock over the walk
    });

  // A throwing sink stops the delivery and the exception reaches the caller
  // (through libbpf's C callback, which must not be unwound).
  // (Only waits that slept are traced: poll until the first one arrives.)
  bool thrown = false;
  for (auto until = std::chrono::steady_clock::now() + 5s; !thrown && std::chrono::steady_clock::now() < until;) {
    try {
      tracer.poll(100ms, [](const Event&) { throw std::runtime_error("sink"); });
    } catch (const std::runtime_error&) {
      thrown = true;
    }
  }
  EXPECT_TRUE(thrown) << "no event reached the sink, or its exception was lost";
  std::vector<LockWait> waits;
  const pid_t self = getpid();
  for (auto deadline = std::chrono::steady_clock::now() + 2500ms; std::chrono::steady_clock::now() < deadline;) {
    tracer.poll(100ms, [&](const Event& e) {
      if (auto* w = std::get_if<LockWait>(&e); w && w->task.tgid == self) waits.push_back(*w);
    });
  }
  stop = true;
  writer.join();
  for (auto& r : readers) r.join();
  tracer.detach_lock_tracing();
  EXPECT_FALSE(tracer.lock_tracing());
  munmap(probe, region);

  // Every waiter and every named holder must be one of our threads; the
  // writer must be seen waiting for write and the readers for read (they also
  // take it for write: a new thread's first malloc maps an arena); and holders
  // must name the other threads (munmap downgrades to read, so the writer
  // also appears "held for read").
  std::set<pid_t> ours = {self, writer_tid.load()};
  for (auto& t : reader_tids) ours.insert(t.load());
  int writer_write_waits = 0, reader_read_waits = 0, held_by_other_thread = 0;
  for (const auto& w : waits) {
    SCOPED_TRACE(format_lockwait(w));
    EXPECT_EQ(ours.count(w.task.tid), 1u);
    writer_write_waits += w.task.tid == writer_tid && w.write;
    reader_read_waits += w.task.tid != writer_tid && w.task.tid != self && !w.write;
    std::vector<TaskId> holders = w.holders.readers;
    if (w.holders.writer) holders.push_back(*w.holders.writer);
    for (const auto& h : holders) {
      EXPECT_EQ(h.tgid, self);
      EXPECT_EQ(ours.count(h.tid), 1u);
      held_by_other_thread += h.tid != w.task.tid;
    }
  }
  EXPECT_GT(writer_write_waits, 0) << waits.size() << " waits of this process seen";
  EXPECT_GT(reader_read_waits, 0) << waits.size() << " waits of this process seen";
  EXPECT_GT(held_by_other_thread, 0) << waits.size() << " waits of this process seen";
}

// A long, known holder: thread A unmaps 512 MiB of populated memory (munmap
// takes the lock for write, then downgrades to read while it frees the
// pages), thread B keeps mapping and must wait for A. The tracer must name A
// as the holder of B's long waits, and see B's wait while it is ongoing.
TEST(TracerRoot, LongMunmapHoldIsNamedAsTheHolder) {
  Tracer tracer;
  OPEN_TRACER_OR_SKIP(tracer, (TracerOptions{1s, 5ms, true, ""}));
  const std::size_t big = 512 * MiB;
  void* region = mmap(nullptr, big, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
  ASSERT_NE(region, MAP_FAILED);
  std::atomic<pid_t> a_tid{0}, b_tid{0};
  std::atomic<bool> go{false}, a_done{false};
  std::thread b([&] {
    b_tid = gettid_();
    while (!a_done) {
      void* p = mmap(nullptr, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
      if (p != MAP_FAILED) munmap(p, 4096);
      go = true;
    }
  });
  while (!go) std::this_thread::yield();
  std::thread a([&] {
    a_tid = gettid_();
    munmap(region, big);
    a_done = true;
  });
  bool seen_ongoing = false;
  while (!a_done) {
    if (auto w = b_tid ? tracer.lock_wait_of(b_tid) : std::nullopt; w && w->wait >= 1ms) {
      EXPECT_TRUE(w->ongoing);
      EXPECT_EQ(w->task.tgid, getpid());
      EXPECT_FALSE(w->task.comm.empty());
      seen_ongoing = true;
    }
    std::this_thread::sleep_for(1ms);
  }
  a.join();
  b.join();
  std::vector<LockWait> b_waits;
  tracer.consume([&](const Event& e) {
    if (auto* w = std::get_if<LockWait>(&e); w && w->task.tid == b_tid) b_waits.push_back(*w);
  });
  // Of read holders only the last reader is named (tracer/README): after A's
  // munmap downgrades to read, this test's main thread taking the lock for a
  // page fault may be that last reader (seen once in CI). Any named holder
  // must be A or that thread, and A must be named unless only it was.
  int named_a = 0, named_main = 0;
  for (const auto& w : b_waits) {
    SCOPED_TRACE(format_lockwait(w));
    EXPECT_TRUE(w.write);
    EXPECT_GE(w.wait, 5ms);
    std::vector<TaskId> holders = w.holders.readers;
    if (w.holders.writer) holders.push_back(*w.holders.writer);
    for (const auto& h : holders) {
      EXPECT_TRUE(h.tid == a_tid || h.tid == getpid()) << "holder " << h.tid << " is neither A nor the main thread";
      named_a += h.tid == a_tid;
      named_main += h.tid == getpid();
    }
  }
  EXPECT_GT(named_a + named_main, 0) << b_waits.size() << " long waits of B";
  if (named_a == 0) std::printf("A not named: the main thread was the last reader in every long wait of B\n");
  EXPECT_TRUE(seen_ongoing) << "B's wait (~80 ms) was never visible through lock_wait_of()";
  std::printf("long waits of B: %zu, ongoing seen: %s\n", b_waits.size(), seen_ongoing ? "yes" : "no");
  for (const auto& w : b_waits) std::printf("  %s\n", format_lockwait(w).c_str());
}

TEST(TracerRoot, MemcgOomKillGivesMarkVictimToExitTimeline) {
  Tracer tracer;
  OPEN_TRACER_OR_SKIP(tracer, TracerOptions{});
  TestMemcg memcg("oomlab-tracer-oom", 32 * MiB);
  if (!memcg.ok()) GTEST_SKIP() << memcg.error();
  Child child([] {
    const std::size_t size = 256 * MiB;  // no swap: the memcg OOM killer must act
    char* p = static_cast<char*>(mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
    if (p == MAP_FAILED) _exit(3);
    for (std::size_t i = 0; i < size; i += 4096) p[i] = 1;
    _exit(4);  // not killed: the limit did not hold
  });
  ASSERT_TRUE(memcg.add(child.pid()));
  child.release();
  int status = child.wait_exit(60'000);
  ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << "status " << status;

  std::vector<OomEvent> stages;
  for (int i = 0; i < 20; i++) {  // the exit event can trail the wait by a little
    tracer.poll(50ms, [&](const Event& e) {
      if (auto* o = std::get_if<OomEvent>(&e); o && o->victim.tid == child.pid()) stages.push_back(*o);
    });
    if (!stages.empty() && stages.back().stage == OomStage::Exited) break;
  }
  ASSERT_FALSE(stages.empty()) << "no oom event for the child";
  EXPECT_EQ(stages.front().stage, OomStage::MarkVictim);
  EXPECT_EQ(stages.back().stage, OomStage::Exited);
  auto timeline = tracer.victim(child.pid());
  ASSERT_TRUE(timeline);
  EXPECT_FALSE(timeline->victim.comm.empty());
  EXPECT_EQ(timeline->victim.tgid, child.pid());
  ASSERT_TRUE(timeline->exited_ns);
  EXPECT_GE(*timeline->exited_ns, timeline->marked_ns);
  EXPECT_GE(timeline->marked_ns, tracer.opened_ns());
  EXPECT_GE(tracer.snapshot().totals.oom_victims, 1u);
  std::printf("%s\n", format_victim(*timeline, tracer.opened_ns()).c_str());
}

TEST(TracerRoot, CommandShortRunPrintsJsonLines) {
  SKIP_UNLESS_BPF_CAPABLE();
  oomlab::ProcessSpec spec;
  spec.argv = {std::string(OOMLAB_BIN_DIR) + "/oomlab-trace", "--json", "--duration", "1s", "--lock-tracing",
               "--lockwait-min", "50ms"};
  spec.timeout = 30s;
  auto r = oomlab::run_process(spec);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::istringstream lines(r.out);
  std::string line, last;
  int n = 0;
  while (std::getline(lines, line)) {
    auto j = nlohmann::json::parse(line);  // throws (fails the test) on a bad line
    EXPECT_TRUE(j.contains("type")) << line;
    last = line;
    n++;
  }
  ASSERT_GT(n, 0);
  auto summary = nlohmann::json::parse(last);
  EXPECT_EQ(summary["type"], "snapshot");
  EXPECT_EQ(summary["lock_tracing"], true);
  EXPECT_TRUE(summary["totals"].contains("memcg_reclaims"));
}

}  // namespace
