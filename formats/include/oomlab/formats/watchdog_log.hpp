// The watchdog's JSON lines (--json-log; docs/FORMATS.md "Watchdog JSON
// lines"): one typed codec. oomlab-watchdog encodes with it, the runner
// folds the file into report.json with it, and oomlab-analyze reads it
// (--watchdog-log) into the same timeline as the kernel log: nobody reads
// these records through hand-written string keys. In formats/, not facts/:
// this is oomlab's own file, not a fact about the kernel.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <sys/types.h>
#include <utility>
#include <variant>
#include <vector>

namespace oomlab::formats {

// "memalloc_info": one per report (MemAlloc-Info line).
struct WdInfo {
  int stalling = 0, dying = 0, exiting = 0, victim = 0;
  std::uint64_t oom_count = 0;
  bool stale = false;  // reported from the previous scan (the scan overran)
};
// "memalloc": one stalled task (MemAlloc line).
struct WdTask {
  std::string comm;
  pid_t tid = 0, tgid = 0;
  std::string state;  // "D", "R", ...
  std::string kind;   // wait_kind_name(): reclaim, alloc, mmap_lock, io, exit
  std::int64_t delay_ms = 0;
  std::string wchan, cgroup;
  std::uint64_t rss_kb = 0;
  bool dying = false, exiting = false, victim = false;
  std::vector<std::pair<std::string, std::uint64_t>> delays_ms;  // delay accounting growth, by field
  // What showed the stall: "wait" (wchan/state), "delays" (delay-accounting
  // growth of a task with no memory wait to see), "tracer" (BPF reclaim
  // events); "" from a watchdog older than the field.
  std::string evidence;
};
// "warn": a stall passed --warn-after.
struct WdWarn {
  pid_t tid = 0;
  std::string comm;
  std::int64_t delay_ms = 0;
  std::string cgroup;
};
// "kill": the watchdog signalled a victim (or would have: dry_run).
struct WdKill {
  pid_t pid = 0;
  std::string comm, cgroup;
  std::uint64_t rss_kb = 0;
  int oom_score_adj = 0;
  std::string reason;  // kill_reason_name()
  bool dry_run = false;
};
// "killed": what came of a kill. -1: not observed.
struct WdKilled {
  pid_t pid = 0;
  std::string comm;
  std::int64_t kill_to_exit_ms = -1;
  std::int64_t kill_to_freed_ms = -1;
  std::int64_t freed_kb = -1;
  int reap_error = -1;  // process_mrelease: -1 not tried, 0 ok, else the errno
  std::int64_t closed_after_ms = 0;
  // What said the victim's memory was gone: "process_mrelease" (it returned),
  // "exit" (the pidfd reported the exit: the mm is released before that) or
  // "" (neither within the watch).
  std::string freed_by;
};
// "escalate": the previous action did not end the stall.
struct WdEscalate {
  std::string cgroup, reason;  // reason: "escalation" or "cgroup_kill"
};
// "kmsg_summary": lines kept out of /dev/kmsg to stay within the kernel's
// ratelimit since the last summary (they are in this file).
struct WdKmsgSummary {
  std::uint64_t withheld = 0;
  std::int64_t period_ms = 0;
};

// "holder": repeated OOM kills in a group freed nothing; these processes
// keep the shmem files / pipes open that hold the memory (kills follow).
struct WdHolder {
  std::string cgroup;
  std::uint64_t held_bytes = 0;
  std::uint64_t files = 0, pipes = 0;
  std::string largest;        // the largest shmem file's fd link name, else a pipe's
  std::vector<pid_t> holders;
  std::uint64_t oom_kills = 0;  // in the window that triggered the search
};
// "unheld": the same, but no process of the group holds enough; tmpfs
// files no process holds (path, bytes) that no kill can free.
struct WdUnheld {
  std::string cgroup;
  std::uint64_t oom_kills = 0;
  std::vector<std::pair<std::string, std::uint64_t>> files;
};

using WdPayload = std::variant<std::monostate, WdInfo, WdTask, WdWarn, WdKill, WdKilled, WdEscalate, WdKmsgSummary,
                               WdHolder, WdUnheld>;

struct WatchdogRecord {
  std::string type;        // "note", "memalloc_info", "memalloc", "warn", "kill", "killed", "escalate", "kmsg_summary",
                           // "holder", "unheld"
  std::string time;        // UTC ISO 8601
  std::int64_t mono_ms = 0;  // CLOCK_MONOTONIC: the kernel log's clock
  int priority = 6;        // syslog priority
  std::string line;        // "oomlab-watchdog[PID]: TEXT", the text form (docs/FORMATS.md)
  WdPayload payload;       // per type; monostate for note and unknown types
};

// The type name of a payload ("memalloc_info", ...; "note" for monostate).
const char* payload_type(const WdPayload& p);
// The memory cgroup a record is about (a stalled task's, a warning's, a
// kill's, an escalation's, a holder search's); "" for the records that name
// none: the machine-wide MemAlloc-Info counts, a killed: outcome (by pid),
// the kmsg summary and notes.
const std::string& payload_cgroup(const WdPayload& p);

// One JSON object, no newline.
std::string encode_watchdog_record(const WatchdogRecord& r);
// nullopt with *why for a line that is not a JSON object with a string
// "type" and an integer "mono_ms"; unknown types decode with a monostate
// payload (newer watchdogs stay readable).
std::optional<WatchdogRecord> decode_watchdog_record(std::string_view line, std::string* why = nullptr);

// The text after "oomlab-watchdog[PID]: " of r.line ("" when absent).
std::string_view watchdog_line_body(const WatchdogRecord& r);

}  // namespace oomlab::formats
