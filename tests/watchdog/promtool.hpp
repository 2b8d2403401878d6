// promtool (Debian package prometheus, installed by scripts/setup-deps.sh):
// the reference checker of the Prometheus text format and of alert rules.
#pragma once
#include <cstdlib>
#include <sstream>
#include <string>
#include <unistd.h>

#include "oomlab/common/subprocess.hpp"

namespace wdtest {

// The promtool on PATH, "" when there is none.
inline std::string promtool() {
  const char* path = std::getenv("PATH");
  std::istringstream dirs(path ? path : "/usr/bin:/bin");
  for (std::string dir; std::getline(dirs, dir, ':');) {
    std::string p = (dir.empty() ? "." : dir) + "/promtool";
    if (::access(p.c_str(), X_OK) == 0) return p;
  }
  return "";
}

// `promtool check metrics` on text (exit 0 and no output = accepted; lint
// problems come on stdout/stderr with exit 3).
inline oomlab::ProcessResult promtool_check_metrics(const std::string& tool, const std::string& text) {
  oomlab::ProcessSpec spec({tool, "check", "metrics"});
  spec.stdin_data = text;
  spec.timeout = std::chrono::seconds(60);
  return oomlab::run_process(spec);
}

}  // namespace wdtest
