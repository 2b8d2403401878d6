// The Debian guest's pieces that need no VM: the command line, kernel series
// names, the package list, the per-run archive and the systemd part of the
// report from files a guest sent back.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "cpio.hpp"
#include "debian_guest.hpp"
#include "guard.hpp"
#include "kernel_series.hpp"
#include "options.hpp"
#include "rootfs.hpp"

using namespace oomlab::vm;

namespace {

RunOptions parse(std::vector<std::string> args) { return parse_run_options(args); }

TEST(DebianOptions, RootfsGuardAndKernelSeries) {
  RunOptions o = parse({"mmap-sem", "--rootfs", "debian", "--guard", "systemd-oomd", "--guard-config", "tuned",
                        "--kernel", "6.12", "--rootfs-cache", "/tmp/x"});
  EXPECT_EQ(o.rootfs, "debian");
  EXPECT_EQ(o.guard, "systemd-oomd");
  EXPECT_TRUE(o.guard_tuned);
  EXPECT_EQ(o.kernel_series, "6.12");
  EXPECT_TRUE(o.kernel_path.empty());
  EXPECT_EQ(o.rootfs_cache, "/tmp/x");
  EXPECT_EQ(o.timeout.count(), 8 * 60 * 1000);  // systemd under TCG: a longer default
  EXPECT_EQ(parse({"x", "--rootfs", "debian", "--timeout", "90s"}).timeout.count(), 90000);
  EXPECT_EQ(parse({"x", "--rootfs", "debian"}).guard, "none");
  EXPECT_EQ(parse({"x", "--kernel", "6.1-rt"}).kernel_series, "6.1-rt");
}

TEST(DebianOptions, BadCombinationsAreUsageErrors) {
  EXPECT_THROW(parse({"x", "--rootfs", "alpine"}), UsageError);
  EXPECT_THROW(parse({"x", "--rootfs", "debian", "--guard", "oomd"}), UsageError);
  EXPECT_THROW(parse({"x", "--guard", "earlyoom"}), UsageError);  // needs --rootfs debian
  EXPECT_THROW(parse({"x", "--rootfs", "debian", "--watchdog"}), UsageError);
  EXPECT_THROW(parse({"x", "--rootfs", "debian", "--disk"}), UsageError);
  EXPECT_THROW(parse({"x", "--rootfs", "debian", "--kernel", "/boot/vmlinuz"}), UsageError);
  EXPECT_THROW(parse({"x", "--rootfs", "debian", "--guard-config", "fast"}), UsageError);
  EXPECT_THROW(parse({"x", "--kernel", "6.12", "--kernel-package", "linux-image-6.1.0-56-amd64"}), UsageError);
  EXPECT_THROW(parse({"x", "--oomlab-deb", "x.deb"}), UsageError);
}

TEST(KernelSeries, NamesMapToMetapackagesAndAptCacheAnswers) {
  ASSERT_TRUE(find_kernel_series("6.1-rt"));
  EXPECT_EQ(find_kernel_series("6.1-rt")->metapackage, "linux-image-rt-amd64");
  EXPECT_FALSE(find_kernel_series("5.10"));
  // apt-cache depends output as bookworm prints it.
  EXPECT_EQ(depends_kernel_package("linux-image-6.12-amd64\n  Depends: linux-image-6.12.118+deb12-amd64\n"),
            "linux-image-6.12.118+deb12-amd64");
  EXPECT_EQ(depends_kernel_package("linux-image-amd64\n  Depends: <linux-image-6.1.0-99-amd64>\n"
                                   "  Depends: linux-image-6.1.0-57-amd64\n"),
            "linux-image-6.1.0-57-amd64");
  EXPECT_EQ(depends_kernel_package("linux-image-amd64\n  Recommends: firmware-linux-free\n"), "");
}

TEST(Rootfs, PackagesFromDpkgSearchAndTheIncludeList) {
  auto pkgs = packages_from_dpkg_search(
      "libcgroup2:amd64: /lib/x86_64-linux-gnu/libcgroup.so.2\n"
      "libstdc++6:amd64: /usr/lib/x86_64-linux-gnu/libstdc++.so.6\n"
      "diversion by dash from: /bin/sh\n"
      "dpkg-query: no path found matching pattern /opt/x.so\n"
      "libc6:amd64, libc6-i386: /lib64/ld-linux-x86-64.so.2\n");
  EXPECT_EQ(pkgs, (std::vector<std::string>{"libc6", "libc6-i386", "libcgroup2", "libstdc++6"}));
  auto all = debian_packages({"libproc2-0", "systemd"});
  for (const char* p : {"systemd", "systemd-sysv", "systemd-oomd", "earlyoom", "nohang", "libproc2-0"})
    EXPECT_NE(std::find(all.begin(), all.end(), p), all.end()) << p;
  EXPECT_EQ(std::count(all.begin(), all.end(), "systemd"), 1);
  EXPECT_TRUE(std::is_sorted(all.begin(), all.end()));
}

TEST(Rootfs, ConfigPathOfTheInstalledUnitAndCmakeCache) {
  EXPECT_EQ(config_path_of_unit("[Service]\nType=notify\nExecStart=/usr/local/bin/oomlab-watchdog --config "
                                "/usr/local/etc/oomlab/watchdog.json --socket /run/x.sock\n"),
            "/usr/local/etc/oomlab/watchdog.json");
  EXPECT_EQ(config_path_of_unit("ExecStart=/usr/bin/earlyoom $EARLYOOM_ARGS\n"), "");
  EXPECT_EQ(cmake_cache_value("CMAKE_BUILD_TYPE:STRING=Release\nCMAKE_INSTALL_PREFIX:PATH=/usr/local\n",
                              "CMAKE_INSTALL_PREFIX"),
            "/usr/local");
  EXPECT_EQ(cmake_cache_value("CMAKE_INSTALL_PREFIX_X:PATH=/x\n", "CMAKE_INSTALL_PREFIX"), "");
}

TEST(Guard, NamesUnitsAndTunedFiles) {
  for (Guard g : all_guards()) EXPECT_EQ(parse_guard(guard_name(g)), g);
  EXPECT_FALSE(parse_guard("oomd"));
  EXPECT_EQ(guard_unit(Guard::systemd_oomd), "systemd-oomd.service");
  EXPECT_TRUE(guard_unit(Guard::none).empty());
  // Packaged defaults: no file of ours.
  for (Guard g : all_guards()) EXPECT_TRUE(guard_files(g, false, 5, "/etc/oomlab/watchdog.json").empty());
  auto w = guard_files(Guard::oomlab_watchdog, true, 5, "/usr/local/etc/oomlab/watchdog.json");
  ASSERT_EQ(w.size(), 1u);
  EXPECT_EQ(w[0].path, "/usr/local/etc/oomlab/watchdog.json");
  auto cfg = nlohmann::json::parse(w[0].content);
  EXPECT_EQ(cfg["kill-after"], "5s");
  EXPECT_EQ(cfg["watch-cgroup"][0], "/sys/fs/cgroup/oomlab.slice");
  auto o = guard_files(Guard::systemd_oomd, true, 5, "");
  ASSERT_EQ(o.size(), 1u);
  EXPECT_NE(o[0].content.find("DefaultMemoryPressureDurationSec=5s"), std::string::npos);
  auto n = guard_files(Guard::nohang, true, 5, "");
  ASSERT_EQ(n.size(), 1u);
  EXPECT_NE(n[0].content.find("psi_path = /sys/fs/cgroup/oomlab.slice/memory.pressure"), std::string::npos);
  EXPECT_NE(n[0].content.find("psi_excess_duration = 5\n"), std::string::npos);
  EXPECT_NE(scenario_slice_unit(Guard::systemd_oomd, false).find("ManagedOOMMemoryPressure=kill"), std::string::npos);
  EXPECT_EQ(scenario_slice_unit(Guard::systemd_oomd, false).find("ManagedOOMMemoryPressureLimit"), std::string::npos);
  EXPECT_NE(scenario_slice_unit(Guard::systemd_oomd, true).find("ManagedOOMMemoryPressureLimit="), std::string::npos);
  // The property pulls systemd-oomd in: the other guards' runs must not have it.
  EXPECT_EQ(scenario_slice_unit(Guard::oomlab_watchdog, true).find("ManagedOOM"), std::string::npos);
}

TEST(DebianJob, ArchiveCarriesTheJobItsUnitTheSliceAndTunedConfig) {
  DebianJob job;
  job.generic_env = "export OOMLAB_MODE=scenario\n";
  job.guard = Guard::nohang;
  job.tuned = true;
  std::map<std::string, std::string> files;
  std::set<std::string> dirs;
  ASSERT_TRUE(for_each_cpio_entry(debian_job_archive(job), [&](const CpioEntry& e) {
    if ((e.mode & 0170000) == 0040000) EXPECT_TRUE(dirs.insert(e.path).second) << "directory twice: " << e.path;
    else files[e.path] = e.data;
  }));
  const std::string root = "oomlab-debian/root";
  ASSERT_TRUE(files.count(root + "/etc/oomlab/job.sh"));
  EXPECT_NE(files[root + "/etc/oomlab/job.sh"].find("OOMLAB_MODE=scenario"), std::string::npos);
  EXPECT_NE(files[root + "/etc/oomlab/job.sh"].find("OOMLAB_GUARD_UNIT='nohang.service'"), std::string::npos);
  EXPECT_EQ(files[root + "/usr/lib/oomlab-vm/job.sh"], std::string(debian_job_script()));
  EXPECT_NE(files[root + "/etc/systemd/system/oomlab-vm-job.service"].find("TTYPath=/dev/console"), std::string::npos);
  EXPECT_TRUE(files.count(root + "/etc/systemd/system/oomlab.slice"));
  EXPECT_TRUE(files.count(root + "/etc/nohang/nohang.conf"));
  EXPECT_TRUE(dirs.count(root + "/etc/nohang"));
  // Every file's directory is in the archive before it.
  for (const auto& [path, body] : files) EXPECT_TRUE(dirs.count(path.substr(0, path.rfind('/')))) << path;
  // The scripts carry the marker lines of serial_log.hpp.
  EXPECT_NE(debian_job_script().find(std::string(kBootedMarker)), std::string::npos);
  EXPECT_NE(debian_job_script().find(std::string(kReportBegin)), std::string::npos);
  EXPECT_NE(debian_init_script().find("switch_root /newroot /sbin/init"), std::string::npos);
}

TEST(DebianReport, ReadinessAndWatchdogPingsFromTheGuardsProperties) {
  GuestOutput g;
  g.files["systemd.json"] = R"({"system_state": "running", "multi_user_target": "active", "systemd_version": "252",
    "failed_units": "", "guard": {"unit": "oomlab-watchdog.service", "enable_exit_code": 0, "enable_ms": 812,
    "before": {"Type": "notify", "ActiveState": "active", "WatchdogUSec": "30s", "WatchdogTimestampMonotonic": "41000000"},
    "after": {"Type": "notify", "ActiveState": "active", "WatchdogUSec": "30s", "WatchdogTimestampMonotonic": "71000000",
              "NRestarts": "0"}}, "job_exit_code": 0})";
  g.files["guard-journal.txt"] = "line1\nline2\n";
  g.files["guard-status.txt"] = "* oomlab-watchdog.service - oomlab watchdog\n";
  DebianJob job;
  job.guard = Guard::oomlab_watchdog;
  g.files["systemd.json"].replace(g.files["systemd.json"].find("\"NRestarts\""), 0, "\"CPUUsageNSec\": \"1250000\", ");
  auto r = debian_systemd_report(g, job);
  ASSERT_TRUE(r.state);
  EXPECT_EQ(r.state->system_state, "running");
  EXPECT_EQ(r.state->enable_ms, 812);
  EXPECT_TRUE(r.guard_seen);
  EXPECT_TRUE(r.guard_ready);
  EXPECT_EQ(r.guard_type, "notify");
  EXPECT_EQ(r.watchdog_pings_seen, true);
  EXPECT_EQ(r.guard_restarts, 0);
  EXPECT_EQ(r.guard_cpu_ms, 1.25);  // CPUUsageNSec, for the peers bench's cost column
  EXPECT_EQ(r.guard_journal_tail, "line1\nline2\n");
  // No ping while the scenario ran, and a start that failed.
  g.files["systemd.json"] = R"({"guard": {"enable_exit_code": 1, "before": {"ActiveState": "failed", "WatchdogUSec": "30s",
    "WatchdogTimestampMonotonic": "41000000"}, "after": {"WatchdogUSec": "30s", "WatchdogTimestampMonotonic": "41000000"}}})";
  r = debian_systemd_report(g, job);
  EXPECT_FALSE(r.guard_ready);
  EXPECT_EQ(r.watchdog_pings_seen, false);
  EXPECT_EQ(r.guard_cpu_ms, std::nullopt);
  // Not JSON: kept as text.
  g.files["systemd.json"] = "{\"system_state\": \"runn";
  r = debian_systemd_report(g, job);
  EXPECT_FALSE(r.state);
  EXPECT_EQ(r.state_unparsed, g.files["systemd.json"]);
  // Nothing came back.
  r = debian_systemd_report(GuestOutput{}, job);
  EXPECT_FALSE(r.state);
  EXPECT_FALSE(r.state_unparsed);
  EXPECT_FALSE(r.guard_seen);
  EXPECT_FALSE(r.guard_status);
}

}  // namespace
