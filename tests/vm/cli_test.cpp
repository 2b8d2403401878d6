// oomlab-vm on bad input: every case fails before a guest exists, with one
// clear line and the documented exit code, and starts no qemu.
#include <gtest/gtest.h>

#include "vm_test_util.hpp"

using namespace oomlab::vm::testing_util;

namespace {

TEST(VmCli, HelpDescribesTheCommand) {
  auto r = run_vm({"--help"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.out.find("oomlab-vm run SCENARIO"), std::string::npos);
  EXPECT_NE(r.out.find("--guest-cmd"), std::string::npos);
  auto run_help = run_vm({"run", "--help"});
  EXPECT_EQ(run_help.exit_code, 0);
  EXPECT_NE(run_help.out.find("--kernel-package"), std::string::npos);
}

TEST(VmCli, UsageErrorsExitTwoWithOneLine) {
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{}, {"boot"}, {"run"}, {"run", "x", "--mem", "lots"}, {"run", "x", "--mem", "16M"},
        {"run", "x", "--cpus", "many"}, {"run", "x", "--timeout", "soon"}}) {
    auto r = run_vm(args);
    EXPECT_EQ(r.exit_code, 2) << ::testing::PrintToString(args) << r.err;
    EXPECT_EQ(r.err.rfind("oomlab-vm: ", 0), 0u) << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  }
}

TEST(VmCli, BadMemNamesTheValue) {
  auto r = run_vm({"run", "--guest-cmd", "true", "--mem", "512Q"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--mem"), std::string::npos);
  EXPECT_NE(r.err.find("512Q"), std::string::npos);
}

TEST(VmCli, MissingKernelFile) {
  TempDir tmp;
  std::string token = unique_token("missing-kernel");
  auto r = run_vm({"run", "--guest-cmd", "true", "--kernel", "/nonexistent/bzImage", "--reports", tmp.path.string(),
                   "--cache-dir", tmp.path.string(), "--append", token});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("/nonexistent/bzImage: no such file"), std::string::npos) << r.err;
  EXPECT_FALSE(qemu_running_with(token));
}

TEST(VmCli, KernelFileThatIsNotABzImage) {
  TempDir tmp;
  std::string fake = (tmp.path / "vmlinuz").string();
  FILE* f = std::fopen(fake.c_str(), "w");
  ASSERT_NE(f, nullptr);
  std::fputs("this is not a kernel\n", f);
  std::fclose(f);
  auto r = run_vm({"run", "--guest-cmd", "true", "--kernel", fake, "--reports", tmp.path.string(), "--cache-dir",
                   tmp.path.string()});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("not an x86 bzImage"), std::string::npos) << r.err;
}

TEST(VmCli, QemuMissingFromPath) {
  TempDir tmp;
  // A PATH with the tools the harness needs before qemu, but no qemu.
  auto r = run_vm({"run", "--guest-cmd", "true", "--reports", tmp.path.string(), "--cache-dir", tmp.path.string()},
                  {{"PATH", tmp.path.string()}, {"OOMLAB_QEMU", ""}});
  EXPECT_EQ(r.exit_code, 3) << r.err;
  EXPECT_NE(r.err.find("qemu-system-x86_64 not found"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("apt-get install qemu-system-x86"), std::string::npos) << r.err;
  EXPECT_TRUE(std::filesystem::is_empty(tmp.path)) << "nothing written before the check";
}

TEST(VmCli, ScenarioNeedsTheRunnerBinary) {
  TempDir tmp;
  auto r = run_vm({"run", "mmap-sem", "--bin-dir", tmp.path.string(), "--reports", tmp.path.string(), "--cache-dir",
                   tmp.path.string()});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("oomlab-repro is not built"), std::string::npos) << r.err;
}

TEST(VmCli, UnknownKernelPackageIsRefused) {
  TempDir tmp;
  auto r = run_vm({"run", "--guest-cmd", "true", "--kernel-package", "bash", "--reports", tmp.path.string(),
                   "--cache-dir", tmp.path.string()});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("expected a Debian kernel package"), std::string::npos) << r.err;
}

}  // namespace
