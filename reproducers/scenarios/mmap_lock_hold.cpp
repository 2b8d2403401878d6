// mmap-lock-hold: a task holds its mmap lock for seconds, so every reader of
// its /proc/PID/cmdline (and `ps`, and any monitor that reads cmdline before
// killing) blocks - the reason oomlab's monitors never read that file.
//
// How, on 6.x kernels with per-VMA locks: ordinary page faults no longer hold
// mmap_lock across I/O (they run under the VMA lock and drop it with
// VM_FAULT_RETRY before waiting), and userfaultfd waits drop it too. The
// paths that still fault *without* FAULT_FLAG_ALLOW_RETRY are the remote
// accessors - access_remote_vm(), used by /proc/PID/mem, ptrace PEEK/POKE and
// /proc/PID/cmdline itself: they take mmap_read_lock and, on a file page that
// is not cached, wait for the page-in with the lock held. So:
//  - the lock holder maps a file whose page-ins are slow (a FUSE file served
//    by slow_fuse.cpp, standing for NFS/FUSE/a congested disk), and reads the
//    mapping through /proc/self/mem: each uncached page holds mmap_read_lock
//    for the whole read delay;
//  - a second thread of the holder maps and unmaps in a loop: its
//    mmap_write_lock waits behind the reader, and rwsem fairness makes every
//    later reader (cmdline, ps) queue behind that writer;
//  - memory pressure makes it last: anonymous ballast fills most of the
//    group and a streaming reader of a (sparse) file larger than the limit keeps
//    the rest of the page cache churning, so the slow file's pages are
//    evicted between passes and every pass pays the page-ins again. Without
//    pressure the file would be cached after one pass and the holds would
//    stop (try --churn no --ballast 0).
//  - probes read /proc/HOLDER/cmdline every 100 ms and report on stderr each
//    read that blocked for a second or more.
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <string>
#include <sys/mman.h>
#include <thread>
#include <unistd.h>

#include "catalogue.hpp"
#include "oomlab/common/units.hpp"
#include "scenario_kit.hpp"
#include "slow_fuse.hpp"

namespace oomlab::repro {
namespace {

using Clock = std::chrono::steady_clock;

int run_holder(const std::string& file, std::size_t bytes) {
  kit::name_task("lock-holder");
  const int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 1;
  void* map = ::mmap(nullptr, bytes, PROT_READ, MAP_SHARED, fd, 0);
  if (map == MAP_FAILED) return 1;
  std::thread([] {
    // The queued writer: without it readers would share the lock with the
    // holder and never block.
    for (;;) {
      void* p = ::mmap(nullptr, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
      if (p != MAP_FAILED) ::munmap(p, 4096);
    }
  }).detach();
  // Our own /proc/self/mem: a remote-style access (access_remote_vm) that
  // keeps mmap_read_lock while the FUSE page-in waits.
  const int mem = ::open("/proc/self/mem", O_RDONLY | O_CLOEXEC);
  if (mem < 0) return 1;
  const auto base = reinterpret_cast<std::uintptr_t>(map);
  char page[4096];
  for (;;) {
    for (std::size_t off = 0; off < bytes; off += sizeof page)
      (void)!::pread(mem, page, sizeof page, static_cast<off_t>(base + off));
  }
}

// Re-reads /proc/HOLDER/cmdline every 100 ms. A timer thread reports a read
// as soon as it has been blocked for report_over (the probe itself cannot:
// it sits in mmap_read_lock_killable), and the read's total when it ends.
int run_probe(pid_t holder, std::chrono::milliseconds report_over) {
  kit::name_task("cmdline-probe");
  const std::string path = "/proc/" + std::to_string(holder) + "/cmdline";
  static std::atomic<std::int64_t> read_started_ms{-1};
  auto now_ms = [] {
    return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now().time_since_epoch()).count();
  };
  std::thread([&path, report_over, now_ms] {
    std::int64_t reported = -1;
    for (;;) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      const std::int64_t started = read_started_ms.load();
      if (started >= 0 && started != reported && now_ms() - started >= report_over.count()) {
        reported = started;
        std::fprintf(stderr, "mmap-lock-hold: read of %s still blocked after %lld ms\n", path.c_str(),
                     static_cast<long long>(now_ms() - started));
      }
    }
  }).detach();
  char buf[4096];
  for (;;) {
    const std::int64_t t0 = now_ms();
    read_started_ms = t0;
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return 1;
    (void)!::read(fd, buf, sizeof buf);  // waits in mmap_read_lock_killable
    ::close(fd);
    read_started_ms = -1;
    const std::int64_t took = now_ms() - t0;
    if (took >= report_over.count())
      std::fprintf(stderr, "mmap-lock-hold: read of %s blocked %lld ms\n", path.c_str(), static_cast<long long>(took));
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

// Streams a file larger than the limit through the page cache forever: the
// churn that evicts the slow file's pages. The file is sparse - pages of holes
// are ordinary page cache too, and creating it costs nothing.
int run_churn(const std::string& path) {
  kit::name_task("cache-churn");
  static char buf[1 << 16];
  for (;;) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return 1;
    while (::read(fd, buf, sizeof buf) > 0) {
    }
    ::close(fd);
  }
}

class MmapLockHoldScenario final : public Scenario {
 public:
  std::string_view name() const override { return "mmap-lock-hold"; }
  std::string_view summary() const override {
    return "a task holds its mmap lock across slow page-ins under pressure: cmdline readers and ps block";
  }
  std::string_view details() const override {
    return "The lock holder maps a file from a private FUSE mount whose reads take --io-delay (a stand-in "
           "for NFS, a FUSE daemon or a congested disk) and walks the mapping through /proc/self/mem: on "
           "6.x kernels with per-VMA locks ordinary faults drop every lock before waiting for I/O, but "
           "access_remote_vm() (/proc/PID/mem, ptrace, /proc/PID/cmdline) faults without retry and keeps "
           "mmap_read_lock for the whole page-in. A second thread's mmap()/munmap() loop queues a writer, "
           "so every later reader - probes reading /proc/HOLDER/cmdline, ps - waits in D state. Memory "
           "pressure keeps it going: anonymous ballast fills most of the group and a streaming reader of a "
           "(sparse) file larger than the limit churns the page cache, so the slow file's pages are evicted "
           "and every pass blocks again. Probes print each cmdline read that blocked >= --report-over.";
  }
  std::vector<OptionSpec> options() const override {
    return {
        {"io-delay", "2s", "how long the FUSE server takes to answer each read"},
        {"file-size", "256K", "size of the slow file the holder walks (size or % of the limit)"},
        {"ballast", "85%", "anonymous memory held for the whole run (size or % of the limit, 0: none)"},
        {"churn", "yes", "stream a file larger than the limit to evict the slow file's pages"},
        {"probes", "2", "processes re-reading /proc/HOLDER/cmdline"},
        {"report-over", "1s", "probes report reads that blocked at least this long"},
    };
  }

