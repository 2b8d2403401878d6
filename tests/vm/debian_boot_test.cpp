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

#include <cstdio>
#include <map>
#include <sstream>

#include "fs_util.hpp"
#include "oomlab/formats/vm_report.hpp"
#include "oomlab/formats/watchdog_log.hpp"
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

  // One boot of the Debian guest, the set-up every test here shares:
  // `oomlab-vm run ARGS` with this checkout's root cache, TCG, reports in a
  // scratch directory and a token on the kernel command line that finds any
  // qemu left behind. Fills proc_, run_dir_ and rep_ (the run's report.json,
  // its session completed). Skips when the root is not cached and building
  // it needs root. Call it as ASSERT_NO_FATAL_FAILURE(boot(...)), then
  // return if IsSkipped().
  void boot(std::vector<std::string> args, const std::vector<std::string>& scenario_args = {}) {
    const std::string token = unique_token("debian");
    args.insert(args.end(), {"--rootfs", "debian", "--rootfs-cache", cache_dir(), "--timeout", "15m",
                             "--stall-timeout", "90s",
                             // The KVM probe can pass where nested KVM then hangs the guest kernel (seen on the
                             // build machines): TCG boots everywhere, systemd in ~30-40 s.
                             "--accel", "tcg", "--reports", tmp_.path.string(), "--append", token});
    if (!scenario_args.empty()) {
      args.push_back("--");
      args.insert(args.end(), scenario_args.begin(), scenario_args.end());
    }
    proc_ = run_vm(args, {}, std::chrono::seconds(1800));
    EXPECT_FALSE(qemu_running_with(token));
    if (proc_.exit_code == 3 && proc_.err.find("needs root") != std::string::npos)
      GTEST_SKIP() << "the Debian root is not cached and building it needs root: " << proc_.err;
    run_dir_ = only_run_dir(tmp_.path);
    ASSERT_FALSE(run_dir_.empty()) << proc_.err;
    auto text = oomlab::vm::read_file((run_dir_ / "report.json").string());
    ASSERT_TRUE(text) << proc_.err;
    std::string why;
    auto rep = oomlab::formats::decode_vm_report(*text, &why);
    ASSERT_TRUE(rep) << why;
    rep_ = std::move(*rep);
    ASSERT_EQ(rep_.session, "completed") << proc_.out << proc_.err;
    ASSERT_TRUE(rep_.rootfs);
    EXPECT_EQ(rep_.rootfs->kind, "debian");
    EXPECT_TRUE(fs::is_regular_file(rep_.rootfs->image));
    ASSERT_TRUE(rep_.systemd);
  }

  // What systemd reports of oomlab-watchdog.service after a scenario run:
  // boot reached multi-user.target, the Type=notify start job ended (READY=1
  // seen), the service stayed active, pinged WatchdogSec and set STATUS=.
  void expect_watchdog_service() {
    const oomlab::formats::VmSystemd& sd = *rep_.systemd;
    const std::string status = sd.guard_status.value_or("(no guard-status.txt)");
    ASSERT_TRUE(sd.state) << sd.state_unparsed.value_or("no systemd.json came back");
    EXPECT_EQ(sd.state->multi_user_target, "active");
    const std::string& state = sd.state->system_state;
    EXPECT_TRUE(state == "running" || state == "degraded") << state << ", failed: " << sd.state->failed_units;
    EXPECT_EQ(sd.guard_unit, "oomlab-watchdog.service");
    ASSERT_TRUE(sd.guard_seen) << "no properties of the guard came back";
    EXPECT_EQ(sd.guard_type, "notify");
    EXPECT_TRUE(sd.guard_ready) << status;
    EXPECT_EQ(sd.guard_active_after, "active") << status;
    EXPECT_EQ(sd.guard_restarts, 0);
    EXPECT_TRUE(sd.guard_cpu_ms) << "CPUUsageNSec of the service (the peers bench's cost column)";
    // WatchdogSec=30s in the unit: the service manager saw WATCHDOG=1 pings (and a STATUS= line).
    EXPECT_EQ(sd.watchdog_pings_seen, true) << status;
    EXPECT_NE(sd.guard_status_text.find("tasks="), std::string::npos) << sd.guard_status_text;
    EXPECT_NE(sd.guard_journal_tail.value_or("").find("oomlab-watchdog"), std::string::npos)
        << sd.guard_journal_tail.value_or("(no journal)");
    EXPECT_TRUE(fs::is_regular_file(run_dir_ / "guard-journal.txt"));
    EXPECT_TRUE(fs::is_regular_file(run_dir_ / "security-oomlab-watchdog.txt"));
  }

  // The scenario ran in the guest and its verdict came back.
  void expect_scenario_report(const std::string& scenario) {
    ASSERT_TRUE(rep_.guest.summary) << oomlab::formats::encode_vm_guest_report(rep_.guest);
    const oomlab::formats::RunSummary& guest = *rep_.guest.summary;
    EXPECT_EQ(guest.scenario, scenario);
    EXPECT_FALSE(guest.outcome.empty()) << oomlab::formats::encode_run_summary(guest);
    EXPECT_EQ(rep_.guest.exit_code, guest.exit_code);
    EXPECT_EQ(rep_.outcome, guest.outcome);  // one outcome: the guest runner's
    // The runner's full report came back (its --report-dir named by the job script).
    EXPECT_TRUE(fs::is_regular_file(run_dir_ / "guest-report.json"));
    EXPECT_FALSE(rep_.console_verdict.verdict.empty()) << rep_.console_verdict.raw << rep_.console_verdict.error;
    EXPECT_FALSE(rep_.verdict.cls.empty());  // one verdict, agreeing with the outcome
  }

  static std::string skip_reason_;
  TempDir tmp_;
  oomlab::ProcessResult proc_;
  fs::path run_dir_;
  oomlab::formats::VmReport rep_;
};
std::string VmDebian::skip_reason_;

