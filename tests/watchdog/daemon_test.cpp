// The daemon against a real process stuck in D state behind a held mmap
// lock (helpers/mmap_lock_stall.cpp), in a real memory cgroup: it must report
// every period on time, answer on its socket, never open the files that
// block behind that lock, and degrade cleanly without PSI or the kernel log.
#include <gtest/gtest.h>
#include <csignal>
#include <regex>
#include <sstream>
#include <sys/stat.h>
#include <thread>
#include <unistd.h>

#include "child.hpp"
#include "oomlab/cgroups/memory_cgroup.hpp"
#include "oomlab/common/subprocess.hpp"
#include "oomlab/facts/proc_stat.hpp"
#include "oomlab/formats/watchdog_status.hpp"

using namespace std::chrono_literals;
namespace formats = oomlab::formats;
using wdtest::bin;
using wdtest::Child;

namespace {

using wdtest::watchdog_records;

bool have(const char* path) {
  struct stat st;
  return ::stat(path, &st) == 0;
}

struct Stall {
  pid_t pid = 0, holder = 0, writer = 0;
};

// Temp paths for one daemon run, removed at the end.
struct RunFiles {
  std::string dir;
  RunFiles() {
    char tmpl[] = "/tmp/oomlab-wd-test-XXXXXX";
    dir = mkdtemp(tmpl);
  }
  ~RunFiles() {
    for (const char* f : {"/events.jsonl", "/stderr.log", "/ctl.sock", "/strace.log", "/oomlab-watchdog"})
      ::unlink((dir + f).c_str());
    ::rmdir(dir.c_str());
  }
  std::string events() const { return dir + "/events.jsonl"; }
  std::string err() const { return dir + "/stderr.log"; }
  std::string sock() const { return dir + "/ctl.sock"; }
  std::string strace() const { return dir + "/strace.log"; }
};

class MmapLockStall : public ::testing::Test {
 protected:
  void SetUp() override {
    if (std::string why = wdtest::lock_stall_unavailable(); !why.empty()) GTEST_SKIP() << why;
    std::string no_group;
    cg_ = wdtest::test_group("wdtest", 256ull << 20, &no_group);
    if (!cg_) GTEST_SKIP() << no_group;
    stall_child_ = std::make_unique<Child>(std::vector<std::string>{bin("oomlab-test-mmap-lock-stall"), "--seconds", "60"}, cg_.get());
    std::string ready = stall_child_->wait_line(60s);  // a loaded machine can be slow to get there
    ASSERT_EQ(std::sscanf(ready.c_str(), "ready %d holder=%d writer=%d", &stall_.pid, &stall_.holder, &stall_.writer), 3)
        << "stall helper did not get ready: '" << ready << "'";
    scope_ = "/" + cg_->name();
  }
  void TearDown() override {
    if (stall_child_) {
      EXPECT_EQ(stall_child_->stop(30s), 0) << "the stall helper did not end cleanly";
    }
    stall_child_.reset();
    cg_.reset();
  }
  char task_state(pid_t tid) {
    std::string s = wdtest::slurp("/proc/" + std::to_string(stall_.pid) + "/task/" + std::to_string(tid) + "/stat");
    oomlab::facts::ProcStat st;
    return oomlab::facts::parse_proc_stat(s, st) ? st.state : '?';
  }

  std::unique_ptr<oomlab::cgroups::MemoryCgroup> cg_;
  std::unique_ptr<Child> stall_child_;
  Stall stall_;
  std::string scope_;
};

}  // namespace

