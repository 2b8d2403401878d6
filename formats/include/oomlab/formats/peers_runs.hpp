// The peers bench's raw results, runs.json (schema "oomlab.bench-peers/1";
// docs/FORMATS.md "Peers bench runs"): one typed codec. `oomlab-bench-peers
// run` (host, busybox VM, Debian guest) writes it after every run;
// `oomlab-bench-peers summarize` reads one or more back into the tables.
// Same decoding rule as the other codecs: missing or wrongly typed fields
// decode as defaults; only the document's "schema" is checked.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace oomlab::formats {

inline constexpr std::string_view kPeersRunsSchema = "oomlab.bench-peers/1";

struct PeersKill {
  std::int64_t t_ms = 0;  // since the workload started
  std::string by;         // "kernel" or the guard's name
  int pid = 0;
  std::string comm;
  bool right = false;     // a process whose death ends the scenario's stall
  std::optional<std::int64_t> freed_ms;  // kill to memory freed (null: not seen)
};

// What the guard cost while it ran, watched from outside.
struct PeersGuardCost {
  double cpu_ms = 0;              // user + system of the guard and its reaped children
  std::uint64_t peak_rss_kb = 0;  // VmHWM
  std::int64_t longest_d_ms = 0;  // longest run of consecutive samples with a thread in D
  std::string d_wchan;            // wait channel seen during that run
};

// One run of one scenario under one guard.
struct PeersRun {
  std::string scenario, guard;
  int run = 0;
  std::string outcome;           // oomlab-repro's outcome class
  std::int64_t duration_ms = 0;  // of the workload (last sample)
  std::optional<std::int64_t> guard_ready_ms;  // guard started, since the workload started
  std::optional<std::int64_t> first_stall_ms;
  std::optional<std::int64_t> first_kill_ms;
  std::optional<std::int64_t> stall_to_kill_ms;
  std::optional<std::int64_t> kill_to_freed_ms;  // of the first kill
  std::int64_t no_progress_ms = 0;
  bool stalled_at_end = false;
  bool right_victim = false;     // the first kill hit a right victim
  bool hit = false;              // right first victim and no stall left at the end
  std::vector<PeersKill> kills;
  PeersGuardCost cost;           // guard_cpu_ms, guard_peak_rss_kb, guard_longest_d_ms, guard_d_wchan
  bool guard_blocked = false;    // a guard thread in D for >= 1 s
  std::string error;             // why the run has no figures (repro refused, crashed)
  std::vector<std::string> guard_tail;  // the guard's last lines
};

// How the session was run (all optional: "" / nullopt are left out).
struct PeersSettings {
  std::string where;          // "host", "vm", "vm-debian"
  std::string limit, mem;     // "128M"
  std::optional<std::int64_t> duration_s, runs, period_ms;
  std::optional<bool> quick;
  std::string started_at;     // ISO 8601 UTC
  std::string kernel;         // /proc/version (host) or the guest's kernel series
  std::string kernel_series;  // vm-debian: --kernel
  std::vector<std::string> scenario_args;  // vm-debian: the scenario's own options (left out when empty)
  std::string oomlab_from;    // vm-debian: the .deb installed in the guest, or "cmake --install (build tree)"
  std::string vm_disk;        // vm: the scenario disk's qemu throttling ("200 IOPS"; empty: none)
  std::vector<std::pair<std::string, std::string>> guards;  // guard label -> its settings in words
  void set_guard(const std::string& label, const std::string& words) {
    for (auto& [k, v] : guards)
      if (k == label) {
        v = words;
        return;
      }
    guards.emplace_back(label, words);
  }
};

struct PeersRuns {
  std::string schema = std::string(kPeersRunsSchema);
  PeersSettings settings;
  std::vector<PeersRun> runs;
};

// Pretty (one space indent) with a trailing newline, as runs.json is written.
std::string encode_peers_runs(const PeersRuns& doc);
// nullopt with a one-line *why for text that is not a JSON object or whose
// "schema" is not kPeersRunsSchema.
std::optional<PeersRuns> decode_peers_runs(std::string_view text, std::string* why = nullptr);

// What `oomlab-bench-peers wrap` writes when it stops the guard it ran
// inside the test VM (/tmp/guard.json, printed on the console between
// PEERS-GUARD-BEGIN/END) and the bench's VM runner reads back: the guard's
// output lines with the wall-clock time they arrived, its cost, its exit
// status. The bench is both writer and reader; this is its one
// encode/decode pair. No schema field (the shape it always had).
struct PeersGuardLine {
  std::int64_t realtime_ms = 0;  // "t": when the line was read
  std::string text;
};
struct PeersWrappedGuard {
  std::int64_t started_realtime_ms = 0;
  std::vector<PeersGuardLine> lines;
  PeersGuardCost cost;  // "cost": cpu_ms, peak_rss_kb, longest_d_ms, d_wchan
  int exit_status = -1;
};
// One line of compact JSON, sorted keys, no newline.
std::string encode_wrapped_guard(const PeersWrappedGuard& w);
// nullopt with a one-line *why for text that is not a JSON object (a console
// that lost the record); wrong types decode as defaults.
std::optional<PeersWrappedGuard> decode_wrapped_guard(std::string_view text, std::string* why = nullptr);

}  // namespace oomlab::formats
