// The actions of the responder: read the facts about an incident's processes
// (on the facts worker, with a deadline: libproc2's status/stat reads and
// /proc/PID/cgroup can block behind kernel locks, and the event loop must
// keep reporting), choose, kill through a pidfd, reap with process_mrelease
// (action worker), and measure kill -> exit -> memory freed.
#include <algorithm>
#include <cstring>
#include <unistd.h>

#include "oomlab/facts/vocabulary.hpp"
#include "oomlab/common/clock.hpp"
#include "oomlab/common/procfs.hpp"
#include "oomlab/watchdog/group_probe.hpp"
#include "oomlab/watchdog/engine.hpp"
#include "oomlab/watchdog/killer.hpp"
#include "oomlab/watchdog/system.hpp"

namespace oomlab::watchdog {
namespace {

// How long a victim-facts read may take before the loop stops waiting for it
// (the incident retries at the next period once the reader is free).
constexpr auto kFactsDeadline = std::chrono::seconds(2);

}  // namespace

std::uint64_t Engine::total_kb(const std::string& cgroup) const {
  // For oom_score_adj scaling: the group's limit when it has one, else RAM.
  std::uint64_t ram_kb = static_cast<std::uint64_t>(::sysconf(_SC_PHYS_PAGES)) * (::sysconf(_SC_PAGESIZE) / 1024);
  if (cgroup != "/" && cgroup != "?") {
    auto text = read_proc_file(cgroups_.root() + cgroup + (cgroups_.v2() ? "/memory.max" : "/memory.limit_in_bytes"), 64);
    if (text && !text->empty() && (*text)[0] >= '0' && (*text)[0] <= '9') {
      std::uint64_t limit_kb = std::stoull(*text) / 1024;
      if (limit_kb < ram_kb) return limit_kb;
    }
  }
  return ram_kb;
}

void Engine::fetch_candidates(Incident& inc, pid_t only_pid, FactsThen then, bool subtree) {
  std::vector<pid_t> pids;
  if (only_pid) {
    pids.push_back(only_pid);
  } else if (inc.cgroup == "/") {
    pids = all_pids_;  // the last full scan's processes
  }
  const std::uint64_t id = ++facts_seq_;
  const std::string cg = inc.cgroup, procs_file = inc.procs_file;
  auto facts = std::make_shared<VictimFacts>();
  auto done = [this, cg, id, facts, then = std::move(then)] {
    auto it = incidents_.find(cg);
    if (it == incidents_.end() || it->second.facts_pending != id || stopping_) return;  // late, or resolved
    it->second.facts_pending = 0;
    it->second.busy_noted = false;
    then(it->second, *facts);
  };
  bool submitted = facts_worker_.submit([this, pids = std::move(pids), cg, procs_file, facts, done, subtree]() mutable {
    if (pids.empty() && cg != "/") {
      if (subtree) list_group_pids({cgroups_.root() + cg}, pids);
      else pids = cgroups_.procs(cg);
      if (pids.empty() && !procs_file.empty()) pids = read_pids(procs_file);
      // A group with no process of its own - every inner cgroup v2 group
      // (processes live only in the leaves), such as a --watch-cgroup parent
      // whose runs each make a child group - offers its descendants': the
      // pressure it reports is theirs. Without this the test VM's watchdog,
      // watching /oomlab, found no candidate in a thrash and went straight
      // to cgroup.kill of the whole parent 5 s later.
      if (pids.empty() && !subtree) list_group_pids({cgroups_.root() + cg}, pids);
    }
    facts->candidates = collect_candidates(pids, opt_.proc_root);
    facts->total_kb = total_kb(cg);
  }, [this, done] { asio::post(io_, done); });
  if (!submitted) {
    if (!inc.busy_noted)
      reporter_.note(kWarning, "victim facts for cgroup " + cg + ": the reader is still stuck in an earlier read; retrying");
    inc.busy_noted = true;
    return;
  }
  inc.facts_pending = id;
  auto deadline = std::make_shared<asio::steady_timer>(io_, kFactsDeadline);
  deadline->async_wait([this, deadline, cg, id](const boost::system::error_code& ec) {
    if (ec || stopping_) return;
    auto it = incidents_.find(cg);
    if (it == incidents_.end() || it->second.facts_pending != id) return;
    it->second.facts_pending = 0;
    reporter_.note(kWarning, "victim facts for cgroup " + cg + " not read within " +
                                 std::to_string(std::chrono::milliseconds(kFactsDeadline).count()) +
                                 "ms (a /proc read blocks): no decision yet, retrying");
  });
}

bool Engine::carry_out(Incident& inc, const Decision& d) {
  if (d.action != Decision::Action::kill) return false;
  inc.killed.insert(d.victim.pid);
  ++inc.kills;
  start_kill(d.victim, inc.cgroup, d.reason);
  return true;
}

bool Engine::start_kill(const Candidate& victim, const std::string& cgroup, const std::string& reason) {
  const std::int64_t now = monotonic_ms();
  KillRecord k;
  k.pid = victim.pid;
  k.comm = victim.comm;
  k.cgroup = cgroup;
  k.reason = reason;
  k.rss_kb = victim.rss_kb;
  k.shmem_kb = std::min(victim.shmem_kb, victim.rss_kb);
  k.oom_score_adj = victim.oom_score_adj;
  k.dry_run = opt_.dry_run;
  k.kill_ms = now;
  // Pinned at the choice: from here to the signal the pidfd names the process
  // whose facts were read, so neither the kill line nor the signal can go to
  // a process that took its pid since. A pid that no longer names it: no kill.
  KillOutcome pinned;
  if (!k.dry_run) {
    pinned = pin_victim(k.pid, victim.starttime);
    if (pinned.pidfd < 0) {
      reporter_.note(kWarning, "kill of pid " + std::to_string(k.pid) + " not done: " +
                                   (pinned.reused ? std::string("pid reused by another process") : std::strerror(pinned.error)));
      return false;
    }
  }
  reporter_.emit(kErr, format_kill(k.pid, k.comm, k.cgroup, k.rss_kb, k.oom_score_adj, reason, k.dry_run),
                 formats::WdKill{k.pid, k.comm, k.cgroup, k.rss_kb, k.oom_score_adj, reason, k.dry_run});
  bool done = k.dry_run;
  if (!k.dry_run) {
    KillOutcome out = signal_victim(pinned);
    if (out.pidfd < 0) {
      reporter_.note(kWarning, "kill of pid " + std::to_string(k.pid) + " not done: " + std::strerror(out.error));
      k.closed = true;
    } else {
      done = true;
      k.kill_ms = out.signalled_us / 1000;
      k.pidfd = out.pidfd;
      ++metrics_.kills[reason];
      model_.mark_victim(k.pid, now);
      if (!cgroup.empty() && cgroup != "/") victim_homes_[k.pid] = cgroup;
      note_oom_kill(cgroup, k.pid, now);
      // Exit time from the pidfd itself (readable when the process is gone).
      int watch = ::dup(k.pidfd);
      if (watch >= 0) {
        k.exit_watch = std::make_shared<asio::posix::stream_descriptor>(io_, watch);
        pid_t pid = k.pid;
        std::int64_t kill_ms = k.kill_ms;
        k.exit_watch->async_wait(asio::posix::stream_descriptor::wait_read,
                                 [this, pid, kill_ms](const boost::system::error_code& ec) {
                                   if (ec) return;
                                   for (auto& r : kills_)
                                     if (r.pid == pid && r.kill_ms == kill_ms && r.exit_ms < 0) r.exit_ms = monotonic_ms();
                                 });
      }
      // Reap its memory now even if it cannot run (stuck on a lock).
      int reap_fd = ::dup(k.pidfd);
      if (reap_fd >= 0 && !action_worker_.submit([this, reap_fd, pid = k.pid, kill_ms = k.kill_ms] {
            int err = release_memory(reap_fd);
            ::close(reap_fd);
            const std::int64_t reaped_ms = monotonic_ms();
            asio::post(io_, [this, err, pid, kill_ms, reaped_ms] {
              for (auto& r : kills_)
                if (r.pid == pid && r.kill_ms == kill_ms) {
                  r.reap_error = err;
                  if (err == 0) r.reaped_ms = reaped_ms;
                }
            });
          }))
        ::close(reap_fd);
    }
  }
  kills_.push_back(std::move(k));
  while (kills_.size() > 64 && kills_.front().closed) kills_.pop_front();
  return done;
}

void Engine::kill_cgroup(Incident& inc) {
  inc.cgroup_killed = true;
  inc.last_action_ms = monotonic_ms();
  // What the group step means here, before any process facts are read.
  const Decision d = policy_.group_kill(inc, {});
  if (d.action == Decision::Action::ask_kernel) {
    bool ok = sysrq('w') && sysrq('f');
    reporter_.note(kErr, ok ? "system-wide stall: sysrq-w dump and sysrq-f (kernel OOM kill) requested"
                            : "system-wide stall: /proc/sysrq-trigger unavailable");
    return;
  }
  if (d.action == Decision::Action::refuse_root) {
    reporter_.note(kErr, "system-wide stall: the root cgroup is never killed" +
                             std::string(opt_.sysrq ? " (dry-run)" : "; --sysrq would ask the kernel for an OOM kill"));
    return;
  }
  if (d.dry_run) {
    reporter_.note(kErr, "dry-run: would kill every unprotected process in cgroup " + inc.cgroup);
    return;
  }
  // cgroup.kill (v2) takes every process of the subtree, protected ones too
  // (oom_score_adj -1000, --protect, pid 1 of a container, the watchdog
  // itself): it is written only when the subtree holds none of them.
  // Otherwise, and on v1, one pidfd kill per unprotected process.
  fetch_candidates(
      inc, 0,
      [this](Incident& i, VictimFacts& f) {
        const Decision g = policy_.group_kill(i, f.candidates);
        const std::vector<Candidate>& members = g.members;
        const std::size_t kept = f.candidates.size() - members.size();
        if (g.whole_group && cgroups_.kill_v2(i.cgroup)) {
          ++metrics_.kills[facts::kill_reason::kCgroupKill];
          i.last_action_ms = monotonic_ms();
          reporter_.note(kErr, "cgroup.kill written for " + i.cgroup);
          return;
        }
        int n = 0;
        for (const auto& c : members) {
          KillOutcome out = kill_process(c.pid, c.starttime);
          if (out.pidfd >= 0) {
            ++n;
            ::close(out.pidfd);
            model_.mark_victim(c.pid, monotonic_ms(), false);
            i.killed.insert(c.pid);
          }
        }
        metrics_.kills[facts::kill_reason::kCgroupKill] += n;
        i.last_action_ms = monotonic_ms();
        reporter_.note(kErr, "killed " + std::to_string(n) + " process(es) of cgroup " + i.cgroup +
                                 (kept ? ", kept " + std::to_string(kept) + " protected" : ""));
      },
      true);
}

void Engine::track_kills(std::int64_t now) {
  // Freed = the victim's own memory is gone: process_mrelease returned (it
  // reaps the address space even while the victim cannot run), or the
  // pidfd reported the exit (exit_mm runs before that). Not the group's
  // usage: page cache refills a group under pressure faster than a kill
  // empties it, so "usage dropped by half the victim's RSS" may never come.
  for (auto& k : kills_) {
    if (k.closed || k.dry_run) continue;
    if (k.exit_ms < 0 && pidfd_exited(k.pidfd)) k.exit_ms = now;
    // A victim whose memory is mostly shmem (tmpfs, memfd) frees little:
    // those pages stay charged to the group. Its kill frees nothing.
    const std::uint64_t own_kb = k.rss_kb - k.shmem_kb;
    const bool frees_memory = own_kb * 2 >= k.rss_kb;
    if (k.freed_ms < 0 && frees_memory) {
      if (k.reaped_ms >= 0) {
        k.freed_ms = k.reaped_ms;
        k.freed_by = "process_mrelease";
      } else if (k.exit_ms >= 0) {
        k.freed_ms = k.exit_ms;
        k.freed_by = "exit";
      }
      if (k.freed_ms >= 0) k.freed_kb = static_cast<std::int64_t>(own_kb);
    }
    if (k.exit_ms >= 0 && (k.freed_ms >= 0 || !frees_memory)) {
      if (!frees_memory) k.freed_kb = static_cast<std::int64_t>(own_kb);
      close_kill(k, now);
    }
  }
}

void Engine::close_kill(KillRecord& k, std::int64_t now) {
  if (k.closed) return;
  k.closed = true;
  if (k.dry_run) return;
  std::int64_t to_exit = k.exit_ms >= 0 ? std::max<std::int64_t>(0, k.exit_ms - k.kill_ms) : -1;
  std::int64_t to_freed = k.freed_ms >= 0 ? std::max<std::int64_t>(0, k.freed_ms - k.kill_ms) : -1;
  if (to_freed >= 0) metrics_.observe_freed(to_freed / 1e3);
  formats::WdKilled rec;
  rec.pid = k.pid, rec.comm = k.comm, rec.kill_to_exit_ms = to_exit, rec.kill_to_freed_ms = to_freed;
  rec.freed_kb = k.freed_kb, rec.reap_error = k.reap_error, rec.closed_after_ms = now - k.kill_ms, rec.freed_by = k.freed_by;
  reporter_.emit(kNotice, format_killed(k.pid, k.comm, to_exit, to_freed, k.freed_kb), std::move(rec));
  if (k.exit_watch) k.exit_watch->cancel();
  if (k.pidfd >= 0) ::close(k.pidfd);
  k.pidfd = -1;
}

}  // namespace oomlab::watchdog