  int run_workload(const ScenarioParams& params) override {
    return kit::guarded(name(), [&]() -> int {
      kit::name_task("mmap-lock-hold");
      kit::Options opt(params);
      const auto delay = parse_duration(opt.text("io-delay"));
      const auto report_over = parse_duration(opt.text("report-over"));
      if (!delay || !report_over) throw kit::WorkloadError("--io-delay/--report-over take a duration (2s, 500ms)");
      const std::size_t file_bytes = opt.size("file-size");
      const std::size_t ballast = params.limit_bytes ? opt.size("ballast", true) : 0;
      const int probes = static_cast<int>(opt.integer("probes", 0, 64));
      const bool churn = opt.flag("churn") && params.limit_bytes > 0;
      const std::string churn_file = params.work_dir + "/churn.dat";
      if (churn) {
        const int fd = ::open(churn_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        if (fd < 0 || ::ftruncate(fd, static_cast<off_t>(params.limit_bytes + params.limit_bytes / 4)) != 0)
          throw kit::WorkloadError("cannot create " + churn_file + ": " + std::strerror(errno));
        ::close(fd);
      }

      kit::SlowFuseConfig fuse;
      fuse.mount_dir = params.work_dir + "/slowfs";
      fuse.file_bytes = file_bytes;
      fuse.read_delay = *delay;
      kit::start_slow_fuse(fuse);
      if (ballast > 0) kit::spawn_until_ready([&](int ready) { return kit::hold_anon_ballast(ballast, ready); });
      if (churn) kit::spawn([&] { return run_churn(churn_file); });
      const pid_t holder = kit::spawn([&] { return run_holder(fuse.mount_dir + "/data", file_bytes); });
      for (int i = 0; i < probes; ++i) kit::spawn([&] { return run_probe(holder, *report_over); });
      while (kit::wait_any_child() > 0) {
      }
      kit::sleep_forever();
    });
  }
};

}  // namespace

std::unique_ptr<Scenario> make_mmap_lock_hold_scenario() { return std::make_unique<MmapLockHoldScenario>(); }

}  // namespace oomlab::repro
