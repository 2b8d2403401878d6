// Overhead of the BPF stall tracer on the workloads it must not slow down:
// an mmap/munmap storm (the mmap_lock tracepoints' worst case, ~500k events/s),
// the same storm in two threads contending for one mmap_lock (every wait
// traced), and a page-cache thrash in a small memcg (a reclaim episode every few pages).
// Three conditions, interleaved round by round in one run so machine noise
// hits them alike: no tracer, tracer open with mmap_lock tracing detached
// (the always-on state: reclaim + OOM), and mmap_lock tracing attached.
// Reports the median throughput per condition and the slowdown vs none.
// Throughput is per CPU-second of the workload (CLOCK_THREAD/PROCESS_CPUTIME):
// BPF programs run in the traced task's context, so their cost shows there,
// while preemption by other jobs on a shared 2-core machine does not. The
// wall-clock rate is printed too.
//
// Usage: bench_tracer [--quick] [--rounds N]. Needs root (exit 77 = skipped).
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <memory>
#include <string>
#include <sys/mman.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <vector>

#include "oomlab/tracer/tracer.hpp"
#include "test_memcg.hpp"

namespace {

using namespace std::chrono;
using oomlab::tracer::Tracer;
using oomlab::tracer::TracerOptions;

constexpr std::size_t MiB = 1024 * 1024;
enum Condition { None, Detached, Attached, kConditions };
const char* const kConditionNames[] = {"no tracer", "tracer, mmap_lock detached", "tracer, mmap_lock attached"};

// A loaded tracer whose ring buffer is drained by a thread, like the
// watchdog's event loop would.
class RunningTracer {
 public:
  explicit RunningTracer(bool lock_tracing) {
    if (!tracer_.open(TracerOptions{milliseconds(1), milliseconds(1), lock_tracing, ""}))
      throw std::runtime_error(tracer_.error());
    drain_ = std::thread([this] {
      while (!stop_) tracer_.poll(milliseconds(50), [](const auto&) {});
    });
  }
  ~RunningTracer() {
    stop_ = true;
    drain_.join();
  }
  Tracer& tracer() { return tracer_; }

