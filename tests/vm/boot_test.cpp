// oomlab-vm booting real guests (label vm): a memory-limited command that is
// OOM-killed end to end, a guest that hangs (sysrq dumps, hard timeout), a
// kernel that never boots, and the harness interrupted or killed. After each,
// no qemu process of the test may be left.
#include <csignal>
#include <algorithm>
#include <fcntl.h>
#include <fstream>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <thread>

#include "fs_util.hpp"
#include "oomlab/formats/vm_report.hpp"
#include "qemu.hpp"
#include "vm_test_util.hpp"

using namespace oomlab::vm::testing_util;
using oomlab::formats::VmReport;
namespace fs = std::filesystem;

namespace {

// The report directory the run wrote (the only one under REPORTS).
fs::path only_run_dir(const fs::path& reports) {
  fs::path found;
  for (const auto& e : fs::directory_iterator(reports))
    if (e.is_directory()) found = e.path();
  return found;
}

// The run's report.json through its codec; nullopt (and a failure naming
// why) when there is none or it does not decode.
std::optional<VmReport> read_report(const fs::path& run_dir) {
  auto text = oomlab::vm::read_file((run_dir / "report.json").string());
  std::string why = text ? "" : "no report.json in " + run_dir.string();
  auto r = text ? oomlab::formats::decode_vm_report(*text, &why) : std::nullopt;
  EXPECT_TRUE(r) << why;
  return r;
}

std::int64_t event(const std::vector<std::pair<std::string, std::int64_t>>& events, const std::string& name) {
  for (const auto& [k, v] : events)
    if (k == name) return v;
  return -1;
}

class VmBoot : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (oomlab::vm::find_qemu().empty()) {
      skip_reason_ = "qemu-system-x86_64 is not installed (apt-get install qemu-system-x86)";
      return;
    }
    // The default kernel, fetched once into the user's cache.
    auto r = run_vm({"fetch-kernel"}, {}, std::chrono::seconds(300));
    if (r.exit_code != 0) skip_reason_ = "cannot fetch the Debian kernel: " + r.err;
  }
  void SetUp() override {
    if (!skip_reason_.empty()) GTEST_SKIP() << skip_reason_;
  }
  static std::string skip_reason_;
  TempDir tmp_;
};
std::string VmBoot::skip_reason_;

TEST_F(VmBoot, MemoryHogInALimitedGroupIsOomKilledAndReported) {
  std::string token = unique_token("oom");
  auto r = run_vm({"run", "--guest-cmd", "dd if=/dev/zero of=/dev/null bs=200M count=1; echo dd-exit=$?",
                   "--guest-limit", "64M", "--timeout", "90s", "--reports", tmp_.path.string(), "--append", token});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  fs::path run_dir = only_run_dir(tmp_.path);
  ASSERT_FALSE(run_dir.empty()) << r.err;
  EXPECT_NE(run_dir.filename().string().find("-vm-cmd"), std::string::npos);
  auto rep = read_report(run_dir);
  ASSERT_TRUE(rep);
  EXPECT_EQ(rep->outcome, "completed");
  EXPECT_EQ(rep->end.how, "exited");
  EXPECT_TRUE(rep->end.sysrq_sent.empty());
  EXPECT_EQ(rep->guest.exit_code, 0);
  // The guest's own account (memory.events of the group) and the kernel's.
  ASSERT_TRUE(rep->guest.cmd) << oomlab::formats::encode_vm_guest_report(rep->guest);
  EXPECT_EQ(rep->guest.cmd->exit_code, 0);
  EXPECT_GE(event(rep->guest.cmd->memory_events, "oom_kill"), 1);
  EXPECT_EQ(rep->guest.cmd->memory_peak_bytes, 64ull << 20);
  std::string serial = oomlab::vm::read_file((run_dir / "serial.log").string()).value_or("");
  EXPECT_NE(serial.find("Memory cgroup out of memory: Killed process"), std::string::npos);
  EXPECT_NE(serial.find("dd-exit=137"), std::string::npos);
  EXPECT_FALSE(rep->kernel.release.empty());
  EXPECT_GT(rep->timing.boot_ms, 0);
  EXPECT_TRUE(fs::is_regular_file(run_dir / "report.html"));
  const oomlab::formats::VerdictDoc& console = rep->console_verdict;
  if (fs::is_regular_file(std::string(OOMLAB_BIN_DIR) + "/oomlab-analyze")) {
    ASSERT_TRUE(console.error.empty()) << console.error;
    EXPECT_FALSE(console.verdict.empty()) << console.raw;
    EXPECT_NE(console.verdict, "clean") << console.raw;
    // No guest outcome (a guest command): the one verdict is the console's.
    EXPECT_EQ(rep->verdict.cls, console.verdict);
    EXPECT_EQ(rep->verdict.from, "serial console");
  } else {
    EXPECT_FALSE(console.error.empty());
  }
  EXPECT_FALSE(qemu_running_with(token));
}

