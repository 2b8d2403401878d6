// mmap-sem: the pattern of the 2015 linux-mm report ("Can't we use timeout
// based OOM warning/killing?"), rewritten for this project.
//
// Three parties share one memory cgroup:
//  - the victim: a process whose raw CLONE_VM tasks (plus its main thread) map
//    and unmap one page of a file in a loop, so its mmap lock always has
//    writers queued;
//  - readers: processes re-reading /proc/VICTIM/{stat,cmdline,maps}, which take
//    the victim's mmap lock for reading on the kernels where that file does;
//  - the hog: grows a buffer by doubling with realloc() (overcommitted, never
//    touched) and then fills it from /dev/zero with read(), so the page faults
//    happen inside the kernel's copy to user space and drive the group into OOM.
// In 2015 the OOM killer chose the victim (the hog's "child" in the old
// heuristic); its writers then waited for an mmap lock that a reader could
// not release because it waited for memory. Modern kernels do not sacrifice
// children, so the victim's oom_score_adj (default 1000) makes it the first
// choice again. Each round ends when the hog is gone; the next round starts
// with fresh tasks so the pattern repeats until the deadline.
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <string>
#include <sys/mman.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <vector>

#include "catalogue.hpp"
#include "scenario_kit.hpp"

namespace oomlab::repro {
namespace {

int map_unmap_forever(void* arg) {
  const int fd = *static_cast<int*>(arg);
  for (;;) {
    void* p = ::mmap(nullptr, 4096, PROT_READ, MAP_PRIVATE, fd, 0);
    if (p != MAP_FAILED) ::munmap(p, 4096);
  }
  return 0;
}

int run_victim(const std::string& map_file, int threads, int oom_score_adj, std::size_t rss) {
  kit::name_task("mmap-victim");
  kit::set_oom_score_adj(oom_score_adj);
  // Some resident memory of its own: with oom_score_adj 1000 it then always
  // outscores a hog that can never exceed the limit.
  if (rss > 0) {
    void* mem = ::mmap(nullptr, rss, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (mem != MAP_FAILED) kit::touch_pages(mem, rss);
  }
  static int fd = -1;  // static: the raw clones read it through a pointer
  fd = ::open(map_file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw kit::WorkloadError("open " + map_file + ": " + std::strerror(errno));
  for (int i = 0; i < threads; ++i) kit::clone_vm_task(map_unmap_forever, &fd);
  return map_unmap_forever(&fd);
}

int run_reader(pid_t victim, const std::string& file) {
  kit::name_task("proc-reader");
  // Deliberately the read a monitor must never do (oomlab::read_proc_file
  // refuses it): this process is part of the workload, not a monitor.
  const std::string path = "/proc/" + std::to_string(victim) + "/" + file;
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 1;
  char buf[4096];
  while (::pread(fd, buf, sizeof buf, 0) >= 0) {
  }
  return 0;  // the victim is gone
}

int run_hog(int oom_score_adj) {
  kit::name_task("zero-hog");
  kit::set_oom_score_adj(oom_score_adj);
  char* buf = nullptr;
  std::size_t size = 0;
  for (std::size_t next = 1 << 20; next <= (std::size_t{1} << 39); next <<= 1) {
    auto* grown = static_cast<char*>(std::realloc(buf, next));
    if (!grown) break;  // the overcommit heuristic said no: keep the last size
    buf = grown;
    size = next;
  }
  const int zero = ::open("/dev/zero", O_RDONLY | O_CLOEXEC);
  if (zero < 0 || !buf) return 1;
  // One read() fills at most ~2 GiB: loop until the buffer is full (it never
  // is inside a limited group: the OOM killer ends this).
  for (std::size_t done = 0; done < size;) {
    ssize_t n = ::read(zero, buf + done, size - done);
    if (n <= 0) break;
    done += static_cast<std::size_t>(n);
  }
  return 0;
}

class MmapSemScenario final : public Scenario {
 public:
  std::string_view name() const override { return "mmap-sem"; }
  std::string_view summary() const override {
    return "the 2015 seed: CLONE_VM mmap/munmap writers, a /proc reader of them, an overcommitting hog";
  }
  std::string_view details() const override {
    return "A victim process whose raw CLONE_VM tasks map and unmap one page of a file in a loop "
           "(mmap lock writers), N processes re-reading the victim's /proc/PID/<reader-file> (cmdline "
           "and maps take the mmap lock for reading; stat did in 2015 and no longer does), and a hog "
           "that grows a buffer by doubling with realloc() and fills it from /dev/zero with read(). The "
           "victim's oom_score_adj (default 1000) makes the OOM killer choose it, as the 2015 kernel did "
           "through 'sacrifice child': the question is whether the victim can exit while its writers and "
           "the readers contend on its mmap lock. Rounds repeat until the deadline. On 6.x kernels the "
           "kill resolves within seconds (down_write_killable); on the 2015 kernel it livelocked.";
  }
  std::vector<OptionSpec> options() const override {
    return {
        {"threads", "9", "CLONE_VM writer tasks in the victim (plus its main thread)"},
        {"readers", "1", "processes re-reading the victim's /proc file"},
        {"reader-file", "cmdline", "the /proc/PID file they read: stat, cmdline or maps"},
        {"victim-oom-score-adj", "1000", "oom_score_adj of the victim (-1000..1000)"},
        {"victim-rss", "10%", "anonymous memory the victim touches (size or % of the limit)"},
        {"hog-oom-score-adj", "0", "oom_score_adj of the hog (-1000..1000)"},
        {"rounds", "0", "victim+readers+hog rounds to run (0: until the deadline)"},
    };
  }

  int run_workload(const ScenarioParams& params) override {
    return kit::guarded(name(), [&]() -> int {
      kit::name_task("mmap-sem");
      kit::Options opt(params);
      const int threads = static_cast<int>(opt.integer("threads", 0, 1000));
      const int readers = static_cast<int>(opt.integer("readers", 0, 1000));
      const std::string file = opt.choice("reader-file", {"stat", "cmdline", "maps"});
      const int victim_adj = static_cast<int>(opt.integer("victim-oom-score-adj", -1000, 1000));
      const std::uint64_t victim_rss = opt.size("victim-rss");
      const int hog_adj = static_cast<int>(opt.integer("hog-oom-score-adj", -1000, 1000));
      const long rounds = opt.integer("rounds", 0, 1000000);

      const std::string map_file = params.work_dir + "/mmap-sem.page";
      {
        const int fd = ::open(map_file.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        if (fd < 0 || ::ftruncate(fd, 4096) != 0)
          throw kit::WorkloadError("cannot create " + map_file + ": " + std::strerror(errno));
        ::close(fd);
      }
      // The supervisor keeps the runner's oom_score_adj: it is tiny, so the
      // OOM killer prefers the hog or the victim (lowering it to -1000 would
      // need CAP_SYS_RESOURCE, which a container often lacks).
      for (long round = 0; rounds == 0 || round < rounds; ++round) {
        std::vector<pid_t> others;
        const pid_t victim = kit::spawn([&] { return run_victim(map_file, threads, victim_adj, victim_rss); });
        others.push_back(victim);
        for (int i = 0; i < readers; ++i) others.push_back(kit::spawn([&] { return run_reader(victim, file); }));
        const pid_t hog = kit::spawn([&] { return run_hog(hog_adj); });
        // The round lasts as long as the hog: killed by the OOM killer, or
        // (without a limit) finished.
        const auto started = std::chrono::steady_clock::now();
        int status = 0;
        for (pid_t pid = 0; pid != hog && pid != -1;) pid = kit::wait_any_child(&status);
        std::fprintf(stderr, "mmap-sem: round %ld: hog %s after %lld ms\n", round,
                     WIFSIGNALED(status) ? strsignal(WTERMSIG(status)) : "exited",
                     static_cast<long long>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                                std::chrono::steady_clock::now() - started)
                                                .count()));
        for (pid_t pid : others) ::kill(pid, SIGKILL);
        while (kit::wait_any_child() > 0) {
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
      }
      kit::sleep_forever();
    });
  }
};

}  // namespace

std::unique_ptr<Scenario> make_mmap_sem_scenario() { return std::make_unique<MmapSemScenario>(); }

}  // namespace oomlab::repro