 private:
  Tracer tracer_;
  std::atomic<bool> stop_{false};
  std::thread drain_;
};

// mmap + munmap cycles per CPU-second (7 mmap_lock tracepoint hits each,
// none of them contended) and per wall-second.
struct Rate {
  double per_cpu_s, per_wall_s;
};

double cpu_seconds(clockid_t clock) {
  timespec ts{};
  clock_gettime(clock, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

Rate mmap_storm(milliseconds slice) {
  std::uint64_t ops = 0;
  const double cpu0 = cpu_seconds(CLOCK_THREAD_CPUTIME_ID);
  auto start = steady_clock::now(), end = start + slice;
  while (steady_clock::now() < end) {
    for (int i = 0; i < 256; i++, ops++) {
      auto* p = static_cast<char*>(mmap(nullptr, 64 * 1024, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
      if (p == MAP_FAILED) throw std::runtime_error("mmap failed");
      munmap(p, 64 * 1024);
    }
  }
  return {ops / (cpu_seconds(CLOCK_THREAD_CPUTIME_ID) - cpu0), ops / duration<double>(steady_clock::now() - start).count()};
}

// Two threads of one process contending for its mmap_lock: one maps and
// unmaps (write), one walks a 4 MiB mapping with mincore() (read, held over
// the walk), so the writer sleeps in the rwsem slow path again and again:
// every such wait is traced. ops = mmap/munmap cycles + mincore walks, per
// CPU-second summed over both threads.
Rate contended_mmap_storm(milliseconds slice) {
  constexpr std::size_t kRegion = 4 * MiB;
  void* region = mmap(nullptr, kRegion, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
  if (region == MAP_FAILED) throw std::runtime_error("mmap failed");
  struct Result {
    std::uint64_t ops = 0;
    double cpu = 0;
  } results[2];
  auto start = steady_clock::now(), end = start + slice;
  auto timed = [&](Result& r, auto op) {
    const double cpu0 = cpu_seconds(CLOCK_THREAD_CPUTIME_ID);
    while (steady_clock::now() < end)
      for (int i = 0; i < 64; i++, r.ops++) op();
    r.cpu = cpu_seconds(CLOCK_THREAD_CPUTIME_ID) - cpu0;
  };
  std::thread writer([&] {
    timed(results[0], [] {
      void* p = mmap(nullptr, 64 * 1024, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
      if (p != MAP_FAILED) munmap(p, 64 * 1024);
    });
  });
  std::thread reader([&] {
    std::vector<unsigned char> vec(kRegion / 4096);
    timed(results[1], [&] { mincore(region, kRegion, vec.data()); });
  });
  writer.join();
  reader.join();
  munmap(region, kRegion);
  const double ops = static_cast<double>(results[0].ops + results[1].ops);
  return {ops / (results[0].cpu + results[1].cpu), ops / duration<double>(steady_clock::now() - start).count()};
}

// MiB/s read by a child in a memcg 3x smaller than the file it rereads.
Rate reclaim_thrash(const std::string& file, std::size_t file_size, milliseconds slice) {
  oomlab::test::TestMemcg memcg("oomlab-bench-tracer", file_size / 3);
  if (!memcg.ok()) throw std::runtime_error(memcg.error());
  int result[2];
  if (pipe(result) != 0) throw std::runtime_error("pipe");
  oomlab::test::Child child([&] {
    int fd = open(file.c_str(), O_RDONLY);
    // Drop the cached pages the parent charged to its own group: reads must
    // fault them in again, charged to (and reclaimed in) this small memcg.
    posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
    std::vector<char> buf(MiB);
    double bytes = 0;
    const double cpu0 = cpu_seconds(CLOCK_PROCESS_CPUTIME_ID);
    auto start = steady_clock::now(), end = start + slice;
    while (steady_clock::now() < end) {
      ssize_t n = read(fd, buf.data(), buf.size());
      if (n <= 0) lseek(fd, 0, SEEK_SET);
      else bytes += n;
    }
    Rate rate{bytes / MiB / (cpu_seconds(CLOCK_PROCESS_CPUTIME_ID) - cpu0),
              bytes / MiB / duration<double>(steady_clock::now() - start).count()};
    (void)!write(result[1], &rate, sizeof rate);
  });
  close(result[1]);
  if (!memcg.add(child.pid())) throw std::runtime_error("cannot move the child into " + memcg.path());
  child.release();
  Rate rate{0, 0};
  bool got = read(result[0], &rate, sizeof rate) == sizeof rate;
  close(result[0]);
  child.wait_exit(slice.count() + 30000);
  if (!got) throw std::runtime_error("reclaim workload died");
  return rate;
}

struct Stats {
  double median, min, max, wall_median;
  double paired_slowdown = 0;  // 1 - median over rounds of (this / none in the same round)
  double traced_per_s = 0;  // reclaim episodes + lock waits seen by the tracer (system-wide)
  double lock_waits_per_s = 0;  // contended mmap_lock waits alone
};

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v.size() % 2 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
}

template <typename Workload>
std::vector<Stats> run_rounds(int rounds, Workload work) {
  std::vector<std::vector<double>> samples(kConditions), wall(kConditions);
  std::vector<double> traced(kConditions, 0), waits(kConditions, 0), seconds(kConditions, 0);
  for (int r = 0; r < rounds; r++)
    for (int k = 0; k < kConditions; k++) {
      auto c = static_cast<Condition>((r + k) % kConditions);  // rotate the order
      std::unique_ptr<RunningTracer> tracer;
      if (c != None) tracer = std::make_unique<RunningTracer>(c == Attached);
      auto t0 = steady_clock::now();
      Rate rate = work();
      if (tracer) {
        auto totals = tracer->tracer().snapshot().totals;
        traced[c] += totals.reclaim_count[0] + totals.reclaim_count[1] + totals.lock_waits;
        waits[c] += totals.lock_waits;
        seconds[c] += duration<double>(steady_clock::now() - t0).count();
      }
      samples[c].push_back(rate.per_cpu_s);
      wall[c].push_back(rate.per_wall_s);
    }
  std::vector<Stats> stats;
  for (int c = 0; c < kConditions; c++) {
    auto& s = samples[c];
    std::vector<double> ratios;
    for (std::size_t r = 0; r < s.size(); r++) ratios.push_back(s[r] / samples[None][r]);
    stats.push_back({median(s), *std::min_element(s.begin(), s.end()), *std::max_element(s.begin(), s.end()),
                     median(wall[c]), (1 - median(ratios)) * 100, seconds[c] > 0 ? traced[c] / seconds[c] : 0,
                     seconds[c] > 0 ? waits[c] / seconds[c] : 0});
  }
  return stats;
}

void report(const char* workload, const char* unit, const std::vector<Stats>& m) {
  std::printf("%s (%s per CPU-second: median [min..max], slowdown of the medians and median of the\n"
              "per-round ratios; per wall-second: median):\n", workload, unit);
  for (int c = 0; c < kConditions; c++) {
    auto slowdown = [&](double base, double v) { return base > 0 ? (base - v) / base * 100 : 0; };
    std::printf("  %-28s %9.0f [%.0f..%.0f] slowdown %+6.2f%% (paired %+6.2f%%) | wall %9.0f %+6.2f%% | traced %.0f/s (lock waits %.0f/s)\n",
                kConditionNames[c], m[c].median, m[c].min, m[c].max, slowdown(m[None].median, m[c].median),
                m[c].paired_slowdown, m[c].wall_median, slowdown(m[None].wall_median, m[c].wall_median),
                m[c].traced_per_s, m[c].lock_waits_per_s);
  }
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
  bool quick = false;
  int rounds = 0;
  for (int i = 1; i < argc; i++) {
    std::string a = argv[i];
    if (a == "--quick") quick = true;
    else if (a == "--rounds" && i + 1 < argc) rounds = std::atoi(argv[++i]);
    else if (a == "--help") {
      std::puts("Usage: bench_tracer [--quick] [--rounds N]\n"
                "Slowdown of an mmap/munmap storm and of a memcg page-cache thrash with the BPF\n"
                "stall tracer detached/attached vs none, interleaved in one run. Needs root.");
      return 0;
    } else {
      std::fprintf(stderr, "bench_tracer: unknown option: %s\n", a.c_str());
      return 2;
    }
  }
  if (rounds <= 0) rounds = quick ? 3 : 9;
  const milliseconds slice = quick ? milliseconds(300) : milliseconds(1500);
  {
    Tracer probe;
    if (geteuid() != 0 || !probe.open()) {
      std::printf("bench_tracer: skipped: %s\n", geteuid() != 0 ? "needs root" : probe.error().c_str());
      return 77;
    }
  }
  try {
    std::printf("rounds=%d slice=%lldms (conditions interleaved, order rotated per round)\n", rounds,
                static_cast<long long>(slice.count()));
    report("mmap/munmap storm", "ops", run_rounds(rounds, [&] { return mmap_storm(slice); }));
    report("contended mmap_lock (mmap/munmap thread + mincore thread, one mm)", "ops",
           run_rounds(rounds, [&] { return contended_mmap_storm(slice); }));

    const std::size_t file_size = (quick ? 48 : 96) * MiB;
    std::string file = std::string(OOMLAB_BENCH_SCRATCH) + "/bench-tracer-thrash.bin";
    {
      int fd = open(file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
      if (fd < 0) throw std::runtime_error("cannot create " + file + ": " + std::strerror(errno));
      std::vector<char> block(MiB, 'x');
      for (std::size_t done = 0; done < file_size; done += MiB) (void)!write(fd, block.data(), block.size());
      fsync(fd);
      close(fd);
    }
    struct Unlink {
      std::string path;
      ~Unlink() { unlink(path.c_str()); }
    } cleanup{file};
    report("memcg page-cache thrash", "MiB read", run_rounds(rounds, [&] { return reclaim_thrash(file, file_size, slice); }));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_tracer: %s\n", e.what());
    return 1;
  }
  return 0;
}