// The real thing: oomlab-repro runs a catalogue scenario in the guest. On the
// Debian 6.1 kernel the seed's mmap_sem pattern no longer livelocks
// (PLATFORM.md): the kernel kills the hog within seconds.
TEST_F(VmBoot, ScenarioRunsInTheGuestAndTheVerdictComesBack) {
  for (const char* bin : {"oomlab-repro", "oomlab-analyze"})
    if (!fs::is_regular_file(std::string(OOMLAB_BIN_DIR) + "/" + bin))
      GTEST_SKIP() << bin << " is not built in " OOMLAB_BIN_DIR;
  std::string token = unique_token("scenario");
  auto r = run_vm({"run", "mmap-sem", "--timeout", "120s", "--reports", tmp_.path.string(), "--append", token, "--",
                   "--limit", "128M", "--duration", "15s"});
  fs::path run_dir = only_run_dir(tmp_.path);
  ASSERT_FALSE(run_dir.empty()) << r.err;
  EXPECT_NE(run_dir.filename().string().find("-vm-mmap-sem"), std::string::npos);
  auto rep = read_report(run_dir);
  ASSERT_TRUE(rep) << r.err;
  EXPECT_EQ(rep->session, "completed") << r.out << r.err;
  EXPECT_EQ(r.exit_code, 0) << r.err;
  ASSERT_TRUE(rep->guest.summary) << oomlab::formats::encode_vm_guest_report(rep->guest);
  const oomlab::formats::RunSummary& guest = *rep->guest.summary;
  EXPECT_EQ(guest.schema, oomlab::formats::kRunSummarySchema);
  EXPECT_EQ(guest.scenario, "mmap-sem");
  EXPECT_EQ(guest.outcome, "oom_resolved") << oomlab::formats::encode_run_summary(guest);
  EXPECT_EQ(rep->outcome, guest.outcome);  // one outcome: the guest runner's
  EXPECT_EQ(rep->outcome_reason, guest.reason);
  EXPECT_GE(guest.oom_kills, 1);
  EXPECT_EQ(rep->guest.exit_code, guest.exit_code);
  // The runner's full report came back (its --report-dir named by the guest init).
  EXPECT_TRUE(std::find(rep->guest.files.begin(), rep->guest.files.end(), "guest-report.json") != rep->guest.files.end());
  EXPECT_TRUE(fs::is_regular_file(run_dir / "guest-report.json"));
  // The analyzer on the guest's console sees the same kill: one verdict, the console's.
  EXPECT_EQ(rep->console_verdict.verdict, "oom_resolved") << rep->console_verdict.raw;
  EXPECT_GT(rep->console_verdict.oom_events, 0u);
  EXPECT_EQ(rep->verdict.cls, "oom_resolved");
  EXPECT_EQ(rep->verdict.from, "serial console");
  EXPECT_FALSE(qemu_running_with(token));
}

TEST_F(VmBoot, HangingGuestGetsSysrqDumpsAndIsKilledAtTheTimeout) {
  std::string token = unique_token("hang");
  auto r = run_vm({"run", "--guest-cmd", "sleep 600", "--timeout", "45s", "--reports", tmp_.path.string(), "--append",
                   token});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.out.find("outcome: timed_out"), std::string::npos) << r.out;
  auto rep = read_report(only_run_dir(tmp_.path));
  ASSERT_TRUE(rep);
  // On the session's own clock (from qemu's start): the harness's set-up
  // before it (kernel, initramfs, the KVM probe) is no part of the timeout
  // and takes longer on a loaded machine.
  EXPECT_LT(rep->timing.elapsed_ms, 60'000) << "the hard timeout must hold";
  EXPECT_EQ(rep->outcome, "timed_out");
  EXPECT_EQ(rep->end.sysrq_sent, (std::vector<std::string>{"t", "w", "m"}));
  EXPECT_FALSE(rep->guest.exit_code);
  std::string serial = oomlab::vm::read_file((only_run_dir(tmp_.path) / "serial.log").string()).value_or("");
  EXPECT_NE(serial.find("sysrq: Show State"), std::string::npos);
  EXPECT_NE(serial.find("sysrq: Show Blocked State"), std::string::npos);
  EXPECT_NE(serial.find("sysrq: Show Memory"), std::string::npos);
  EXPECT_NE(serial.find("task:sleep"), std::string::npos);
  EXPECT_FALSE(qemu_running_with(token));
}

