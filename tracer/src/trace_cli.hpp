// oomlab-trace command line: options and their parsing (unit tested).
#pragma once
#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace oomlab::tracer {

struct TraceCliOptions {
  bool help = false;
  bool json = false;
  bool no_bpf = false;
  bool lock_tracing = false;       // attach mmap_lock tracing for the whole run
  bool lock_on_pressure = false;   // attach it while memory PSI fires
  std::chrono::milliseconds duration{0};  // 0 = until SIGINT/SIGTERM
  std::chrono::milliseconds interval{1000};  // ongoing stalls report period, 0 = never
  std::chrono::nanoseconds reclaim_min{std::chrono::milliseconds(1)};
  std::chrono::nanoseconds lockwait_min{std::chrono::milliseconds(1)};
  std::chrono::milliseconds victim_timeout{5000};  // report victims not exited after this, 0 = never
  std::string cgroup;  // trace only tasks of this memory cgroup (directory) and below
  std::optional<std::string> decode_gfp;  // print the names of a mask and exit
};

struct TraceCliParse {
  TraceCliOptions options;
  std::string error;  // non-empty: usage error, exit 2
};

TraceCliParse parse_trace_cli(const std::vector<std::string>& args);
const char* trace_cli_usage();

}  // namespace oomlab::tracer
