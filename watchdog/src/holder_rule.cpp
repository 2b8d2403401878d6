// The holder rule: when OOM kills in a cgroup repeat (the kernel's or ours),
// they are freeing nothing - the memory is shmem or pipe buffers that stay
// while any process keeps the file or pipe open. Find who keeps it
// (holders.cpp, on the facts worker: only fd links, stat and FIONREAD, never
// a read that waits for an mmap lock), kill every holder of the largest
// holding (reason=holder), or say plainly that nothing the watchdog can kill
// frees it (a tmpfs file nobody holds).
#include <algorithm>
#include <cstdio>
#include <unistd.h>

#include "oomlab/facts/vocabulary.hpp"
#include "oomlab/common/clock.hpp"
#include "oomlab/common/procfs.hpp"
#include "oomlab/watchdog/engine.hpp"
#include "oomlab/watchdog/holders.hpp"

namespace oomlab::watchdog {
namespace {

constexpr std::int64_t kHolderWindowMs = 30000;   // kills this close together "repeat"
constexpr std::size_t kRepeatedKills = 2;         // a second kill: the first did not help
constexpr std::int64_t kHolderRecheckMs = 5000;   // one search per group this often at most
constexpr std::uint64_t kHeldShareOfLimit = 5;    // a holding worth a kill: >= 1/5 of the limit

struct HolderFindings {
  std::vector<Holding> holdings;
  std::vector<Candidate> holders;  // facts of holdings[0].holders
  std::vector<UnheldFile> unheld;
  std::uint64_t limit_kb = 0;
};

std::string mib(std::uint64_t bytes) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f MiB", static_cast<double>(bytes) / (1 << 20));
  return buf;
}

}  // namespace

void Engine::note_oom_kill(const std::string& cgroup, pid_t victim, std::int64_t now) {
  if (cgroup.empty() || cgroup == "/") return;
  OomHistory& h = oom_history_[cgroup];
  h.kills_ms.push_back(now);
  while (!h.kills_ms.empty() && now - h.kills_ms.front() > kHolderWindowMs) h.kills_ms.pop_front();
  if (victim > 0) h.victims.push_back(GroupKill{victim, now});
  while (!h.victims.empty() && now - h.victims.front().t_ms > kHolderWindowMs) h.victims.pop_front();
}

bool Engine::holders_pending_check(std::int64_t now) const {
  for (const auto& [cg, h] : oom_history_)
    if (h.pending || (!h.kills_ms.empty() && now - h.kills_ms.back() < kHolderWindowMs / 3)) return true;
  return false;
}

void Engine::check_holders(std::int64_t now) {
  for (auto it = oom_history_.begin(); it != oom_history_.end();) {
    OomHistory& h = it->second;
    while (!h.kills_ms.empty() && now - h.kills_ms.front() > kHolderWindowMs) h.kills_ms.pop_front();
    if (h.kills_ms.empty() && !h.pending && !h.look_pending) {
      it = oom_history_.erase(it);
      continue;
    }
    const std::string cg = it->first;
    ++it;
    if (h.pending || h.kills_ms.size() < kRepeatedKills || !policy_.in_scope(cg)) continue;
    if (h.checked_ms >= 0 && now - h.checked_ms < kHolderRecheckMs) continue;
    auto found = std::make_shared<HolderFindings>();
    const std::size_t kills = h.kills_ms.size();
    const std::int64_t span = now - h.kills_ms.front();
    bool ok = facts_worker_.submit(
        [this, cg, found] {
          std::vector<pid_t> pids = cgroups_.procs(cg);
          std::vector<HeldObject> held = find_held(pids, opt_.proc_root, tmpfs_, real_holder_probes());
          found->holdings = holdings_of(held);
          found->limit_kb = total_kb(cg);
          const std::uint64_t worth = found->limit_kb * 1024 / kHeldShareOfLimit;
          if (!found->holdings.empty() && found->holdings[0].bytes >= worth)
            found->holders = collect_candidates(found->holdings[0].holders, opt_.proc_root);
          else
            found->unheld = unheld_tmpfs_files(tmpfs_, held, worth);
        },
        [this, cg, found, kills, span] {
          asio::post(io_, [this, cg, found, kills, span] {
            auto hit = oom_history_.find(cg);
            if (hit == oom_history_.end() || stopping_) return;
            OomHistory& hist = hit->second;
            hist.pending = false;
            const std::uint64_t worth = found->limit_kb * 1024 / kHeldShareOfLimit;
            const std::string what = std::to_string(kills) + " OOM kill(s) in " + std::to_string(span / 1000) + "s";
            if (!found->holdings.empty() && found->holdings[0].bytes >= worth) {
              const Holding& top = found->holdings[0];
              hist.holding_found = true;
              std::string who;
              for (const Candidate& c : found->holders) who += (who.empty() ? "" : ", ") + c.comm + "(" + std::to_string(c.pid) + ")";
              formats::WdHolder rec{cg, top.bytes, top.files, top.pipes, top.largest, top.holders, kills};
              reporter_.emit(kErr,
                             "holder: cgroup " + cg + ": " + what + " freed nothing; " +
                                 (who.empty() ? std::string("(gone)") : who) + " keep " + describe(top) + " alive",
                             std::move(rec));
              for (const Candidate& c : found->holders) {
                if (hist.killed.count(c.pid)) continue;
                if (policy_.rules().never_kill(c)) {
                  reporter_.note(kWarning, "holder " + c.comm + "(" + std::to_string(c.pid) +
                                               ") may not be killed (protected): that memory stays");
                  continue;
                }
                hist.killed.insert(c.pid);
                start_kill(c, cg, facts::kill_reason::kHolder);
              }
              return;
            }
            if (found->unheld.empty() || hist.told_unheld) return;
            hist.told_unheld = true;
            std::string files;
            for (std::size_t i = 0; i < found->unheld.size() && i < 4; ++i)
              files += (i ? ", " : "") + found->unheld[i].path + " (" + mib(found->unheld[i].bytes) + ")";
            if (found->unheld.size() > 4) files += " +" + std::to_string(found->unheld.size() - 4) + " more";
            formats::WdUnheld rec{cg, kills, {}};
            for (const UnheldFile& f : found->unheld) rec.files.emplace_back(f.path, f.bytes);
            reporter_.emit(kErr,
                           "unheld: cgroup " + cg + ": " + what + " freed nothing and no process of the group holds "
                           "shmem or pipes worth it; tmpfs files no process holds: " + files +
                           ": no kill frees them (remove the files)",
                           std::move(rec));
          });
        });
    if (ok) {
      h.pending = true;
      h.checked_ms = now;
    }
  }
}

}  // namespace oomlab::watchdog