TEST_F(VmBoot, SilentGuestIsDeclaredStalledAndDumped) {
  // SIGSTOP to every process but init and the command's shell: the guest's
  // heartbeat stops too, and the console goes silent as in a global stall.
  std::string token = unique_token("stall");
  auto r = run_vm({"run", "--guest-cmd", "kill -STOP -1; sleep 600", "--stall-timeout", "8s", "--timeout", "90s",
                   "--reports", tmp_.path.string(), "--append", token});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  auto rep = read_report(only_run_dir(tmp_.path));
  ASSERT_TRUE(rep);
  EXPECT_EQ(rep->outcome, "stalled") << rep->session;
  EXPECT_EQ(rep->end.sysrq_sent, (std::vector<std::string>{"t", "w", "m"}));
  EXPECT_LT(rep->timing.elapsed_ms, 80000) << "ended by the stall rule, not the timeout";
  std::string serial = oomlab::vm::read_file((only_run_dir(tmp_.path) / "serial.log").string()).value_or("");
  EXPECT_NE(serial.find("state:T"), std::string::npos) << "sysrq-t shows the stopped tasks";
  EXPECT_FALSE(qemu_running_with(token));
}

TEST_F(VmBoot, KernelThatNeverBootsEndsWithAClearOutcome) {
  // A setup header that qemu accepts, followed by garbage: the guest dies in
  // firmware or in its first instructions and never reaches init.
  std::string image(1 << 20, '\xcc');
  image.replace(0x1FE, 2, "\x55\xAA");
  image.replace(0x202, 4, "HdrS");
  image[0x206] = 0x0f;  // boot protocol 2.15
  image[0x207] = 0x02;
  image[0x1F1] = 4;     // setup_sects
  std::string kernel = (tmp_.path / "bogus-bzImage").string();
  oomlab::vm::write_file_atomic(kernel, image);
  std::string token = unique_token("bogus");
  fs::create_directories(tmp_.path / "reports");
  auto r = run_vm({"run", "--guest-cmd", "true", "--kernel", kernel, "--timeout", "12s",
                   "--reports", (tmp_.path / "reports").string(), "--append", token});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.exit_code, 2) << "a bzImage that does not boot is not a usage error: " << r.err;
  auto rep = read_report(only_run_dir(tmp_.path / "reports"));
  ASSERT_TRUE(rep);
  const std::string& outcome = rep->outcome;
  EXPECT_TRUE(outcome == "boot_failed" || outcome == "no_boot") << outcome;
  EXPECT_EQ(rep->timing.boot_ms, -1);
  EXPECT_NE(r.out.find("boot never"), std::string::npos) << r.out;
  EXPECT_FALSE(qemu_running_with(token));
}

// Starts oomlab-vm in the background with a guest that sleeps; returns its pid
// once its qemu runs.
pid_t start_sleeping_vm(const fs::path& dir, const std::string& token) {
  pid_t pid = fork();
  if (pid == 0) {
    int fd = open((dir / "vm.out").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(fd, 1);
    dup2(fd, 2);
    std::string bin = vm_binary(), reports = (dir / "reports").string();
    execl(bin.c_str(), bin.c_str(), "run", "--guest-cmd", "sleep 600", "--timeout", "120s", "--reports",
          reports.c_str(), "--append", token.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  for (int i = 0; i < 300 && !qemu_running_with(token); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  return pid;
}

TEST_F(VmBoot, InterruptedHarnessKillsQemuAndStillWritesItsReport) {
  std::string token = unique_token("sigint");
  pid_t pid = start_sleeping_vm(tmp_.path, token);
  ASSERT_GT(pid, 0);
  ASSERT_TRUE(qemu_running_with(token)) << "qemu did not start";
  kill(pid, SIGINT);
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  EXPECT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 128 + SIGINT);
  EXPECT_FALSE(qemu_running_with(token));
  auto rep = read_report(only_run_dir(tmp_.path / "reports"));
  ASSERT_TRUE(rep);
  EXPECT_EQ(rep->outcome, "interrupted");
}

TEST_F(VmBoot, KilledHarnessTakesQemuAlong) {
  std::string token = unique_token("sigkill");
  pid_t pid = start_sleeping_vm(tmp_.path, token);
  ASSERT_GT(pid, 0);
  ASSERT_TRUE(qemu_running_with(token)) << "qemu did not start";
  kill(pid, SIGKILL);
  waitpid(pid, nullptr, 0);
  bool gone = false;
  for (int i = 0; i < 50 && !gone; ++i) {
    gone = !qemu_running_with(token);
    if (!gone) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_TRUE(gone) << "qemu outlived a SIGKILLed oomlab-vm";
}

}  // namespace
