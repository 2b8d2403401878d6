// The kernel log lines about OOM kills and lost records, parsed once
// (mm/oom_kill.c, 2.6.3x .. 6.x). The runner (its kill list), the watchdog
// (the kernel's OOM victims), the VM harness and the analyzer's OOM
// recognizers (which keep the rest of an OOM report: the header, Mem-Info,
// the task table) all read the victim, oom-kill: and reaper lines here.
// Inputs are the message part of a record (no "[ 12.3]" stamp, no "<N>").
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <sys/types.h>

namespace oomlab::facts {

struct KilledProcess {
  pid_t pid = 0;
  std::string comm;
  // Each size only when the line prints it (2.6.3x: vsz: for total-vm:, no
  // shmem-rss:; 5.x+: UID and pgtables).
  std::optional<std::uint64_t> total_vm_kb, anon_rss_kb, file_rss_kb, shmem_rss_kb, pgtables_kb;
  std::optional<int> uid;
  // "Kill process N (comm) score S or sacrifice child" (before 4.19; 2.6.3x:
  // "kill process ... or a child"): the OOM killer's choice, followed by a
  // "Killed process" line for the kill.
  bool selection_only = false;
  std::optional<int> score;   // the choice's badness score
};
// "Out of memory: Killed process 3418 (a.out) total-vm:..kB, anon-rss:..kB, ..."
// "Memory cgroup out of memory: Killed process ...", a bare "Killed process ..."
// and the old "Kill process N (comm) score S or sacrifice child". A comm may
// hold spaces and parentheses: it ends at the last ") " (or a final ')');
// nothing after it holds one.
std::optional<KilledProcess> parse_killed_process(std::string_view message);

// "oom-kill:constraint=CONSTRAINT_MEMCG,...,oom_memcg=/G,task_memcg=/G,task=x,pid=N,uid=0"
// (dump_oom_summary(), 4.19+)
struct OomKillSummary {
  pid_t pid = 0;
  std::string constraint, nodemask, cpuset, task;  // "" when absent
  std::string oom_memcg, task_memcg;  // "" when absent (4.x kernels print fewer keys)
  // Either memcg is `group` (relative to the hierarchy root, no leading '/')
  // or below it; a longer sibling name does not match; "" matches nothing.
  bool in_group(std::string_view group) const;
};
std::optional<OomKillSummary> parse_oom_kill_summary(std::string_view message);
// Any "oom-kill:" line's keys, pid 0 when it has none (a line cut short).
std::optional<OomKillSummary> parse_oom_kill_keys(std::string_view message);
// The victim pid when the line parses and names `group` (see in_group).
std::optional<pid_t> parse_oom_kill_in_group(std::string_view message, std::string_view group);

// "oom_reaper: reaped process 3418 (a.out), now anon-rss:0kB, file-rss:0kB, shmem-rss:0kB"
// and "oom_reaper: unable to reap pid:3418 (a.out)" (the mm lock was held:
// the reaper gave up, the victim keeps its memory until it exits).
struct OomReaperLine {
  pid_t pid = 0;
  std::string comm;   // "" when the line names none
  bool failed = false;
};
std::optional<OomReaperLine> parse_oom_reaper(std::string_view message);
// The pid of a "reaped process" line (a failed reap is not a reap).
std::optional<pid_t> parse_oom_reaped(std::string_view message);

// The kernel's printk ratelimit dropping a writer's records:
// "printk: oomlab-watchdog: 111 output lines suppressed due to ratelimiting"
// (writes to /dev/kmsg) and "N callbacks suppressed" (printk_ratelimited in
// the kernel itself, "__ratelimit: N callbacks suppressed" on old kernels).
struct Suppressed {
  std::string who;       // the writer ("oomlab-watchdog") or the kernel function
  std::uint64_t lines = 0;
};
std::optional<Suppressed> parse_ratelimit_suppressed(std::string_view message);

}  // namespace oomlab::facts
