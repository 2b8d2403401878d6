// page-cache-thrash: a file-backed working set larger than what the group can
// hold, no swap. Anonymous ballast takes part of the limit for good; readers
// then walk file mappings that together exceed the rest, so every pass evicts
// the pages the next pass needs. Reclaim always "succeeds" (clean page cache
// is easy to drop), so the OOM killer is never invoked, yet the tasks spend
// their time waiting for page-ins: the freeze that never reaches the OOM
// killer. memory.stat workingset_refault_file counts the refaults. The page
// cache must be real: on tmpfs/ramfs the "files" are shmem, which cannot be
// dropped, and the scenario would be a shmem fill instead.
#include <chrono>
#include <cstdio>
#include <fcntl.h>
#include <string>
#include <sys/mman.h>
#include <unistd.h>
#include <vector>

#include "catalogue.hpp"
#include "oomlab/common/units.hpp"
#include "scenario_kit.hpp"

namespace oomlab::repro {
namespace {

// Maps each file and reads one byte per page, forever. The first reader
// reports how long a pass over the working set takes (at most every 5 s): the
// slowdown against an unpressured pass is the cost of the thrashing.
int run_reader(const ScenarioParams& params, const std::vector<std::string>& files, std::size_t offset_files,
               bool report) {
  kit::name_task("cache-reader");
  const long page = ::sysconf(_SC_PAGESIZE);
  auto last_report = std::chrono::steady_clock::now() - std::chrono::seconds(5);
  for (std::size_t pass = 0;; ++pass) {
    const auto start = std::chrono::steady_clock::now();
    std::size_t bytes = 0;
    for (std::size_t i = 0; i < files.size(); ++i) {
      const std::string& path = files[(i + offset_files) % files.size()];
      const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
      if (fd < 0) return 1;
      const off_t size = ::lseek(fd, 0, SEEK_END);
      void* map = ::mmap(nullptr, static_cast<std::size_t>(size), PROT_READ, MAP_SHARED, fd, 0);
      ::close(fd);
      if (map == MAP_FAILED) return 1;
      volatile const char* p = static_cast<const char*>(map);
      unsigned sum = 0;
      for (off_t off = 0; off < size; off += page) sum += static_cast<unsigned char>(p[off]);
      (void)sum;
      ::munmap(map, static_cast<std::size_t>(size));
      bytes += static_cast<std::size_t>(size);
    }
    const auto now = std::chrono::steady_clock::now();
    if (report && now - last_report >= std::chrono::seconds(5)) {
      last_report = now;
      std::fprintf(stderr, "page-cache-thrash: pass %zu over %s took %lld ms; group refaults %lld\n", pass,
                   format_size(bytes).c_str(),
                   static_cast<long long>(std::chrono::duration_cast<std::chrono::milliseconds>(now - start).count()),
                   kit::group_stat(params, "workingset_refault_file"));
    }
  }
}

class PageCacheThrashScenario final : public Scenario {
 public:
  std::string_view name() const override { return "page-cache-thrash"; }
  std::string_view summary() const override {
    return "file working set larger than the limit, no swap: refaults forever, no OOM kill";
  }
  std::string_view details() const override {
    return "Anonymous ballast holds part of the limit (no swap: it never leaves), then readers walk "
           "mmap()ed files on the run's disk-backed work directory whose total exceeds what remains. Each "
           "pass evicts the pages the next pass needs: the group lives in reclaim and page-in waits, "
           "refaults (memory.stat workingset_refault_file) climb, memory PSI 'full' rises, and the OOM "
           "killer is never called because dropping clean page cache always makes progress. Needs a "
           "real disk: the work directory must not be on tmpfs/ramfs.";
  }
  std::vector<OptionSpec> options() const override {
    return {
        {"ballast", "50%", "anonymous memory held for the whole run (size or % of the limit, 0: none)"},
        {"working-set", "100%", "total size of the files read in a loop (size or % of the limit)"},
        {"files", "4", "number of files the working set is split into"},
        {"readers", "2", "reader processes (each starts at a different file)"},
    };
  }
  Requirements requirements() const override {
    Requirements r;
    r.needs_disk = true;
    return r;
  }

  int run_workload(const ScenarioParams& params) override {
    return kit::guarded(name(), [&]() -> int {
      kit::name_task("cache-thrash");
      kit::Options opt(params);
      const std::size_t ballast = opt.size("ballast", true);
      const std::size_t working_set = opt.size("working-set");
      const int nfiles = static_cast<int>(opt.integer("files", 1, 1000));
      const int readers = static_cast<int>(opt.integer("readers", 1, 256));
      if (kit::is_memory_backed_fs(params.work_dir))
        throw kit::WorkloadError("work dir " + params.work_dir + " is on " + kit::filesystem_name(params.work_dir) +
                                 ": its page cache cannot be reclaimed; give a directory on a disk (ext4, xfs)");

      std::vector<std::string> files;
      for (int i = 0; i < nfiles; ++i) {
        files.push_back(params.work_dir + "/thrash-" + std::to_string(i) + ".dat");
        kit::write_data_file(files.back(), working_set / static_cast<std::size_t>(nfiles));
      }
      if (ballast > 0) kit::spawn_until_ready([&](int ready) { return kit::hold_anon_ballast(ballast, ready); });
      for (int i = 0; i < readers; ++i)
        kit::spawn([&] { return run_reader(params, files, static_cast<std::size_t>(i * nfiles / readers), i == 0); });
      while (kit::wait_any_child() > 0) {
      }
      kit::sleep_forever();
    });
  }
};

}  // namespace

std::unique_ptr<Scenario> make_page_cache_thrash_scenario() {
  return std::make_unique<PageCacheThrashScenario>();
}

}  // namespace oomlab::repro
