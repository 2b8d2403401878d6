// The daemon under load: 5,000 tasks alive in a memory cgroup, 1,000 of them
// blocked in D state (threads of one process queued for its mmap write lock
// behind a FUSE read that never completes: helpers/mmap_lock_stall.cpp
// --writers), the other ~4,000 asleep on a pipe. It must keep scanning every
// task, report the stall and kill it after --kill-after like on an idle
// machine. Asserts on what happened (events, counts); the scan times and
// delays it measured are printed for docs/RELIABILITY.md, never asserted.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <cstdio>
#include <set>
#include <sstream>
#include <sys/stat.h>
#include <thread>
#include <unistd.h>

#include "child.hpp"
#include "oomlab/cgroups/memory_cgroup.hpp"
#include "oomlab/common/clock.hpp"

using namespace std::chrono_literals;
using nlohmann::json;
using wdtest::bin;
using wdtest::Child;

namespace {

constexpr int kBlocked = 1000;
constexpr int kTasks = 5000;
// main + FUSE holder + writers + sleepers = kTasks in the stalled process.
constexpr int kSleepers = kTasks - kBlocked - 2;

using wdtest::watchdog_records;
namespace formats = oomlab::formats;

json status(const std::string& socket) {
  std::string cmd = bin("oomlab-watchdog") + " status --socket " + socket + " 2>/dev/null";
  std::string out;
  if (FILE* p = ::popen(cmd.c_str(), "r")) {
    char buf[65536];
    std::size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
    ::pclose(p);
  }
  return json::parse(out, nullptr, false);
}

long read_long(const char* path) {
  std::string s = wdtest::slurp(path);
  return s.empty() ? -1 : std::atol(s.c_str());
}

}  // namespace

TEST(WatchdogLoad, FiveThousandTasksAThousandBlocked) {
  struct stat st;
  if (geteuid() != 0) GTEST_SKIP() << "needs root (memory cgroups, FUSE mount)";
  if (::stat("/dev/fuse", &st) != 0) GTEST_SKIP() << "no /dev/fuse: cannot block threads behind an mmap lock";
  if (read_long("/proc/sys/kernel/threads-max") < 4 * kTasks || read_long("/proc/sys/kernel/pid_max") < 4 * kTasks)
    GTEST_SKIP() << "kernel.threads-max or kernel.pid_max below " << 4 * kTasks;
  std::string no_group;
  std::unique_ptr<oomlab::cgroups::MemoryCgroup> cg = wdtest::test_group("wdload", 1ull << 30, &no_group);
  if (!cg) GTEST_SKIP() << no_group;
  wdtest::TempDir dir("oomlab-wd-load");
  const std::string events = dir / "events.jsonl", err = dir / "stderr.log", sock = dir / "wd.sock";
  {
    const std::int64_t spawned_at = oomlab::monotonic_ms();
    Child stall({bin("oomlab-test-mmap-lock-stall"), "--seconds", "300", "--writers", std::to_string(kBlocked),
                 "--sleepers", std::to_string(kSleepers)},
                cg.get());
    const std::string ready = stall.wait_line(120s);
    const std::int64_t ready_at = oomlab::monotonic_ms();
    ASSERT_EQ(ready.rfind("ready", 0), 0u) << "the load process did not start: '" << ready << "'";
    const std::size_t threads = cg->threads().size();
    ASSERT_GE(threads, static_cast<std::size_t>(kTasks));

    const std::int64_t kill_after_ms = 5000;
    Child wd({bin("oomlab-watchdog"), "--period", "1s", "--warn-after", "2s", "--kill-after", "5s", "--escalate-after",
              "3s", "--max-victims", "1", "--socket", sock, "--json-log", events, "--scope", "/" + cg->name()},
             nullptr, err);
    const std::int64_t started_at = oomlab::monotonic_ms();

    // Samples of the daemon's own scan figures while the load lasts.
    double worst_scan_ms = 0;
    std::uint64_t most_tasks = 0, overruns = 0, scans = 0;
    bool resolved = false;
    for (int i = 0; i < 240 && !resolved; ++i) {   // <= 60 s; a healthy run needs ~10 s
      std::this_thread::sleep_for(250ms);
      json s = i % 4 == 0 ? status(sock) : json();   // every second: the client is a process
      if (s.is_object() && s.contains("scan")) {
        worst_scan_ms = std::max(worst_scan_ms, s["scan"]["last_duration_ms"].get<double>());
        most_tasks = std::max(most_tasks, s["scan"]["tasks"].get<std::uint64_t>());
        overruns = s["scan"]["overruns"].get<std::uint64_t>();
        scans = s["scan"]["scans"].get<std::uint64_t>();
      }
      resolved = wdtest::slurp(events).find("stall in cgroup /" + cg->name() + " resolved") != std::string::npos;
    }
    EXPECT_TRUE(resolved) << wdtest::slurp(err);
    // A process of 5,000 threads takes a while to exit after the kill (each
    // thread wakes, queues on the mmap lock in exit_mm, and exits): wait for
    // the exit, bounded, rather than look at one instant.
    const std::int64_t resolved_at = oomlab::monotonic_ms();
    EXPECT_TRUE(wdtest::wait_for([&] { return !stall.running(); }, 180s)) << "the stalled process survived";
    const std::int64_t exited_at = oomlab::monotonic_ms();
    ASSERT_TRUE(wd.running()) << wdtest::slurp(err);
    EXPECT_EQ(wd.stop(), 0);

    std::set<long> warned;
    std::int64_t first_warn_ms = -1, kill_ms = -1, resolved_ms = -1;
    int kills = 0;
    const std::string group = "/" + cg->name();
    for (const formats::WatchdogRecord& r : watchdog_records(events)) {
      const std::int64_t mono = r.mono_ms;
      if (const auto* w = std::get_if<formats::WdWarn>(&r.payload); w && w->cgroup == group) {
        warned.insert(w->tid);
        if (first_warn_ms < 0) first_warn_ms = mono;
      }
      if (std::holds_alternative<formats::WdKill>(r.payload) && kills++ == 0) kill_ms = mono;
      if (r.type == "note" && resolved_ms < 0 && r.line.find(" resolved after ") != std::string::npos) resolved_ms = mono;
    }
    EXPECT_GE(most_tasks, static_cast<std::uint64_t>(kTasks)) << "the scans did not see every task";
    EXPECT_GE(warned.size(), static_cast<std::size_t>(kBlocked)) << "not every blocked task was reported";
    ASSERT_GE(kills, 1);
    // Never before --kill-after: the daemon cannot have seen the stall
    // before it started.
    EXPECT_GE(kill_ms - started_at, kill_after_ms);
    std::printf("load: %zu threads in the group (%d blocked in D), %llu scans, last-scan max %.1f ms (sampled every "
                "1 s), %llu overruns, most tasks per scan %llu, %zu tasks warned, %d kill(s); from the watchdog's "
                "start: first warn %lld ms, kill %lld ms (kill-after %lld ms), resolved %lld ms; the load took %lld ms to set up and %lld ms to exit after the stall resolved\n",
                threads, kBlocked, static_cast<unsigned long long>(scans), worst_scan_ms,
                static_cast<unsigned long long>(overruns), static_cast<unsigned long long>(most_tasks), warned.size(),
                kills, static_cast<long long>(first_warn_ms - started_at), static_cast<long long>(kill_ms - started_at),
                static_cast<long long>(kill_after_ms), static_cast<long long>(resolved_ms - started_at), static_cast<long long>(ready_at - spawned_at),
                static_cast<long long>(exited_at - resolved_at));
  }
}
