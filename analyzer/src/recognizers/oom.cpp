// OOM killer reports, mm/oom_kill.c and mm/memcontrol.c, 2.6.3x .. 6.x:
//   COMM invoked oom-killer: gfp_mask=0x24000c0, order=-1, oom_score_adj=0        (3.x/4.x)
//   COMM invoked oom-killer: gfp_mask=0x280da, order=0, oom_adj=0, oom_score_adj=0 (3.x)
//   COMM invoked oom-killer: gfp_mask=0x6280ca(GFP_HIGHUSER_MOVABLE|__GFP_ZERO), nodemask=(null), order=0, oom_score_adj=0
//   Mem-Info:
//   [ pid ]   uid  tgid total_vm      rss nr_ptes nr_pmds swapents oom_score_adj name   (+ variants, task_table.cpp)
//   oom-kill:constraint=CONSTRAINT_NONE,nodemask=(null),cpuset=/,mems_allowed=0,global_oom,task_memcg=/,task=a.out,pid=1,uid=0
//   Out of memory: Kill process 3417 (a.out) score 890 or sacrifice child
//   Out of memory: kill process 3417 (a.out) score 890 or a child                   (2.6.3x)
//   Killed process 3418 (a.out) total-vm:4324kB, anon-rss:96kB, file-rss:0kB[, shmem-rss:0kB]
//   Out of memory: Killed process 3418 (a.out) total-vm:..kB, anon-rss:..kB, file-rss:..kB, shmem-rss:..kB, UID:0 pgtables:48kB oom_score_adj:0
//   Memory cgroup out of memory: Kill process N (comm) score S or sacrifice child / Killed process ...
//   Task in /A killed as a result of limit of /B
//   oom_reaper: reaped process 3418 (a.out), now anon-rss:0kB, file-rss:0kB, shmem-rss:0kB
//   oom_reaper: unable to reap pid:3418 (a.out)
#include "../state.hpp"
#include "../text.hpp"
#include "oomlab/facts/kernel_lines.hpp"