TEST_F(VmDebian, WatchdogRunsAsItsPackagedServiceUnderSystemdAndTheScenarioRuns) {
  ASSERT_NO_FATAL_FAILURE(boot({"run", "mmap-sem", "--guard", "oomlab-watchdog"}, {"--limit", "128M", "--duration", "15s"}));
  if (IsSkipped()) return;
  ASSERT_NO_FATAL_FAILURE(expect_watchdog_service());
  expect_scenario_report("mmap-sem");
}

// The root with the project's Debian package unpacked (--oomlab-deb) instead
// of cmake --install: the package cpack makes from this build (what
// tests/packaging/deb_test.sh checks with dpkg), its unit in /lib/systemd/system
// and its /usr/bin/oomlab-watchdog are what systemd runs.
TEST_F(VmDebian, WatchdogFromTheProjectsDebianPackageRunsAsItsService) {
  if (!on_path("cpack") || !on_path("dpkg-deb")) GTEST_SKIP() << "cpack or dpkg-deb is not installed: cannot make the package";
  TempDir pkg_dir;  // apart from the reports: boot() takes the one directory there as the run's
  const fs::path pkg = pkg_dir.path;
  oomlab::ProcessSpec cpack({"cpack", "-G", "DEB", "-B", pkg.string()});
  cpack.cwd = OOMLAB_BUILD_DIR;
  cpack.timeout = std::chrono::seconds(900);
  auto made = oomlab::run_process(cpack);
  ASSERT_EQ(made.exit_code, 0) << made.out << made.err;
  fs::path deb;
  for (const auto& e : fs::directory_iterator(pkg))
    if (e.path().extension() == ".deb") deb = e.path();
  ASSERT_FALSE(deb.empty()) << made.out;
  fs::remove_all(pkg / "_CPack_Packages");  // the staged tree: only the .deb is needed

  ASSERT_NO_FATAL_FAILURE(boot({"run", "mmap-sem", "--guard", "oomlab-watchdog", "--oomlab-deb", deb.string()},
                               {"--limit", "128M", "--duration", "15s"}));
  if (IsSkipped()) return;
  const oomlab::formats::VmRootfs& rootfs = *rep_.rootfs;
  EXPECT_EQ(rootfs.oomlab_from, "dpkg-deb -x " + deb.string());
  EXPECT_EQ(rootfs.watchdog_unit, "/lib/systemd/system/oomlab-watchdog.service");
  EXPECT_EQ(rootfs.watchdog_config, "/etc/oomlab/watchdog.json");
  EXPECT_FALSE(rootfs.watchdog_config_from_example);  // the package ships the config itself (a conffile)
  ASSERT_NO_FATAL_FAILURE(expect_watchdog_service());
  // systemd ran the package's unit, which starts the package's binary
  // (systemctl show's properties, as systemd names them).
  const auto& before = rep_.systemd->state->before;
  auto prop = [&](const char* k) { return before.count(k) ? before.at(k) : std::string("(absent)"); };
  EXPECT_EQ(prop("FragmentPath"), "/lib/systemd/system/oomlab-watchdog.service");
  EXPECT_EQ(prop("UnitFileState"), "enabled");
  EXPECT_NE(rep_.systemd->guard_status.value_or("").find("/usr/bin/oomlab-watchdog"), std::string::npos)
      << rep_.systemd->guard_status.value_or("(no guard-status.txt)");
  expect_scenario_report("mmap-sem");
}

