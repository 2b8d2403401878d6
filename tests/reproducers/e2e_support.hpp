// Helpers for the tests that drive oomlab-repro-testbin like a user would.
#pragma once
#include <gtest/gtest.h>

#include <dirent.h>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <unistd.h>
#include <vector>

#include "oomlab/cgroups/hierarchy.hpp"
#include "oomlab/common/procfs.hpp"
#include "oomlab/common/subprocess.hpp"
#include "oomlab/facts/proc_stat.hpp"
#include "oomlab/formats/report.hpp"
#include "oomlab/formats/run_summary.hpp"

namespace e2e {

inline std::string testbin() { return std::string(OOMLAB_BIN_DIR) + "/oomlab-repro-testbin"; }

#define OOMLAB_SKIP_WITHOUT_MEMCG()                                                                      \
  do {                                                                                                   \
    if (geteuid() != 0) GTEST_SKIP() << "needs root (memory cgroups, /dev/kmsg)";                        \
    if (!oomlab::cgroups::host_hierarchy().has_memory()) GTEST_SKIP() << "no memory cgroup controller"; \
  } while (0)

inline std::string temp_dir() {
  char tmpl[] = "/tmp/oomlab-repro-test-XXXXXX";
  return mkdtemp(tmpl) ? tmpl : "/tmp";
}

inline oomlab::ProcessResult run(std::vector<std::string> args) {
  args.insert(args.begin(), testbin());
  oomlab::ProcessSpec spec(args);
  spec.timeout = std::chrono::seconds(90);
  return oomlab::run_process(spec);
}

// report.json through its one codec (formats/report.hpp), as every tool
// reads it: a renamed field breaks the build, not silently a test. nullopt
// (with *why) when the file is missing or not an oomlab.report/2 document.
inline std::optional<oomlab::formats::Report> read_report(const std::string& path, std::string* why = nullptr) {
  std::ifstream f(path);
  if (!f) {
    if (why) *why = "cannot open \"" + path + "\"";
    return std::nullopt;
  }
  std::ostringstream text;
  text << f.rdbuf();
  return oomlab::formats::decode_report(text.str(), why);
}

// The `report_json` path from a --json summary line (formats::RunSummary).
inline std::string report_path(const std::string& out) {
  auto s = oomlab::formats::decode_run_summary(out);
  return s ? s->report_json : "";
}

// Groups (in any hierarchy) named after a runner pid: "repro-<pid>-...".
inline std::vector<std::string> groups_of(pid_t runner) {
  std::vector<std::string> out;
  const auto& h = oomlab::cgroups::host_hierarchy();
  const std::string prefix = "repro-" + std::to_string(runner) + "-";
  for (const std::string& root : {h.memory_root, h.unified_root, h.freezer_root}) {
    if (root.empty()) continue;
    if (DIR* d = opendir((root + "/oomlab").c_str())) {
      while (dirent* e = readdir(d))
        if (std::string(e->d_name).rfind(prefix, 0) == 0) out.push_back(root + "/oomlab/" + e->d_name);
      closedir(d);
    }
  }
  return out;
}

// Live (not zombie) tasks whose comm starts with `prefix` ("oomlab-t").
inline std::vector<pid_t> live_tasks_named(const std::string& prefix) {
  std::vector<pid_t> out;
  DIR* d = opendir("/proc");
  if (!d) return out;
  while (dirent* e = readdir(d)) {
    pid_t pid = static_cast<pid_t>(std::atoi(e->d_name));
    if (pid <= 0) continue;
    auto stat = oomlab::read_proc_file("/proc/" + std::to_string(pid) + "/stat");
    if (!stat) continue;
    oomlab::facts::ProcStat st;
    if (!oomlab::facts::parse_proc_stat(*stat, st)) continue;
    if (std::string_view(st.comm).rfind(prefix, 0) == 0 && st.state != 'Z' && st.state != 'X') out.push_back(pid);
  }
  closedir(d);
  return out;
}

}  // namespace e2e