TEST_F(MmapLockStall, ReportsEveryPeriodOnTime) {
  RunFiles f;
  const auto period = 250ms;
  Child wd({bin("oomlab-watchdog"), "--period", "250ms", "--warn-after", "500ms", "--kill-after", "10m",
            "--socket", f.sock(), "--json-log", f.events(), "--scope", scope_},
           nullptr, f.err());
  // Up and reporting the writer (however long a loaded machine takes to start it).
  auto count = [&](const std::string& type, pid_t tid = 0) {
    std::size_t n = 0;
    for (const formats::WatchdogRecord& r : watchdog_records(f.events())) {
      const auto* t = std::get_if<formats::WdTask>(&r.payload);
      n += r.type == type && (!tid || (t && t->tid == tid));
    }
    return n;
  };
  ASSERT_TRUE(wdtest::wait_for([&] { return count("memalloc", stall_.writer) > 0 || !wd.running(); }, 60s))
      << wdtest::slurp(f.err());
  // The daemon answers while the stalled process blocks every mmap-lock reader.
  auto t0 = std::chrono::steady_clock::now();
  oomlab::ProcessSpec q({bin("oomlab-watchdog"), "status", "--socket", f.sock()});
  q.timeout = 10s;
  auto status = oomlab::run_process(q);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 2s);
  ASSERT_EQ(status.exit_code, 0) << status.err;
  std::string why;
  auto st = formats::decode_watchdog_status(status.out, &why);
  ASSERT_TRUE(st) << why << "\n" << status.out;
  bool listed = false;
  for (const formats::WsStall& s : st->stalls) listed |= s.tid == stall_.writer && s.kind == "mmap_lock";
  EXPECT_TRUE(listed) << status.out;
  // ~4 s of reports at 250 ms.
  wdtest::wait_for([&] { return count("memalloc_info") >= 14 || !wd.running(); }, 60s);
  ASSERT_EQ(task_state(stall_.writer), 'D') << "the stall must still be there at the end of the run";
  ASSERT_EQ(wd.stop(), 0) << wdtest::slurp(f.err());

  std::int64_t started = -1;
  std::vector<std::int64_t> reports;
  bool writer_line = false;
  for (const formats::WatchdogRecord& r : watchdog_records(f.events())) {
    if (r.type == "note" && started < 0) started = r.mono_ms;
    if (std::holds_alternative<formats::WdInfo>(r.payload)) reports.push_back(r.mono_ms);
    const auto* t = std::get_if<formats::WdTask>(&r.payload);
    if (t && t->tid == stall_.writer) {
      writer_line = true;
      EXPECT_EQ(t->kind, "mmap_lock");
      EXPECT_EQ(t->state, "D");
      EXPECT_EQ(t->cgroup, scope_);
      EXPECT_NE(r.line.find("MemAlloc: oomlab-test-mma(" + std::to_string(stall_.writer) + ")"), std::string::npos)
          << r.line;
    }
  }
  EXPECT_TRUE(writer_line);
  ASSERT_GE(started, 0);
  // Waited for above: 14 reports at 250 ms.
  ASSERT_GE(reports.size(), 10u) << wdtest::slurp(f.err());
  EXPECT_LE(reports.front() - started, 500 + 2 * period.count() + 300) << "first report late";
  for (std::size_t i = 1; i < reports.size(); ++i)
    EXPECT_LE(reports[i] - reports[i - 1], period.count() * 3 / 2 + 100) << "report " << i << " late";
}

TEST_F(MmapLockStall, NeverOpensFilesThatBlockBehindTheLock) {
  if (!have("/usr/bin/strace")) GTEST_SKIP() << "strace not installed (apt-get install strace)";
  RunFiles f;
  // --dry-run with a short --kill-after also runs the victim selection
  // (libproc2) over the stalled group.
  Child wd({"/usr/bin/strace", "-f", "-qq", "-e", "trace=open,openat,openat2", "-o", f.strace(), bin("oomlab-watchdog"),
            "--period", "250ms", "--warn-after", "500ms", "--kill-after", "1s", "--dry-run", "--socket", "",
            "--json-log", f.events(), "--scope", scope_},
           nullptr, f.err());
  // Until the dry-run decision (victim selection ran); strace slows the
  // daemon down, a loaded machine more so.
  auto decided = [&] {
    for (const formats::WatchdogRecord& r : watchdog_records(f.events()))
      if (const auto* k = std::get_if<formats::WdKill>(&r.payload); k && k->dry_run) return true;
    return false;
  };
  wdtest::wait_for([&] { return decided() || !wd.running(); }, 60s);
  ASSERT_EQ(task_state(stall_.writer), 'D');
  // SIGTERM goes to the daemon (strace would only detach): its pid is in
  // its first line, and strace exits with its status.
  std::string err = wdtest::slurp(f.err());
  pid_t daemon = 0;
  ASSERT_EQ(std::sscanf(err.c_str() + std::min(err.size(), err.find("oomlab-watchdog[")), "oomlab-watchdog[%d]", &daemon), 1) << err;
  ::kill(daemon, SIGTERM);
  EXPECT_EQ(wd.stop(10s), 0) << err;
  std::string trace = wdtest::slurp(f.strace());
  ASSERT_NE(trace.find("/proc/" + std::to_string(stall_.pid) + "/task/" + std::to_string(stall_.writer) + "/wchan"),
            std::string::npos)
      << "the run did not look at the stalled task at all";
  ASSERT_NE(trace.find("/proc/" + std::to_string(stall_.pid) + "/status"), std::string::npos)
      << "victim selection did not run";
  std::regex forbidden(R"re("/proc/(\d+)/(task/\d+/)?(cmdline|environ|maps|smaps|smaps_rollup|numa_maps|mem|pagemap)")re");
  std::string events = wdtest::slurp(f.events());
  for (auto it = std::sregex_iterator(trace.begin(), trace.end(), forbidden); it != std::sregex_iterator(); ++it)
    ADD_FAILURE() << "opened " << (*it)[0] << " (watchdog must never read it)";
  EXPECT_TRUE(decided()) << "no dry-run kill decision in the run:\n" << events;
}

