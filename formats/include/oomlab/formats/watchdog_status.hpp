// The watchdog's status document: what its control socket answers to
// "status" (and GET /status), what `oomlab-watchdog status` prints (schema
// "oomlab.watchdog.status/1"; docs/FORMATS.md "Watchdog status"): one typed
// codec. The daemon encodes its state with it, its CLI decodes the answer
// and prints it again indented, the tests read it through it - nobody picks
// fields out by string keys.
//
// Same decoding rule as the other codecs: missing or wrongly typed fields
// decode as defaults; the document's "schema" must be
// kWatchdogStatusSchema.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <sys/types.h>
#include <vector>

namespace oomlab::formats {

inline constexpr std::string_view kWatchdogStatusSchema = "oomlab.watchdog.status/1";

// The settings in force (after the profile, the config file and the flags).
struct WsConfig {
  std::string profile;
  std::int64_t period_ms = 0, warn_after_ms = 0, kill_after_ms = 0, escalate_after_ms = 0;
  int max_victims = 0;
  std::string pressure_above;  // as --pressure-above takes it ("full=40,some=60", "off")
  bool dry_run = false, sysrq = false;
  std::string delayacct;  // --delayacct: "auto", "enable", "off"
  int delay_share_pct = 0;
  std::string config_file;  // "" when none was read
};
// What the daemon could open on this machine.
struct WsSources {
  bool psi_system = false;
  std::uint64_t psi_triggers = 0;
  bool kmsg_read = false, bpf_tracer = false, taskstats = false;
  bool delayacct = false;  // the last scan read delay accounting
  bool kmsg_write = false;
  std::string cgroup_root, self_protection;
};
struct WsScan {
  std::uint64_t scans = 0, tasks = 0, dropped = 0;
  double last_duration_ms = 0;
  std::uint64_t overruns = 0;
  std::int64_t last_done_ms_ago = -1;  // -1: no scan finished yet
};
// The stall model's counts now (the MemAlloc-Info line's).
struct WsCounts {
  int stalling = 0, dying = 0, exiting = 0, victim = 0;
  std::uint64_t oom_count = 0;
  std::int64_t longest_ms = 0;
};
// One task the stall model holds as stalled.
struct WsStall {
  pid_t tid = 0, tgid = 0;
  std::string comm, state;  // state: "D", "R", ...
  std::string kind;         // facts::wait_kind_name()
  std::string evidence;     // "wait", "delays", "tracer"
  std::int64_t delay_ms = 0;
  std::string wchan, cgroup;
};
// An open incident (a group past --kill-after).
struct WsIncident {
  std::string cgroup;
  int kills = 0;
  std::int64_t age_ms = 0;
  bool cgroup_killed = false, gave_up = false;
};
// A watched group's memory pressure.
struct WsPressure {
  std::string dir, cgroup;
  double some_avg10 = 0, full_avg10 = 0;
  double recent_some = -1, recent_full = -1;  // the share over the tracker's window; -1: not yet
  std::int64_t above_ms = 0;
};
// One of the last kills. -1: not observed (yet).
struct WsKill {
  pid_t pid = 0;
  std::string comm, cgroup, reason;  // reason: facts::kill_reason_name()
  std::uint64_t rss_kb = 0;
  bool dry_run = false;
  std::int64_t ago_ms = 0, kill_to_exit_ms = -1, kill_to_freed_ms = -1, freed_kb = -1;
};

struct WatchdogStatus {
  std::string schema = std::string(kWatchdogStatusSchema);
  pid_t pid = 0;
  std::int64_t uptime_ms = 0;
  WsConfig config;
  WsSources sources;
  WsScan scan;
  WsCounts counts;
  std::vector<WsStall> stalls;
  std::vector<WsIncident> incidents;
  std::vector<WsPressure> pressure;
  std::vector<WsKill> kills;
};

// Sorted keys; indent < 0: one compact line (what the socket sends, no
// newline), else pretty with that indent (what the CLI prints).
std::string encode_watchdog_status(const WatchdogStatus& s, int indent = -1);
// nullopt with a one-line *why for text that is not a JSON object or whose
// "schema" is not kWatchdogStatusSchema. Leading/trailing whitespace is fine.
std::optional<WatchdogStatus> decode_watchdog_status(std::string_view text, std::string* why = nullptr);

}  // namespace oomlab::formats
