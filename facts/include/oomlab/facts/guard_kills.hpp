// What a userspace OOM killer's own log says it killed, parsed once: the
// analyzer reads these lines in journals and syslogs (a guard's kill ends
// memory trouble as the kernel's OOM kill does), bench/peers reads its guards'
// output. oomlab-watchdog's own lines have their codec in formats/.
// Inputs are the message after the "ident[pid]: " tag (split_syslog_tag).
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <sys/types.h>

namespace oomlab::facts {

struct GuardKill {
  pid_t pid = 0;         // 0: a cgroup kill (systemd-oomd kills a unit's cgroup)
  std::string comm;
  std::string cgroup;    // systemd-oomd: the cgroup it killed
  std::string signal;    // "SIGTERM", "SIGKILL"; "" when the line does not say
  std::string reason;    // systemd-oomd: "memory pressure for /user.slice being 71.23% > 50.00% for > 20s ..."
};

// earlyoom 1.2-1.8: `sending SIGTERM to process 4242 uid 1000 "chrome": oom_score 666, VmRSS 9120 MiB`
// (before 1.6 without "uid N"; "badness" for "oom_score" before 1.8).
std::optional<GuardKill> parse_earlyoom_kill(std::string_view message);
// earlyoom --dryrun after each kill line: "dryrun, not actually sending any signal".
bool is_earlyoom_dry_run(std::string_view message);
// earlyoom: "process exited after 0.2 seconds" (its victim is gone): ms.
std::optional<std::int64_t> parse_earlyoom_exited_ms(std::string_view message);

// systemd-oomd 248+: "Killed /user.slice/.../app-firefox.scope due to memory
// pressure for /user.slice/... being 71.23% > 50.00% for > 20s with reclaim
// activity", and "... due to swap used (N) / total (N) being more than 90.00%"
// (also the older "due to memory used (N) / total (N) and swap used ..." form).
std::optional<GuardKill> parse_systemd_oomd_kill(std::string_view message);

// nohang 0.1-0.2 prints its victim, then its action, one line each:
//   "  PID:       4242, name: cache-reader, state: D, EUID: 0,"
//   "  Sending SIGTERM to the victim"
// feed() returns the kill at the send line; a send with no victim block since
// the last kill is the same kill (nohang escalating), not a new one.
class NohangKills {
 public:
  std::optional<GuardKill> feed(std::string_view message);

 private:
  GuardKill pending_;
};

// "earlyoom[700]: sending ..." -> ident "earlyoom", body "sending ...".
struct SyslogTag {
  std::string_view ident, body;
};
std::optional<SyslogTag> split_syslog_tag(std::string_view message);

}  // namespace oomlab::facts
