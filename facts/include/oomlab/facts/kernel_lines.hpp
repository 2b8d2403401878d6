// The kernel log lines about OOM kills and lost records, parsed once. The
// runner (its kill list), the watchdog (the kernel's OOM victims) and the
// VM harness use these; the analyzer keeps its own recognizer tables for
// the rest of an OOM report but reads the victim line here too.
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
  std::uint64_t total_vm_kb = 0, anon_rss_kb = 0, file_rss_kb = 0, shmem_rss_kb = 0;
  // "Kill process N (comm) score S or sacrifice child" (before 4.x): the
  // OOM killer's choice, followed by a "Killed process" line for the kill.
  bool selection_only = false;
};
// "Out of memory: Killed process 3418 (a.out) total-vm:..kB, anon-rss:..kB, ..."
// "Memory cgroup out of memory: Killed process ...", a bare "Killed process ..."
// and the old "Kill process N (comm) score S or sacrifice child". A comm may
// hold spaces and parentheses: it ends at the last ") " (or a final ')').
std::optional<KilledProcess> parse_killed_process(std::string_view message);

// "oom-kill:constraint=CONSTRAINT_MEMCG,...,oom_memcg=/G,task_memcg=/G,task=x,pid=N,uid=0"
struct OomKillSummary {
  pid_t pid = 0;
  std::string oom_memcg, task_memcg;  // "" when absent (4.x kernels print fewer keys)
  // Either memcg is `group` (relative to the hierarchy root, no leading '/')
  // or below it; a longer sibling name does not match; "" matches nothing.
  bool in_group(std::string_view group) const;
};
std::optional<OomKillSummary> parse_oom_kill_summary(std::string_view message);
// The victim pid when the line parses and names `group` (see in_group).
std::optional<pid_t> parse_oom_kill_in_group(std::string_view message, std::string_view group);

// "oom_reaper: reaped process 3418 (a.out), now anon-rss:0kB, file-rss:0kB, shmem-rss:0kB"
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
