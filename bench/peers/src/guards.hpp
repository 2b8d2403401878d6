// The guards compared: how each is started against one workload group, with
// which thresholds, and how its log says that it killed something (a pattern
// table in the style of syzkaller's pkg/report: one entry per tool).
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <sys/types.h>
#include <vector>

#include "child.hpp"

namespace oomlab::peers {

enum class GuardKind { none, oomlab, earlyoom, nohang };
std::string_view guard_name(GuardKind g);
std::optional<GuardKind> parse_guard(std::string_view name);

// The one threshold every guard gets as far as it can express it: act when
// memory has been stalled this long (oomlab-watchdog --kill-after, nohang
// psi_excess_duration; earlyoom has no time threshold).
inline constexpr int kActAfterSeconds = 5;

// Where the workload lives, for guards that can be pointed at it.
struct Target {
  std::string memory_cgroup;  // v1/v2 path inside the memory hierarchy, e.g. /oomlab/repro-ab12
  std::string pressure_file;  // memory.pressure of the group (v2 or the unified twin), may be empty
  std::string scratch_dir;    // where config files may be written
};

// The command line (and, for nohang, the config file it writes into
// scratch_dir). Empty for GuardKind::none.
std::vector<std::string> guard_command(GuardKind g, const Target& t, const std::string& watchdog_bin);
// Human-readable settings written into the results.
std::string guard_settings(GuardKind g);
// The nohang config text for a target (exposed for the tests).
std::string nohang_config(const Target& t);

// One kill announced in a guard's log.
struct GuardKill {
  std::int64_t realtime_ms = 0;
  pid_t pid = 0;
  std::string comm;
  bool whole_group = false;  // a cgroup-wide kill (oomlab-watchdog escalation)
};
// Scans the guard's lines for kills. nohang names the victim in a status
// block a few lines before "Sending SIGx to the victim".
std::vector<GuardKill> parse_guard_kills(GuardKind g, const std::vector<TimedLine>& lines);

}  // namespace oomlab::peers
