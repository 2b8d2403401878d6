// A Debian guest with systemd as PID 1 (label vm): oomlab-vm builds the root
// file system once (mmdebstrap, as root) into the checkout's vm/cache/ and
// reuses it, boots it, enables oomlab-watchdog as its packaged service and
// runs a short scenario. Asserts what systemd itself reports: the boot
// reached multi-user.target, the Type=notify service started (systemctl
// start returns only after READY=1) and stayed active, and the scenario ran
// and came back with its verdict.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <unistd.h>

#include "fs_util.hpp"
#include "qemu.hpp"
#include "vm_test_util.hpp"

using namespace oomlab::vm::testing_util;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

fs::path only_run_dir(const fs::path& reports) {
  fs::path found;
  for (const auto& e : fs::directory_iterator(reports))
    if (e.is_directory()) found = e.path();
  return found;
}

bool on_path(const std::string& tool) {
  return oomlab::run_process(oomlab::ProcessSpec({"sh", "-c", "command -v " + tool})).exit_code == 0;
}

class VmDebian : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (oomlab::vm::find_qemu().empty()) {
      skip_reason_ = "qemu-system-x86_64 is not installed (apt-get install qemu-system-x86)";
      return;
    }
    for (const char* bin : {"oomlab-repro", "oomlab-watchdog", "oomlab-analyze"})
      if (!fs::is_regular_file(std::string(OOMLAB_BIN_DIR) + "/" + bin)) {
        skip_reason_ = std::string(bin) + " is not built in " OOMLAB_BIN_DIR;
        return;
      }
    // The kernel comes from the Debian archive, like the root: no archive, no test.
    auto r = run_vm({"fetch-kernel"}, {}, std::chrono::seconds(300));
    if (r.exit_code != 0) {
      skip_reason_ = "the Debian archive is not reachable (cannot fetch the kernel): " + r.err;
      return;
    }
    if (!on_path("mmdebstrap") && !fs::exists(cache_dir()))
      skip_reason_ = "mmdebstrap is not installed (scripts/setup-deps.sh installs it) and no root is cached";
  }
  void SetUp() override {
    if (!skip_reason_.empty()) GTEST_SKIP() << skip_reason_;
  }
  // A stable path: the root is built once per checkout (about 4 min on a busy
  // host) and reused by every later run; vm/cache/ is gitignored.
  static std::string cache_dir() { return std::string(OOMLAB_SOURCE_DIR) + "/vm/cache"; }
  static std::string skip_reason_;
  TempDir tmp_;
};
std::string VmDebian::skip_reason_;

TEST_F(VmDebian, WatchdogRunsAsItsPackagedServiceUnderSystemdAndTheScenarioRuns) {
  std::string token = unique_token("debian");
  auto r = run_vm({"run", "mmap-sem", "--rootfs", "debian", "--guard", "oomlab-watchdog", "--rootfs-cache", cache_dir(),
                   "--timeout", "15m", "--stall-timeout", "90s",
                   // The KVM probe can pass where nested KVM then hangs the guest kernel (seen on the
                   // build machines): TCG boots everywhere, systemd in ~30-40 s.
                   "--accel", "tcg", "--reports", tmp_.path.string(), "--append", token,
                   "--", "--limit", "128M", "--duration", "15s"},
                  {}, std::chrono::seconds(1800));
  EXPECT_FALSE(qemu_running_with(token));
  if (r.exit_code == 3 && r.err.find("needs root") != std::string::npos)
    GTEST_SKIP() << "the Debian root is not cached and building it needs root: " << r.err;
  fs::path run_dir = only_run_dir(tmp_.path);
  ASSERT_FALSE(run_dir.empty()) << r.err;
  auto text = oomlab::vm::read_file((run_dir / "report.json").string());
  ASSERT_TRUE(text) << r.err;
  json rep = json::parse(*text, nullptr, false);
  ASSERT_TRUE(rep.is_object());
  EXPECT_EQ(rep["session"], "completed") << r.out << r.err;
  EXPECT_EQ(rep["rootfs"]["kind"], "debian");
  EXPECT_TRUE(fs::is_regular_file(rep["rootfs"]["image"].get<std::string>()));

  // systemd reached the target.
  const json& sd = rep["systemd"];
  ASSERT_TRUE(sd["state"].is_object()) << sd.dump(2);
  EXPECT_EQ(sd["state"]["multi_user_target"], "active") << sd.dump(2);
  const std::string state = sd["state"]["system_state"].get<std::string>();
  EXPECT_TRUE(state == "running" || state == "degraded") << state << ", failed: " << sd["state"]["failed_units"];
  // The watchdog as a Type=notify service: the start job ended (READY=1 seen), active before and after the scenario.
  EXPECT_EQ(sd["guard_unit"], "oomlab-watchdog.service");
  EXPECT_EQ(sd["guard_type"], "notify");
  EXPECT_EQ(sd["guard_ready"], true) << sd.dump(2);
  EXPECT_EQ(sd["guard_active_after"], "active") << sd["guard_status"];
  EXPECT_EQ(sd["guard_restarts"], 0);
  // WatchdogSec=30s in the unit: the service manager saw WATCHDOG=1 pings (and a STATUS= line).
  EXPECT_EQ(sd["watchdog_pings_seen"], true) << sd.dump(2);
  EXPECT_NE(sd.value("guard_status_text", "").find("tasks="), std::string::npos) << sd.dump(2);
  EXPECT_NE(sd.value("guard_journal_tail", "").find("oomlab-watchdog"), std::string::npos) << sd.dump(2);
  EXPECT_TRUE(fs::is_regular_file(run_dir / "guard-journal.txt"));
  EXPECT_TRUE(fs::is_regular_file(run_dir / "security-oomlab-watchdog.txt"));

  // The scenario ran in the guest and its verdict came back.
  const json& guest = rep["guest"]["report"];
  ASSERT_TRUE(guest.is_object()) << rep["guest"].dump();
  EXPECT_EQ(guest["scenario"], "mmap-sem");
  EXPECT_TRUE(guest.contains("outcome")) << guest.dump();
  EXPECT_EQ(rep["guest"]["exit_code"], guest["exit_code"]);
  EXPECT_EQ(rep["outcome"], guest["outcome"]);  // one outcome: the guest runner's
  EXPECT_TRUE(rep["verdict"].contains("verdict")) << rep["verdict"].dump();
}

}  // namespace
