// dying-competition: the third problem of the 2015 report. Many processes,
// each with many threads, allocate anonymous memory at the same time; when the
// OOM killer kills one of them, all its threads are dying but still inside
// page faults, competing for the same pages as the live allocators. In 2015 a
// dying thread without TIF_MEMDIE could not use the memory reserves and the
// group made no progress; current kernels treat every thread of a victim as
// dying (memcg charges of dying tasks are forced through) and the oom_reaper
// frees the victim's memory without waiting for it. Killed allocators are
// restarted so the competition lasts until the deadline.
#include <atomic>
#include <cstdio>
#include <cstring>
#include <sys/wait.h>
#include <sys/mman.h>
#include <thread>
#include <unistd.h>
#include <vector>

#include "catalogue.hpp"
#include "scenario_kit.hpp"

namespace oomlab::repro {
namespace {

// One allocating thread: maps and touches chunks until its share is reached,
// then keeps faulting by dropping and re-touching its oldest chunk, so it
// stays inside the allocator for as long as it lives.
void allocate_forever(std::size_t chunk, std::size_t share) {
  std::vector<char*> held;
  std::size_t next_recycle = 0;
  for (;;) {
    if (held.size() * chunk < share) {
      void* p = ::mmap(nullptr, chunk, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
      if (p == MAP_FAILED) continue;
      kit::touch_pages(p, chunk);
      held.push_back(static_cast<char*>(p));
    } else if (!held.empty()) {
      char* p = held[next_recycle++ % held.size()];
      ::madvise(p, chunk, MADV_DONTNEED);
      kit::touch_pages(p, chunk);
    }
  }
}

int run_allocator(int threads, std::size_t chunk, std::size_t share) {
  kit::name_task("alloc-racer");
  std::vector<std::thread> pool;
  for (int i = 0; i < threads; ++i) pool.emplace_back(allocate_forever, chunk, share);
  for (auto& t : pool) t.join();
  return 0;
}

class DyingCompetitionScenario final : public Scenario {
 public:
  std::string_view name() const override { return "dying-competition"; }
  std::string_view summary() const override {
    return "many multi-threaded allocators: the OOM victim's dying threads compete with the live ones";
  }
  std::string_view details() const override {
    return "P processes with T threads each map and touch anonymous memory in chunks until each "
           "thread holds its share (together more than the limit), then keep faulting by dropping and "
           "re-touching their chunks. When the OOM killer kills one process, its T threads are dying "
           "inside page faults while the other processes keep allocating: the 2015 report's third "
           "problem, where dying tasks without access to the reserves kept the group from progressing. "
           "Killed processes are restarted, so every OOM kill of the run is a new sample of the kill to "
           "freed latency.";
  }
  std::vector<OptionSpec> options() const override {
    return {
        {"procs", "4", "allocating processes"},
        {"threads", "16", "allocating threads per process"},
        {"chunk", "1M", "bytes mapped and touched per step"},
        {"total", "150%", "memory all threads together try to hold (size or % of the limit)"},
        {"respawn", "yes", "restart killed processes (yes/no)"},
    };
  }

  int run_workload(const ScenarioParams& params) override {
    return kit::guarded(name(), [&]() -> int {
      kit::name_task("dying-compet");
      kit::Options opt(params);
      const int procs = static_cast<int>(opt.integer("procs", 1, 256));
      const int threads = static_cast<int>(opt.integer("threads", 1, 1024));
      const std::size_t chunk = opt.size("chunk");
      const std::size_t total = opt.size("total");
      const bool respawn = opt.flag("respawn");
      const std::size_t share = total / static_cast<std::size_t>(procs * threads);
      if (share < chunk) throw kit::WorkloadError("--total / (procs * threads) is smaller than --chunk");

      auto start = [&] { return kit::spawn([&] { return run_allocator(threads, chunk, share); }); };
      for (int i = 0; i < procs; ++i) start();
      for (;;) {
        int status = 0;
        const pid_t gone = kit::wait_any_child(&status);
        if (gone < 0) break;
        std::fprintf(stderr, "dying-competition: allocator %d ended (%s)%s\n", gone,
                     WIFSIGNALED(status) ? strsignal(WTERMSIG(status)) : "exited", respawn ? ", restarting" : "");
        if (respawn) start();
      }
      kit::sleep_forever();
    });
  }
};

}  // namespace

std::unique_ptr<Scenario> make_dying_competition_scenario() {
  return std::make_unique<DyingCompetitionScenario>();
}

}  // namespace oomlab::repro
