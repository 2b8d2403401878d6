// What the analyzer extracts from a kernel log: plain data, no behaviour.
// Every collection is capped (see Limits) so that memory stays flat in the
// size of the input; what a cap drops is counted, never silently lost.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "oomlab/facts/vocabulary.hpp"

namespace oomlab::analyzer {

// A place in the input: 1-based line number and the kernel timestamp in
// seconds (monotonic for dmesg/kmsg, wall clock for dmesg -T / journalctl).
struct Where {
  std::uint64_t line = 0;
  std::optional<double> ts;
};

struct ProcRef {
  int pid = 0;
  std::string comm;
};

struct Frame {
  std::string func;
  std::uint64_t offset = 0;
  std::uint64_t size = 0;
  std::string module;     // "[ext4]" without brackets, empty for vmlinux
  bool reliable = true;   // false for "? func" frames
  bool inlined = false;   // "func file.c:12 [inline]": symbolised output only, no address
};

// One task from a task dump (sysrq-t/w, hung task, crash report).
struct Task {
  int pid = 0;
  std::optional<int> ppid;
  std::optional<int> tgid;
  std::string comm;
  char state = '?';
  std::string flags;      // "0x00100084"
  std::string source;     // "sysrq", "hung_task", "crash"
  Where at;
  Where last;             // last line of its dump (header or last frame)
  std::vector<Frame> frames;
  bool frames_truncated = false;
};

struct TaskTableRow {
  int pid = 0;
  std::optional<int> uid, tgid, oom_score_adj;
  std::optional<std::uint64_t> total_vm, rss, rss_anon, rss_file, rss_shmem, nr_ptes, nr_pmds,
      pgtables_bytes, swapents;  // pages, except pgtables_bytes
  std::string name;
};

struct OomEvent {
  Where first, last;
  std::optional<ProcRef> invoker;
  std::string gfp;           // "0x24000c0"
  std::string gfp_flags;     // "GFP_KERNEL|__GFP_COMP", when the kernel printed it
  std::optional<int> order;
  std::optional<int> oom_score_adj;
  std::string constraint;    // CONSTRAINT_NONE / CONSTRAINT_MEMCG / ...
  std::string memcg;         // oom_memcg (the limit hit) or "Task in X killed as a result of limit of Y"
  std::string task_memcg;
  std::string nodemask, cpuset;
  bool memcg_oom = false;
  bool sysrq = false;        // order=-1: forced by sysrq-f
  // memcg reports: "memory: usage 65536kB, limit 65536kB, failcnt 98" and
  // the shmem the group's stats show (v1 "shmem:NKB"/"total_shmem N", v2 "shmem N").
  std::optional<std::uint64_t> memcg_usage_kb, memcg_limit_kb, memcg_shmem_kb;
  bool memcg_shmem_kb_total = false;   // memcg_shmem_kb is the hierarchy's (total_shmem)
  std::optional<ProcRef> selected;   // "Kill process N (comm) score S"
  std::optional<int> selected_score;
  std::optional<ProcRef> victim;     // "Killed process N (comm)"
  std::optional<std::uint64_t> victim_total_vm_kb, victim_anon_rss_kb, victim_file_rss_kb,
      victim_shmem_rss_kb, victim_pgtables_kb;
  std::optional<int> victim_uid;
  std::optional<Where> invoked, killed, reaped;
  bool reap_failed = false;
  std::optional<double> resolved_ms;
  std::string resolved_by;   // "oom_reaper", "progress", "kill", or "" (not resolved / unknown)
  std::vector<std::string> table_columns;
  std::vector<TaskTableRow> table;
  std::uint64_t table_rows_dropped = 0;
};

// One MemAlloc-Info line (kernel kmallocwd patches 2015..2017, or oomlab-watchdog).
struct MemAllocSample {
  Where at;
  std::string source;        // "kernel" or "oomlab-watchdog"
  std::string format;        // "2015", "2016", "kv"
  int stalling = 0, dying = 0, victim = 0;
  std::optional<int> exiting, oom_count;
  // Options::cgroup: the counts above are oomlab-watchdog's, machine-wide
  // (its reports cover every group); what concerns the group are the task
  // lines of this report that were kept, counted here.
  bool machine_wide = false;
  int listed = 0, listed_dying = 0, listed_victim = 0;
  // What the report says of the analyzed group: its counts, or under
  // --cgroup its kept task lines.
  int stalling_here() const { return machine_wide ? listed : stalling; }
  int dying_here() const { return machine_wide ? listed_dying : dying; }
  int victim_here() const { return machine_wide ? listed_victim : victim; }
};

// One per-task MemAlloc: line, or an oomlab-tracer reclaim line.
struct MemAllocTask {
  Where at;
  std::string source;
  ProcRef task;
  std::optional<int> tgid;
  std::string state, kind, wchan, cgroup, gfp, gfp_flags, lock_mode;
  std::optional<int> order;
  std::optional<std::uint64_t> delay_ms;
  // oomlab-watchdog --delayacct: growth of the task's taskstats delay totals
  // since its stall began, in ms; absent when the watchdog did not print it.
  struct Delays {
    std::optional<std::uint64_t> reclaim, thrashing, compact, swapin, blkio;
  } delays_ms;
  // NAME of each NAME_delay field (docs/FORMATS.md) and where it goes: one
  // list for the parser and the JSON output.
  struct DelayKey {
    const char* name;
    std::optional<std::uint64_t> Delays::*value;
  };
  static constexpr DelayKey kDelayKeys[] = {{"reclaim", &Delays::reclaim},
                                            {"thrashing", &Delays::thrashing},
                                            {"compact", &Delays::compact},
                                            {"swapin", &Delays::swapin},
                                            {"blkio", &Delays::blkio}};
  bool dying = false, exiting = false, victim = false;
};

struct AllocStall {      // "page allocation stalls for Nms" (4.10..4.14 warn_alloc)
  Where at;
  ProcRef task;
  std::uint64_t ms = 0;
  std::optional<int> order;
  std::string gfp, gfp_flags;
};

struct MemAllocSummary {
  std::vector<MemAllocSample> series;
  std::uint64_t series_dropped = 0;
  std::vector<MemAllocTask> tasks;
  std::uint64_t tasks_dropped = 0;
  std::uint64_t task_lines = 0;
  std::uint64_t max_delay_ms = 0;
  int max_stalling = 0;
  std::vector<AllocStall> alloc_stalls;
  std::uint64_t alloc_stalls_dropped = 0;
};

struct LockWait {        // oomlab-tracer "lockwait:" lines
  Where at;
  ProcRef waiter;
  std::string lock, mode;
  std::uint64_t wait_ms = 0;
  std::vector<ProcRef> holders;
};

struct WatchdogAction {  // oomlab-watchdog warn/kill/killed/escalate lines
  Where at;
  std::string action;
  std::vector<std::pair<std::string, std::string>> fields;
};

struct TaskRole {
  int pid = 0;
  std::string comm;
  std::string role;      // victim, waiter, holder, hog, stalled, blocked, related
  char state = '?';
  std::string wait;      // "mmap_sem write", "allocator", ...
  std::string where;     // first meaningful frame
};

struct LockInfo {
  std::string name;      // "mmap_sem", "mmap_lock", "rwsem"
  std::string mode;      // mode the victim waits for
  std::vector<int> holders, write_waiters, read_waiters;
};

using DetailValue = std::variant<std::int64_t, double, std::string>;

// Most severe first: facts' one list of verdict classes (vocabulary.hpp).
using VerdictClass = facts::VerdictClass;
const char* to_string(VerdictClass c);
std::optional<VerdictClass> verdict_class_from_string(std::string_view s);

struct Finding {
  VerdictClass klass = VerdictClass::clean;
  std::string title;
  Where first, last;
  std::vector<TaskRole> tasks;
  std::optional<LockInfo> lock;
  std::vector<std::uint64_t> evidence;
  std::vector<std::pair<std::string, DetailValue>> details;
};

struct InputStats {
  std::string name;
  std::string format;    // dominant prefix format: dmesg, dmesg-T, journal, kmsg, plain, ...
  std::uint64_t bytes = 0, lines = 0, truncated_lines = 0, nul_bytes = 0, gaps = 0;
  std::uint64_t kernel_lines = 0;   // lines that carried a kernel log prefix
  // "printk: NAME: N output lines suppressed due to ratelimiting": records
  // the kernel dropped, by writer (summed). The log is missing those lines.
  std::vector<std::pair<std::string, std::uint64_t>> suppressed;
  // --watchdog-log: the watchdog's JSON log merged into the timeline.
  std::string watchdog_log;               // its name, "" when none
  std::uint64_t watchdog_lines = 0;       // its records placed in the timeline
  std::uint64_t watchdog_duplicates = 0;  // records already in the kernel log
  // Options::cgroup: the group, and the watchdog lines left out as another's.
  std::string cgroup;
  std::uint64_t other_cgroup_lines = 0;
  std::uint64_t joined_lines = 0;   // physical lines rejoined to the line they continue (mail wrapping)
};

struct Report {
  VerdictClass verdict = VerdictClass::clean;
  std::string title;
  InputStats input;
  std::vector<Finding> findings;
  std::uint64_t findings_dropped = 0;
  std::vector<OomEvent> oom_events;
  std::uint64_t oom_events_dropped = 0;
  MemAllocSummary memalloc;
  std::vector<Task> tasks;
  std::uint64_t tasks_dropped = 0;
  std::vector<LockWait> lock_waits;
  std::vector<WatchdogAction> watchdog_actions;
};

// Caps that keep memory flat whatever the input size.
struct Limits {
  std::size_t max_line = 8192;
  std::size_t tasks = 1024;
  std::size_t frames_per_task = 32;
  std::size_t oom_events = 128;
  std::size_t table_rows = 512;          // per OOM event
  std::size_t table_rows_total = 8192;   // over all events: busy hosts print hundreds per OOM
  std::size_t series = 4096;
  std::size_t memalloc_tasks = 1024;
  std::size_t findings = 256;
  std::size_t evidence = 64;
  std::size_t misc = 1024;   // lock waits, watchdog actions, alloc stalls
};

struct Options {
  double stall_threshold_s = 30.0;   // silent_hang: stalling this long without an OOM kill
  double victim_threshold_s = 10.0;  // oom_livelock: victim still there this long after the kill
  // --cgroup PATH ("/oomlab/repro-1", as oomlab-watchdog prints cgroup=):
  // only what concerns that memory cgroup. oomlab-watchdog reports every
  // group (its --scope limits only its actions), so another group stalling
  // at the same time would fold its tasks into this one's stalls. Left out:
  // the watchdog's MemAlloc task lines, warn/kill/escalate lines naming
  // another cgroup (PATH and below are kept), the killed: lines of those
  // kills and, with a merged watchdog log, the lines of any other
  // oomlab-watchdog process. "" = everything.
  std::string cgroup;
  Limits limits;
};

}  // namespace oomlab::analyzer
