// memory-high: cgroup v2 throttling as a stall. memory.high is a soft limit:
// above it the kernel reclaims from the group and then puts each allocating
// task to sleep on its way back to user space (up to 2 s per return,
// mem_cgroup_handle_over_high) instead of invoking the OOM killer. Without
// swap anonymous memory above memory.high cannot be reclaimed at all, so an
// allocator that settles between memory.high and memory.max is throttled for
// as long as it lives: no OOM kill, no progress - a stall only PSI and
// memory.events "high" show. cgroup v1 has no memory.high.
#include <cerrno>
#include <cstring>
#include <string>
#include <sys/mman.h>
#include <unistd.h>

#include "catalogue.hpp"
#include "oomlab/common/procfs.hpp"
#include "scenario_kit.hpp"

namespace oomlab::repro {
namespace {

// Touches its share, then keeps rewriting it: every write fault or return to
// user space above memory.high is a chance for the kernel to throttle it.
int run_allocator(std::size_t bytes) {
  kit::name_task("high-alloc");
  auto* p = static_cast<char*>(::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
  if (p == MAP_FAILED) return 1;
  const long page = ::sysconf(_SC_PAGESIZE);
  for (char value = 1;; ++value) {
    for (std::size_t off = 0; off < bytes; off += static_cast<std::size_t>(page)) p[off] = value;
    ::madvise(p, bytes / 4, MADV_DONTNEED);  // give back a quarter so faults go on
  }
}

class MemoryHighScenario final : public Scenario {
 public:
  std::string_view name() const override { return "memory-high"; }
  std::string_view summary() const override {
    return "cgroup v2 memory.high throttles an allocator forever below memory.max (no OOM kill)";
  }
  std::string_view details() const override {
    return "Sets the group's memory.high (v2 only) and runs allocators whose memory settles between "
           "memory.high and memory.max. With no swap the anonymous memory above memory.high cannot be "
           "reclaimed, so the kernel throttles every return to user space of the allocating tasks (up "
           "to 2 s each) instead of OOM-killing: memory.events 'high' climbs, PSI 'some'/'full' rise, "
           "the tasks sleep in mem_cgroup_handle_over_high, and nothing is ever killed. Skipped on "
           "cgroup v1, which has no memory.high.";
  }
  std::vector<OptionSpec> options() const override {
    return {
        {"high", "50%", "memory.high of the group (size or % of the limit)"},
        {"alloc", "80%", "memory the allocators hold together (size or % of the limit)"},
        {"allocators", "2", "allocating processes"},
    };
  }
  Requirements requirements() const override {
    Requirements r;
    r.cgroup_v2 = true;
    return r;
  }

  int run_workload(const ScenarioParams& params) override {
    return kit::guarded(name(), [&]() -> int {
      kit::name_task("memory-high");
      kit::Options opt(params);
      const std::uint64_t high = opt.size("high");
      const std::uint64_t alloc = opt.size("alloc");
      const int allocators = static_cast<int>(opt.integer("allocators", 1, 256));
      if (params.cgroup_version != 2 || params.cgroup_path.empty())
        throw kit::WorkloadError("memory.high needs a cgroup v2 memory group (this run is on v" +
                                 std::to_string(params.cgroup_version) + ")");
      if (int err = write_control_file(params.cgroup_path + "/memory.high", std::to_string(high)); err != 0)
        throw kit::WorkloadError("cannot set memory.high: " + std::string(std::strerror(err)));
      for (int i = 0; i < allocators; ++i)
        kit::spawn([&] { return run_allocator(alloc / static_cast<std::size_t>(allocators)); });
      while (kit::wait_any_child() > 0) {
      }
      kit::sleep_forever();
    });
  }
};

}  // namespace

std::unique_ptr<Scenario> make_memory_high_scenario() { return std::make_unique<MemoryHighScenario>(); }

}  // namespace oomlab::repro