namespace oomlab::analyzer {

namespace {

using text::starts_with;

std::optional<std::uint64_t> kb_after(std::string_view s, std::string_view key) {
  std::string_view v = text::value_after(s, key);
  return v.empty() ? std::nullopt : text::leading_uint(v);
}

bool invoked(State& st, const Line& l) {
  std::size_t at = l.msg.find(" invoked oom-killer: ");
  if (at == std::string_view::npos) return false;
  OomEvent* e = st.oom_for(l, OomPhase::invoked);
  if (!e) return true;
  e->invoked = Where{l.no, l.ts};
  e->invoker = ProcRef{0, std::string(l.msg.substr(0, at))};
  std::string_view args = l.msg.substr(at + 21);
  text::split_gfp(text::value_after(args, "gfp_mask="), e->gfp, e->gfp_flags);
  e->order = text::to_int(text::parse_int(text::value_after(args, "order=")));
  e->oom_score_adj = text::to_int(text::parse_int(text::value_after(args, "oom_score_adj=")));
  std::string_view nm = text::value_after(args, "nodemask=");
  e->nodemask.assign(nm);
  e->sysrq = e->order && *e->order == -1;   // sysrq-f passes order -1
  return true;
}

// show_mem() prints Mem-Info for an OOM report, but also for sysrq-m, a
// "page allocation failure" (warn_alloc) and panics: it continues an OOM
// report that is open and never opens one. A report whose "invoked" line was
// lost is still opened by its task table or kill line.
bool mem_info(State& st, const Line& l) {
  if (text::rtrim(l.msg) != "Mem-Info:") return false;
  st.oom_continued_by(l, OomPhase::meminfo);
  return true;
}

bool constraint(State& st, const Line& l) {
  OomEvent* e = st.oom_for(l, OomPhase::constraint);
  if (!e) return true;
  // A cut line (no pid=) still tells its constraint and groups.
  const facts::OomKillSummary s = facts::parse_oom_kill_keys(l.msg).value_or(facts::OomKillSummary{});
  e->constraint = s.constraint;
  e->nodemask = s.nodemask;
  e->cpuset = s.cpuset;
  if (!s.oom_memcg.empty()) e->memcg = s.oom_memcg;
  e->task_memcg = s.task_memcg;
  if (e->constraint == "CONSTRAINT_MEMCG") e->memcg_oom = true;
  st.table_active = false;
  return true;
}

// "Kill process N (comm) score S or sacrifice child" / "Killed process N (comm) total-vm:...",
// read by facts (the line's one parser); `rest` starts at it.
bool kill_line(State& st, const Line& l, std::string_view rest, bool memcg) {
  st.table_active = false;
  const bool selection = starts_with(rest, "Kill process ") || starts_with(rest, "kill process ");
  if (!selection && !starts_with(rest, "Killed process ")) return false;
  const auto k = facts::parse_killed_process(rest);
  if (!k || k->selection_only != selection) return false;
  if (selection) {
    OomEvent* e = st.oom_for(l, OomPhase::select);
    if (!e) return true;
    e->memcg_oom = e->memcg_oom || memcg;
    e->selected = ProcRef{k->pid, k->comm};
    e->selected_score = k->score;
    return true;
  }
  OomEvent* e = st.oom_for(l, OomPhase::killed);
  if (!e) return true;
  e->memcg_oom = e->memcg_oom || memcg;
  e->victim = ProcRef{k->pid, k->comm};
  e->killed = Where{l.no, l.ts};
  e->victim_total_vm_kb = k->total_vm_kb;
  e->victim_anon_rss_kb = k->anon_rss_kb;
  e->victim_file_rss_kb = k->file_rss_kb;
  e->victim_shmem_rss_kb = k->shmem_rss_kb;
  e->victim_pgtables_kb = k->pgtables_kb;
  e->victim_uid = k->uid;
  return true;
}

bool out_of_memory(State& st, const Line& l) {
  std::string_view rest = l.msg.substr(15);   // "Out of memory: "
  return kill_line(st, l, rest, false);
}

// vm.oom_kill_allocating_task=1: the allocating task is killed without a
// task scan ("Out of memory (oom_kill_allocating_task): Killed process ...").
bool out_of_memory_allocating(State& st, const Line& l) {
  std::string_view rest = l.msg.substr(l.msg.find("): ") + 3);
  return kill_line(st, l, rest, false);
}

bool memcg_out_of_memory(State& st, const Line& l) {
  std::string_view rest = l.msg.substr(29);   // "Memory cgroup out of memory: "
  return kill_line(st, l, rest, true);
}

bool bare_killed(State& st, const Line& l) { return kill_line(st, l, l.msg, false); }

bool task_in_memcg(State& st, const Line& l) {
  // "Task in /A killed as a result of limit of /B"
  std::string_view m = l.msg.substr(8);
  std::size_t k = m.find(" killed as a result of limit of ");
  if (k == std::string_view::npos) return false;
  OomEvent* e = st.open_oom();
  if (!e) e = st.oom_for(l, OomPhase::constraint);
  if (!e) return true;
  e->memcg_oom = true;
  e->task_memcg.assign(m.substr(0, k));
  e->memcg.assign(text::rtrim(m.substr(k + 32)));
  return true;
}

bool reaper(State& st, const Line& l) {
  const auto r = facts::parse_oom_reaper(l.msg);
  if (!r) return false;
  const ProcRef p{r->pid, r->comm};
  const bool failed = r->failed;
  OomEvent* e = st.oom_with_victim(p.pid);
  if (!e) {
    // An excerpt that starts at the reaper's line: the kill came before it.
    e = st.oom_for(l, OomPhase::killed);
    if (!e) return true;
    e->victim = p;
    e->killed = Where{l.no, l.ts};
  }
  if (failed) e->reap_failed = true;
  else e->reaped = Where{l.no, l.ts};
  e->last = Where{l.no, l.ts};
  return true;
}

// mem_cgroup_print_oom_meminfo(): "memory: usage 65536kB, limit 65536kB, failcnt 98"
// (also "memory+swap:", "kmem:", "swap:" lines, which are not the group's charge).
bool memcg_usage(State& st, const Line& l) {
  OomEvent* e = st.open_oom();
  if (!e || e->killed) return true;
  std::string_view m = l.msg.substr(8);   // after "memory: "
  e->memcg_oom = true;
  e->memcg_usage_kb = kb_after(m, "usage ");
  e->memcg_limit_kb = kb_after(m, "limit ");
  return true;
}

// The group's shmem in the stats that follow: "shmem 60399616" (bytes; v2
// memory.stat, v1 on 5.x+ with "total_shmem" for the hierarchy) or, on 4.x
// v1, "Memory cgroup stats for /G: cache:0KB rss:2048KB ... shmem:512KB ...".
bool memcg_shmem(State& st, const Line& l) {
  OomEvent* e = st.open_oom();
  if (!e || e->killed || !e->memcg_oom) return true;
  std::string_view m = l.msg;
  if (text::starts_with(m, "Memory cgroup stats for ")) {
    if (auto kb = kb_after(m, "shmem:")) e->memcg_shmem_kb = kb;
    return true;
  }
  const bool total = text::starts_with(m, "total_shmem ");
  if (!total && e->memcg_shmem_kb && e->memcg_shmem_kb_total) return true;
  auto bytes = text::parse_uint(text::trim(m.substr(total ? 12 : 6)));
  if (!bytes) return false;
  e->memcg_shmem_kb = *bytes / 1024;
  e->memcg_shmem_kb_total = total;
  return true;
}

bool sysrq(State& st, const Line& l) {
  if (text::contains(l.msg, "Manual OOM execution")) st.sysrq_oom.push_back(Where{l.no, l.ts});
  return true;
}

constexpr Pattern kPatterns[] = {
    {"oom-invoked", " invoked oom-killer: ", Pattern::Anchor::after_comm, invoked},
    {"mem-info", "Mem-Info:", Pattern::Anchor::start, mem_info},
    {"oom-kill-constraint", "oom-kill:", Pattern::Anchor::start, constraint},
    {"out-of-memory", "Out of memory: ", Pattern::Anchor::start, out_of_memory},
    {"out-of-memory-allocating", "Out of memory (oom_kill_allocating_task): ", Pattern::Anchor::start, out_of_memory_allocating},
    {"memcg-out-of-memory", "Memory cgroup out of memory: ", Pattern::Anchor::start, memcg_out_of_memory},
    {"killed-process", "Killed process ", Pattern::Anchor::start, bare_killed},
    {"memcg-task-in", "Task in ", Pattern::Anchor::start, task_in_memcg},
    {"oom-reaper", "oom_reaper: ", Pattern::Anchor::start, reaper},
    {"memcg-usage", "memory: usage ", Pattern::Anchor::start, memcg_usage},
    {"memcg-stats", "Memory cgroup stats for ", Pattern::Anchor::start, memcg_shmem},
    {"memcg-shmem", "shmem ", Pattern::Anchor::start, memcg_shmem},
    {"memcg-total-shmem", "total_shmem ", Pattern::Anchor::start, memcg_shmem},
    {"sysrq", "sysrq: ", Pattern::Anchor::start, sysrq},
    {"sysrq-old", "SysRq : ", Pattern::Anchor::start, sysrq},
};

}  // namespace

std::span<const Pattern> oom_patterns() { return kPatterns; }

}  // namespace oomlab::analyzer