// The watchdog SIGKILLed in the middle of a kill, as its installed unit under
// systemd (Restart=always): tests/vm/restart_mid_kill_guest.sh runs in the
// guest (a memory.high stall, a first choice held dying in a v1 freezer, the
// SIGKILL of MainPID once the victim has SIGKILL pending) and sends back the
// watchdog's JSON log of both instances and systemctl show before/after.
// Checked here: systemd restarted it (NRestarts + 1, a new MainPID, active),
// the dying victim got exactly one kill line (the new instance passed over
// it), every pid at most one, every kill inside the test's group, and the
// new instance did act on the stall that went on.
TEST_F(VmDebian, WatchdogSigkilledMidKillRestartsAndKillsNothingTwice) {
  auto script = oomlab::vm::read_file(std::string(OOMLAB_SOURCE_DIR) + "/tests/vm/restart_mid_kill_guest.sh");
  ASSERT_TRUE(script);
  ASSERT_NO_FATAL_FAILURE(boot({"run", "--guest-cmd", *script, "--guard", "oomlab-watchdog"}));
  if (IsSkipped()) return;
  const fs::path& run_dir = run_dir_;
  auto facts_txt = oomlab::vm::read_file((run_dir / "cmd-facts.txt").string());
  ASSERT_TRUE(facts_txt) << "the guest script sent no facts";
  if (facts_txt->find("error=no v1 freezer") != std::string::npos)
    GTEST_SKIP() << "the guest kernel has no v1 freezer to hold a killed process: " << *facts_txt;
  ASSERT_TRUE(rep_.guest.cmd) << *facts_txt << oomlab::formats::encode_vm_guest_report(rep_.guest);
  EXPECT_EQ(rep_.guest.cmd->exit_code, 0) << *facts_txt;
  // The result this test's own guest script (restart_mid_kill_guest.sh) wrote: its keys are the script's.
  const json res = json::parse(rep_.guest.cmd->result, nullptr, false);
  ASSERT_TRUE(res.is_object()) << *facts_txt << rep_.guest.cmd->result;

  // systemd restarted the unit: one more restart, a new main process, active.
  EXPECT_EQ(res["restarted"], "yes") << *facts_txt;
  EXPECT_EQ(res["nrestarts_after"].get<int>(), res["nrestarts_before"].get<int>() + 1) << *facts_txt;
  const int first = res["mainpid_before"], second = res["mainpid_after"];
  EXPECT_GT(first, 0);
  EXPECT_GT(second, 0);
  EXPECT_NE(first, second);
  auto after = oomlab::vm::read_file((run_dir / "cmd-show-after.txt").string());
  ASSERT_TRUE(after);
  EXPECT_NE(after->find("\nActiveState=active\n"), std::string::npos) << *after;
  // The precondition that makes the check mean something: the first choice
  // was still dying (SIGKILL pending, not exited) when the new instance ran.
  EXPECT_EQ(res["v_dying_when_restarted"], "yes") << *facts_txt;
  EXPECT_NE(facts_txt->find("v_sigkill_pending_at_watchdog_sigkill=yes"), std::string::npos) << *facts_txt;

  // Kill lines of both instances, by the instance that wrote them.
  auto events = oomlab::vm::read_file((run_dir / "cmd-events.jsonl").string());
  ASSERT_TRUE(events);
  std::map<long, int> kills;  // victim pid -> kill lines over both instances
  std::map<int, int> by_instance;
  std::istringstream in(*events);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty() && line.back() == '\r') line.pop_back();  // the serial console's line ends
    if (line.empty()) continue;                                  // the file's end (sent with a newline after it)
    std::string why;
    auto rec = oomlab::formats::decode_watchdog_record(line, &why);
    ASSERT_TRUE(rec) << why << ": " << line;
    const auto* k = std::get_if<oomlab::formats::WdKill>(&rec->payload);
    if (!k) continue;
    int wpid = 0;
    std::sscanf(rec->line.c_str(), "oomlab-watchdog[%d]", &wpid);
    ++kills[k->pid];
    ++by_instance[wpid];
    EXPECT_EQ(k->cgroup, "/oomlab.slice/wdrestart") << "a kill outside the test's group: " << line;
    EXPECT_FALSE(k->dry_run);
  }
  const long v = res["victim_v"], n = res["victim_n"], s = res["stall_s"];
  EXPECT_EQ(kills[v], 1) << "the dying victim was chosen again after the restart\n" << *events;
  for (const auto& [pid, count] : kills) {
    EXPECT_EQ(count, 1) << "pid " << pid << " has " << count << " kill lines";
    EXPECT_TRUE(pid == v || pid == n || pid == s) << "pid " << pid << " is not one of the test's processes";
  }
  EXPECT_EQ(by_instance[first], 1) << "the first instance was SIGKILLed after its first kill line";
  EXPECT_GE(by_instance[second], 1) << "the restarted instance did not act on the stall that went on";
  std::printf("guest facts:\n%sboot %lld ms, session %lld ms\n", facts_txt->c_str(),
              static_cast<long long>(rep_.timing.boot_ms), static_cast<long long>(rep_.timing.elapsed_ms));
  std::printf("restart mid-kill: restart_to_active=%dms mainpid %d -> %d, NRestarts %d -> %d; kill lines v=%d n=%d s=%d "
              "(first instance %d, second %d)\n",
              res["restart_to_active_ms"].get<int>(), first, second, res["nrestarts_before"].get<int>(),
              res["nrestarts_after"].get<int>(), kills[v], kills[n], kills[s], by_instance[first], by_instance[second]);
}

}  // namespace
