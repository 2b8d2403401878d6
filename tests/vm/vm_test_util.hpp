// Helpers of the oomlab-vm CLI and boot tests: run the binary, look for
// stray qemu processes by a token put on their command line.
#pragma once
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <unistd.h>
#include <vector>

#include "oomlab/common/subprocess.hpp"

namespace oomlab::vm::testing_util {

inline std::string vm_binary() { return std::string(OOMLAB_BIN_DIR) + "/oomlab-vm"; }

// A string unique to this test run, passed to the guest kernel with --append
// so that `pgrep -f TOKEN` finds exactly the qemu processes this test started.
inline std::string unique_token(const std::string& what) {
  return "oomlab.test=" + what + "-" + std::to_string(getpid()) + "-" +
         std::to_string(std::chrono::steady_clock::now().time_since_epoch().count());
}

inline bool qemu_running_with(const std::string& token) {
  oomlab::ProcessResult r = oomlab::run_process(oomlab::ProcessSpec({"pgrep", "-f", "qemu-system.*" + token}));
  return r.exit_code == 0;
}

inline oomlab::ProcessResult run_vm(std::vector<std::string> args, std::vector<std::pair<std::string, std::string>> env = {},
                                    std::chrono::seconds timeout = std::chrono::seconds(300)) {
  args.insert(args.begin(), vm_binary());
  oomlab::ProcessSpec spec(std::move(args));
  spec.env = std::move(env);
  spec.timeout = timeout;
  return oomlab::run_process(spec);
}

// A scratch directory removed at the end of the scope.
struct TempDir {
  std::filesystem::path path;
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "oomlab-vm-test.XXXXXX").string();
    path = mkdtemp(tmpl.data()) ? tmpl : std::string();
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
};

}  // namespace oomlab::vm::testing_util
