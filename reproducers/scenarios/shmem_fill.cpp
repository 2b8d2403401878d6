// shmem-fill: shared memory charged to the group that an OOM kill does not
// free. shmem pages (memfd, tmpfs, SysV shm) belong to the file, not to the
// process that touched them: with no swap they cannot be reclaimed, and
// killing a process that maps them only drops its mapping. Here the
// supervisor keeps a memfd open; a filler maps it and touches most of the
// limit, so its RSS (which counts mapped shmem) makes it the OOM killer's
// first choice - and killing it frees nothing. An application that then
// allocates in the little space left is killed again and again, freeing only
// its own pages. (A file on a tmpfs behaves the same and even outlives every
// process of the group; a memfd lives as long as one descriptor or mapping,
// which keeps the scenario free of leftovers: the run's group kill ends it.)
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <sys/mman.h>
#include <thread>
#include <unistd.h>

#include "catalogue.hpp"
#include "scenario_kit.hpp"

namespace oomlab::repro {
namespace {

int run_filler(int memfd, std::size_t bytes, int ready_fd) {
  kit::name_task("shmem-filler");
  void* p = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, memfd, 0);
  if (p == MAP_FAILED) return 1;
  kit::touch_pages(p, bytes);
  kit::signal_ready(ready_fd);
  kit::sleep_forever();
}

int run_app(std::size_t bytes) {
  kit::name_task("shmem-victim");
  void* p = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) return 1;
  kit::touch_pages(p, bytes);
  kit::sleep_forever();
}

class ShmemFillScenario final : public Scenario {
 public:
  std::string_view name() const override { return "shmem-fill"; }
  std::string_view summary() const override {
    return "a memfd fills the group: the OOM killer kills its mapper and frees nothing";
  }
  std::string_view details() const override {
    return "The supervisor holds a memfd; a filler maps it MAP_SHARED and touches most of the limit. "
           "Without swap shmem cannot be reclaimed, and its pages belong to the file: when an "
           "application allocates in the space left, the OOM killer picks the filler (mapped shmem "
           "counts in its RSS), kills it, and usage does not drop. Then the application itself is "
           "killed, restarted and killed again: every kill frees only the application's own pages. A "
           "tmpfs file would do the same and outlive the whole group.";
  }
  std::vector<OptionSpec> options() const override {
    return {
        {"shmem", "90%", "shared memory the filler touches (size or % of the limit)"},
        {"app", "30%", "anonymous memory the application touches (size or % of the limit)"},
        {"respawn-delay", "200", "ms before a killed application is restarted"},
    };
  }

  int run_workload(const ScenarioParams& params) override {
    return kit::guarded(name(), [&]() -> int {
      kit::name_task("shmem-fill");
      kit::Options opt(params);
      const std::size_t shmem = opt.size("shmem");
      const std::size_t app = opt.size("app");
      const long delay_ms = opt.integer("respawn-delay", 0, 60000);

      const int memfd = ::memfd_create("oomlab-shmem-fill", MFD_CLOEXEC);
      if (memfd < 0) throw kit::WorkloadError(std::string("memfd_create: ") + std::strerror(errno));
      if (::ftruncate(memfd, static_cast<off_t>(shmem)) != 0)
        throw kit::WorkloadError(std::string("ftruncate memfd: ") + std::strerror(errno));
      // The application starts once the filler has touched its pages (or
      // died trying: with --shmem above the limit the filler is the victim).
      const pid_t filler = kit::spawn_until_ready([&](int ready) { return run_filler(memfd, shmem, ready); });
      std::fprintf(stderr, "shmem-fill: filler ready; group shmem %lld\n", kit::group_stat(params, "shmem"));
      for (;;) {
        kit::spawn([&] { return run_app(app); });
        for (pid_t gone = 0; gone != -1;) {
          gone = kit::wait_any_child();
          if (gone != filler) break;  // the filler's death alone changes nothing
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms));
      }
    });
  }
};

}  // namespace

std::unique_ptr<Scenario> make_shmem_fill_scenario() { return std::make_unique<ShmemFillScenario>(); }

}  // namespace oomlab::repro