TEST(WatchdogDaemon, RunsWithoutPsiOrKernelLogAndSaysSo) {
  RunFiles f;
  Child wd({bin("oomlab-watchdog"), "--period", "200ms", "--warn-after", "1s", "--psi-path", "/nonexistent/pressure/memory",
            "--kmsg-path", "/nonexistent/kmsg", "--kmsg-write", "--socket", f.sock(), "--json-log", f.events(),
            "--no-self-protect"},
           nullptr, f.err());
  // Until it has sampled a few times (and so has met both missing sources).
  auto scans = [&] {
    oomlab::ProcessSpec q({bin("oomlab-watchdog"), "metrics", "--socket", f.sock()});
    q.timeout = 10s;
    std::smatch m;
    const std::string out = oomlab::run_process(q).out;
    return std::regex_search(out, m, std::regex(R"(oomlab_watchdog_scans_total (\d+))")) ? std::stoi(m[1]) : 0;
  };
  wdtest::wait_for([&] { return scans() >= 3 || !wd.running(); }, 60s);
  oomlab::ProcessSpec q({bin("oomlab-watchdog"), "metrics", "--socket", f.sock()});
  q.timeout = 10s;
  auto metrics = oomlab::run_process(q);
  EXPECT_EQ(wd.stop(), 0);
  std::string err = wdtest::slurp(f.err());
  EXPECT_NE(err.find("no PSI trigger on /nonexistent/pressure/memory"), std::string::npos) << err;
  EXPECT_NE(err.find("cannot read the kernel log /nonexistent/kmsg"), std::string::npos) << err;
  EXPECT_NE(err.find("cannot write the kernel log /nonexistent/kmsg"), std::string::npos) << err;
  // ... and it still sampled.
  std::smatch m;
  ASSERT_TRUE(std::regex_search(metrics.out, m, std::regex(R"(oomlab_watchdog_scans_total (\d+))"))) << metrics.out;
  EXPECT_GE(std::stoi(m[1]), 3);
  EXPECT_NE(metrics.out.find("oomlab_watchdog_kill_to_freed_seconds_bucket"), std::string::npos);
}

TEST(WatchdogDaemon, NoPermissionForTheKernelLog) {
  if (geteuid() != 0 || !have("/usr/bin/setpriv")) GTEST_SKIP() << "needs root and setpriv to drop to nobody";
  RunFiles f;
  ::chmod(f.dir.c_str(), 0777);
  // nobody runs a copy in the run's directory: the build tree may be out of
  // its reach (a checkout in a 0700 directory).
  const std::string copy = wdtest::world_exec_copy("oomlab-watchdog", f.dir);
  Child wd({"/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--inh-caps=-all", copy,
            "--period", "200ms", "--warn-after", "1s", "--kmsg-write", "--socket", "", "--json-log", f.events()},
           nullptr, f.err());
  // Until it is up (a loaded machine can take seconds to start it).
  wdtest::wait_for(
      [&] {
        const std::string e = wdtest::slurp(f.err());
        return !wd.running() || (e.find("started:") != std::string::npos &&
                                 e.find("cannot write the kernel log") != std::string::npos);
      },
      60s);
  EXPECT_EQ(wd.stop(), 0);
  std::string err = wdtest::slurp(f.err());
  EXPECT_NE(err.find("cannot write the kernel log /dev/kmsg (Permission denied)"), std::string::npos) << err;
  EXPECT_NE(err.find("oom_score_adj unchanged"), std::string::npos) << "self-protection failure not reported: " << err;
  EXPECT_NE(err.find("started:"), std::string::npos) << err;
  // Unprivileged, the BPF task iterator cannot load: /proc, and why.
  EXPECT_NE(err.find("full scans read /proc ("), std::string::npos) << err;
}
