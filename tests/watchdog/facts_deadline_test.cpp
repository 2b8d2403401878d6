// Victim facts are read off the event loop, with a deadline. A fake /proc
// (--proc-root) and a fake memory hierarchy (--cgroup-root) hold one task
// stalled in reclaim in group /wdfake, whose only member's /proc/PID/cgroup
// is a FIFO: reading it blocks, as a /proc read stuck behind a kernel lock
// would. The watchdog must keep answering on its socket and reporting, say
// that the facts missed their deadline, and decide nothing (~6 s, no root).
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <thread>
#include <unistd.h>

#include "child.hpp"
#include "oomlab/common/procfs.hpp"
#include "oomlab/common/subprocess.hpp"
#include "oomlab/formats/watchdog_status.hpp"

using namespace std::chrono_literals;
namespace fs = std::filesystem;
using wdtest::bin;
using wdtest::Child;

namespace {

void write_file(const std::string& path, const std::string& text) {
  fs::create_directories(fs::path(path).parent_path());
  FILE* f = std::fopen(path.c_str(), "w");
  ASSERT_NE(f, nullptr) << path;
  std::fputs(text.c_str(), f);
  std::fclose(f);
}

}  // namespace

TEST(WatchdogFacts, LoopAnswersWhileAVictimFactReadBlocks) {
  char tmpl[] = "/tmp/oomlab-wd-facts-XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  const std::string dir = tmpl, proc = dir + "/proc", cg = dir + "/cgroup", sock = dir + "/ctl.sock";
  const std::string events = dir + "/events.jsonl", err = dir + "/stderr.log";
  // Two real sleepers: A plays the stalled task, B the group's only member
  // (libproc2 reads the real /proc for B; only its cgroup file is fake).
  Child a({"/bin/sleep", "60"}), b({"/bin/sleep", "60"});
  std::string stat = oomlab::read_proc_file("/proc/" + std::to_string(a.pid()) + "/stat").value_or("");
  auto close = stat.rfind(')');
  ASSERT_NE(close, std::string::npos);
  stat[close + 2] = 'D';
  const std::string pa = proc + "/" + std::to_string(a.pid()), pb = proc + "/" + std::to_string(b.pid());
  write_file(pa + "/stat", stat);
  write_file(pa + "/cgroup", "0::/wdfake\n");
  write_file(pa + "/task/" + std::to_string(a.pid()) + "/wchan", "try_to_free_mem_cgroup_pages");
  fs::create_directories(pb);
  ASSERT_EQ(::mkfifo((pb + "/cgroup").c_str(), 0600), 0) << std::strerror(errno);
  write_file(cg + "/wdfake/cgroup.procs", std::to_string(b.pid()) + "\n");

  Child wd({bin("oomlab-watchdog"), "--proc-root", proc, "--cgroup-root", cg, "--psi-path", "/nonexistent",
            "--period", "200ms", "--warn-after", "400ms", "--kill-after", "800ms", "--dry-run", "--no-stack",
            "--no-self-protect", "--socket", sock, "--json-log", events},
           nullptr, err);
  // kill-after, then the 2 s facts deadline (~3 s once running; waited for,
  // not slept: a loaded machine starts the daemon late).
  wdtest::wait_for(
      [&] {
        return !wd.running() ||
               wdtest::slurp(err).find("victim facts for cgroup /wdfake not read within") != std::string::npos;
      },
      60s);
  auto t0 = std::chrono::steady_clock::now();
  oomlab::ProcessSpec q({bin("oomlab-watchdog"), "status", "--socket", sock});
  q.timeout = 10s;
  auto status = oomlab::run_process(q);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 3s) << "the loop did not answer promptly";
  EXPECT_EQ(status.exit_code, 0) << status.err;
  std::string why;
  auto st = oomlab::formats::decode_watchdog_status(status.out, &why);
  ASSERT_TRUE(st) << why << "\n" << status.out;
  ASSERT_EQ(st->stalls.size(), 1u) << status.out;
  EXPECT_EQ(st->stalls[0].cgroup, "/wdfake");

  // Unblock the reader (a writer appears, writes, goes), then stop.
  int fd = ::open((pb + "/cgroup").c_str(), O_RDWR | O_NONBLOCK);
  ASSERT_GE(fd, 0);
  ASSERT_GT(::write(fd, "0::/wdfake\n", 11), 0);
  ::close(fd);
  std::this_thread::sleep_for(300ms);
  EXPECT_EQ(wd.stop(), 0);
  const std::string log = wdtest::slurp(err);
  EXPECT_NE(log.find("victim facts for cgroup /wdfake not read within 2000ms"), std::string::npos) << log;
  // Reports kept coming while the read blocked: ~3 s of reports at 200 ms.
  std::size_t reports = 0;
  for (const oomlab::formats::WatchdogRecord& r : wdtest::watchdog_records(events))
    reports += std::holds_alternative<oomlab::formats::WdInfo>(r.payload);
  EXPECT_GE(reports, 8u) << log;
  fs::remove_all(dir);
}
