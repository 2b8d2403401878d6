#include "serial_log.hpp"

#include <gtest/gtest.h>

using namespace oomlab::vm;

namespace {

TEST(SerialLog, SplitsMarkersReportAndKernelLog) {
  auto g = split_serial_log(
      "[    0.000000] Linux version 6.1.0-56-amd64\n"
      "OOMLAB-VM: booted kernel=6.1.0-56-amd64 uptime=2.94\n"
      "[    2.2] Memory cgroup out of memory: Killed process 105 (dd)\n"
      "OOMLAB-VM: report begin\n"
      "{\"a\": 1,\n"
      " \"b\": 2}\n"
      "OOMLAB-VM: report end\n"
      "OOMLAB-VM: exit code=3\n"
      "[    2.3] reboot: Power down");
  EXPECT_TRUE(g.booted);
  EXPECT_EQ(g.kernel_release, "6.1.0-56-amd64");
  EXPECT_DOUBLE_EQ(g.boot_uptime_s, 2.94);
  EXPECT_TRUE(g.report_complete);
  EXPECT_EQ(g.report, "{\"a\": 1,\n \"b\": 2}\n");
  ASSERT_TRUE(g.exit_code);
  EXPECT_EQ(*g.exit_code, 3);
  EXPECT_EQ(g.console.find("report"), std::string::npos);
  EXPECT_NE(g.console.find("Killed process 105"), std::string::npos);
  EXPECT_NE(g.console.find("Power down"), std::string::npos);
}

TEST(SerialLog, FilesSentBackByTheGuest) {
  auto g = split_serial_log(
      "OOMLAB-VM: file begin guest-report.json\n{\"timeline\": []}\n\nOOMLAB-VM: file end\n"
      "[    3.1] kernel line\n"
      "OOMLAB-VM: file begin ../etc/passwd\nx\nOOMLAB-VM: file end\n"
      "OOMLAB-VM: file begin cut.html\n<html>");
  ASSERT_EQ(g.files.count("guest-report.json"), 1u);
  EXPECT_EQ(g.files["guest-report.json"], "{\"timeline\": []}\n\n");
  EXPECT_EQ(g.files.count("../etc/passwd"), 0u) << "names with a path are not written as such";
  EXPECT_EQ(g.files.count("invalid"), 1u);
  EXPECT_EQ(g.files.count("cut.html"), 0u) << "an unfinished file is dropped";
  EXPECT_EQ(g.console, "[    3.1] kernel line\n");
}

TEST(SerialLog, GuestThatNeverBootedOrNeverFinished) {
  auto none = split_serial_log("SeaBIOS (version 1.16)\nBooting from ROM..\n");
  EXPECT_FALSE(none.booted);
  EXPECT_FALSE(none.exit_code);
  auto cut = split_serial_log("OOMLAB-VM: booted kernel=6.12.9 uptime=3.1\nOOMLAB-VM: report begin\n{\"partial\":");
  EXPECT_TRUE(cut.booted);
  EXPECT_TRUE(cut.report_begun);
  EXPECT_FALSE(cut.report_complete);
  EXPECT_FALSE(cut.exit_code);
}

TEST(SerialLog, MarkerAfterKernelNoiseOnTheSameLine) {
  // The console interleaves: a kernel message can stop mid-line before ours.
  auto g = split_serial_log("[   12.5] sysrq: Show StOOMLAB-VM: exit code=0\n");
  ASSERT_TRUE(g.exit_code);
  EXPECT_EQ(*g.exit_code, 0);
}

TEST(SerialLog, MarkerField) {
  EXPECT_EQ(marker_field("OOMLAB-VM: booted kernel=6.1 uptime=2", "kernel"), "6.1");
  EXPECT_EQ(marker_field("OOMLAB-VM: booted kernel=6.1 uptime=2", "uptime"), "2");
  EXPECT_EQ(marker_field("OOMLAB-VM: booted kernel=6.1", "code"), "");
}

}  // namespace
