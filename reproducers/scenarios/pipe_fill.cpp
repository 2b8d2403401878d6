// pipe-fill: kernel memory charged to the group that neither reclaim nor the
// OOM killer's accounting can see. A holder process fills pipes that nobody
// reads: each pipe buffer page is a __GFP_ACCOUNT allocation charged to the
// writer's memory cgroup (v1: it shows in memory.kmem.usage_in_bytes), it is
// not on any LRU list, so reclaim cannot free it, and it is not in anybody's
// RSS, so the OOM killer's badness score never points at the holder. An
// ordinary application then allocates in the space that is left: it is the
// largest process, so every OOM kill takes it, frees only its own memory, and
// the pipes stay. The application is restarted to show the kills repeating.
#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <string>
#include <sys/mman.h>
#include <sys/resource.h>
#include <thread>
#include <unistd.h>
#include <vector>

#include "catalogue.hpp"
#include "oomlab/common/procfs.hpp"
#include "scenario_kit.hpp"

namespace oomlab::repro {
namespace {

std::size_t pipe_max_size() {
  auto text = read_proc_file("/proc/sys/fs/pipe-max-size");
  return text ? std::stoul(*text) : 1 << 20;
}

void raise_fd_limit() {
  rlimit lim{};
  if (::getrlimit(RLIMIT_NOFILE, &lim) == 0 && lim.rlim_cur < lim.rlim_max) {
    lim.rlim_cur = lim.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &lim);
  }
}

// Fills pipes of pipe_bytes each until `total` bytes sit in them or the
// kernel refuses (ENOMEM: the group is full; EMFILE: out of descriptors).
// Returns the bytes written; the descriptors stay open.
std::size_t fill_pipes(std::size_t total, std::size_t pipe_bytes) {
  static char block[64 * 1024];
  std::memset(block, 'p', sizeof block);
  std::size_t written = 0;
  while (written < total) {
    int fds[2];
    if (::pipe2(fds, O_NONBLOCK | O_CLOEXEC) != 0) break;
    ::fcntl(fds[1], F_SETPIPE_SZ, static_cast<int>(pipe_bytes));
    for (;;) {
      ssize_t n = ::write(fds[1], block, sizeof block);
      if (n <= 0) {
        if (n < 0 && errno == EAGAIN) break;  // this pipe is full: next one
        return written;                       // ENOMEM and friends: stop
      }
      written += static_cast<std::size_t>(n);
      if (written >= total) break;
    }
  }
  return written;
}

int run_holder(std::size_t total, std::size_t pipe_bytes, int ready_fd) {
  kit::name_task("pipe-holder");
  raise_fd_limit();
  kit::signal_ready(ready_fd, std::to_string(fill_pipes(total, pipe_bytes)));
  kit::sleep_forever();  // never reads: the pages stay charged
}

int run_app(std::size_t bytes) {
  kit::name_task("pipe-victim");
  void* p = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) return 1;
  kit::touch_pages(p, bytes);
  kit::sleep_forever();
}

class PipeFillScenario final : public Scenario {
 public:
  std::string_view name() const override { return "pipe-fill"; }
  std::string_view summary() const override {
    return "unread pipe buffers fill the group with kernel memory no reclaim or OOM kill frees";
  }
  std::string_view details() const override {
    return "A holder process creates pipes (F_SETPIPE_SZ up to fs.pipe-max-size) and fills them without "
           "ever reading: the buffer pages are accounted kernel memory of the group (v1: "
           "memory.kmem.usage_in_bytes), off every LRU list and in nobody's RSS. An application then "
           "allocates anonymous memory in the remaining space: it is the largest process, so each OOM "
           "kill picks it, frees only its own pages, and the pipes keep the group full. The application "
           "is restarted after each kill until the deadline.";
  }
  std::vector<OptionSpec> options() const override {
    return {
        {"pipe-total", "85%", "bytes left in unread pipes (size or % of the limit)"},
        {"pipe-size", "1M", "buffer size per pipe (capped by fs.pipe-max-size)"},
        {"app", "40%", "anonymous memory the application touches (size or % of the limit)"},
        {"respawn-delay", "200", "ms before a killed application is restarted"},
    };
  }

  int run_workload(const ScenarioParams& params) override {
    return kit::guarded(name(), [&]() -> int {
      kit::name_task("pipe-fill");
      kit::Options opt(params);
      const std::size_t total = opt.size("pipe-total");
      const std::size_t pipe_bytes = std::min<std::size_t>(opt.size("pipe-size"), pipe_max_size());
      const std::size_t app = opt.size("app");
      const long delay_ms = opt.integer("respawn-delay", 0, 60000);
      if (params.cgroup_version == 1 && !params.cgroup_path.empty() &&
          kit::read_group_file(params, "memory.kmem.usage_in_bytes").empty())
        throw kit::WorkloadError("no memory.kmem.usage_in_bytes: this v1 kernel does not account kernel memory");

      std::string filled;
      const pid_t holder = kit::spawn_until_ready([&](int ready) { return run_holder(total, pipe_bytes, ready); }, &filled);
      if (filled.empty()) throw kit::WorkloadError("the pipe holder died while filling its pipes");
      // Where the kernel accounts pipe pages: v1 kmem, v2 memory.stat "kernel".
      const std::string kmem = params.cgroup_version == 1 ? kit::read_group_file(params, "memory.kmem.usage_in_bytes")
                                                          : std::to_string(kit::group_stat(params, "kernel"));
      std::fprintf(stderr, "pipe-fill: %s bytes in unread pipes; group kernel memory %lld\n", filled.c_str(),
                   std::atoll(kmem.c_str()));
      for (;;) {
        kit::spawn([&] { return run_app(app); });
        const pid_t gone = kit::wait_any_child();
        if (gone == holder || gone < 0) break;  // killed at last: nothing left to show
        std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms));
      }
      kit::sleep_forever();
    });
  }
};

}  // namespace

std::unique_ptr<Scenario> make_pipe_fill_scenario() { return std::make_unique<PipeFillScenario>(); }

}  // namespace oomlab::repro
