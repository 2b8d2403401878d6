// The respawner rule, carried out (the rule itself is pure: find_respawner
// and KillPolicy::respawner_kill in kill_policy.hpp). While OOM kills (the
// kernel's or ours) go on in a group, look at its processes once a period
// on the facts worker - cgroup.procs and each process's /proc/PID/stat for
// its ppid and start time, nothing that waits for an mmap lock - and when a
// parent in the group keeps replacing the children those kills take, kill
// the parent (reason=respawner), or say that it may not be killed. After the
// holder rule (holder_rule.cpp) searched the group and found nothing held.
#include <cstdio>

#include "oomlab/facts/vocabulary.hpp"
#include "oomlab/common/clock.hpp"
#include "oomlab/common/procfs.hpp"
#include "oomlab/facts/proc_stat.hpp"
#include "oomlab/watchdog/engine.hpp"

namespace oomlab::watchdog {
namespace {

constexpr std::size_t kMaxLooks = 64;          // 32 s at 500 ms: the kill window
constexpr std::int64_t kLookWindowMs = 30000;  // the holder rule's: kills this close together repeat

GroupLook look_at(const std::vector<pid_t>& pids, const std::string& proc_root) {
  GroupLook look;
  char path[96], buf[1024];
  for (pid_t pid : pids) {
    std::snprintf(path, sizeof path, "%s/%d/stat", proc_root.c_str(), static_cast<int>(pid));
    long n = read_proc_file_into(path, buf, sizeof buf - 1);
    if (n <= 0) continue;
    facts::ProcStat st;
    if (!facts::parse_proc_stat(std::string_view(buf, static_cast<std::size_t>(n)), st) || st.fields < 22) continue;
    look.procs.push_back(GroupProc{st.pid, st.ppid, st.starttime});
  }
  return look;
}

}  // namespace

void Engine::check_respawners(std::int64_t now) {
  for (auto& [cg, h] : oom_history_) {
    if (h.victims.empty() || h.look_pending || !policy_.in_scope(cg)) continue;
    if (h.looked_ms >= 0 && now - h.looked_ms < opt_.period.count()) continue;
    // Victim facts for an incident come first: a look waits for a free worker.
    if (facts_worker_.busy()) return;
    auto look = std::make_shared<GroupLook>();
    const std::string group = cg;
    bool ok = facts_worker_.submit(
        [this, group, look] {
          *look = look_at(cgroups_.procs(group), opt_.proc_root);
          look->t_ms = monotonic_ms();
        },
        [this, group, look] {
          asio::post(io_, [this, group, look] {
            auto it = oom_history_.find(group);
            if (it == oom_history_.end() || stopping_) return;
            OomHistory& hist = it->second;
            hist.look_pending = false;
            hist.looks.push_back(std::move(*look));
            while (hist.looks.size() > kMaxLooks ||
                   (!hist.looks.empty() && hist.looks.back().t_ms - hist.looks.front().t_ms > kLookWindowMs))
              hist.looks.pop_front();
            const std::vector<GroupKill> kills(hist.victims.begin(), hist.victims.end());
            const std::vector<GroupLook> looks(hist.looks.begin(), hist.looks.end());
            // The holder rule judges first: where the kills free nothing
            // because a process holds shmem or pipes (shmem-fill, pipe-fill,
            // whose supervisors restart their applications too), restarting
            // is not what keeps the group full, and the holders are killed.
            // Looks go on meanwhile, so no kill goes unseen.
            if (hist.pending || hist.checked_ms < 0 || hist.holding_found) return;
            const std::optional<Respawner> r = find_respawner(kills, looks);
            if (!r || hist.respawners.count(r->parent)) return;
            hist.respawners.insert(r->parent);
            judge_respawner(group, *r);
          });
        });
    if (ok) {
      h.look_pending = true;
      h.looked_ms = now;
    }
    return;  // one look per period: the worker is busy now
  }
}

void Engine::judge_respawner(const std::string& cg, const Respawner& r) {
  auto cands = std::make_shared<std::vector<Candidate>>();
  bool ok = facts_worker_.submit([this, cands, pid = r.parent] { *cands = collect_candidates({pid}, opt_.proc_root); },
                                 [this, cg, cands, r] {
                                   asio::post(io_, [this, cg, cands, r] {
                                     if (stopping_) return;
                                     const Decision d = policy_.respawner_kill(r, *cands);
                                     std::string who = "pid " + std::to_string(r.parent);
                                     for (const Candidate& c : *cands)
                                       if (c.pid == r.parent) who = c.comm + "(" + std::to_string(c.pid) + ")";
                                     const std::string why = "respawner: cgroup " + cg + ": " + who + " replaced " +
                                                             std::to_string(r.replaced) +
                                                             " of its children killed by OOM kills, and the new "
                                                             "ones took the memory back";
                                     if (d.action != Decision::Action::kill) {
                                       reporter_.note(kWarning, why + "; it may not be killed (protected, out of "
                                                                      "scope or gone): the kills will go on");
                                       return;
                                     }
                                     reporter_.note(kErr, why + "; killing it");
                                     start_kill(d.victim, cg, facts::kill_reason::kRespawner);
                                   });
                                 });
  if (!ok) {
    // The worker is taken: judge again at the next look.
    auto it = oom_history_.find(cg);
    if (it != oom_history_.end()) it->second.respawners.erase(r.parent);
  }
}

}  // namespace oomlab::watchdog
