// OOM kills that free nothing (oom_ineffective, the runner's word for the
// same outcome: facts::Outcome::oom_ineffective). A memory cgroup whose
// charge is held by something no kill releases - shmem/tmpfs pages, pipe
// buffers, a memfd a survivor keeps - hits its limit again right after each
// kill: the kernel prints one memcg OOM report after another, a new small
// victim each time, the group at its limit in every one. That is one
// finding with the count, the rate and what stays charged, not one
// "resolved" kill per report.
#include <algorithm>
#include <cstdio>
#include <map>
#include <string>

#include "state.hpp"
#include "verdict_parts.hpp"

namespace oomlab::analyzer {

namespace {

constexpr double kLoopGapS = 5.0;           // kills further apart are separate OOMs
constexpr std::size_t kLoopMinKills = 3;    // fewer is not a loop
// A kill that frees this share of the limit relieves the group: the
// runner's relief rule (reproducers/RUNNER.md, "none freed 20% of the limit").
constexpr double kReliefShare = 0.2;

std::string group_of(const OomEvent& e) { return !e.memcg.empty() ? e.memcg : e.task_memcg; }

// What the kill can give back: the victim's anonymous memory and page tables
// (file pages may stay cached, shmem stays charged while anyone maps it).
std::uint64_t freed_kb(const OomEvent& e) { return e.victim_anon_rss_kb.value_or(0) + e.victim_pgtables_kb.value_or(0); }

std::string mib(std::uint64_t kb) {
  char b[32];
  std::snprintf(b, sizeof b, "%.0f MiB", static_cast<double>(kb) / 1024.0);
  return b;
}

void emit(State& st, const std::vector<std::size_t>& run, std::vector<Finding>& out, std::vector<bool>& consumed) {
  const auto& ev = st.report.oom_events;
  if (run.size() < kLoopMinKills) return;
  std::uint64_t max_freed = 0, limit = 0, usage = 0;
  std::optional<std::uint64_t> stays;
  for (std::size_t i : run) {
    const OomEvent& e = ev[i];
    if (!e.memcg_limit_kb && !e.memcg_usage_kb) return;   // nothing to judge relief by
    limit = std::max(limit, e.memcg_limit_kb.value_or(0));
    usage = std::max(usage, e.memcg_usage_kb.value_or(0));
    max_freed = std::max(max_freed, freed_kb(e));
    if (e.memcg_usage_kb) {
      const std::uint64_t left = *e.memcg_usage_kb > freed_kb(e) ? *e.memcg_usage_kb - freed_kb(e) : 0;
      stays = stays ? std::min(*stays, left) : left;
    }
  }
  const std::uint64_t base = limit ? limit : usage;
  if (static_cast<double>(max_freed) >= kReliefShare * static_cast<double>(base)) return;
  const OomEvent& a = ev[run.front()];
  const OomEvent& b = ev[run.back()];
  Finding f;
  f.klass = VerdictClass::oom_ineffective;
  f.first = a.first;
  f.last = *b.killed;
  for (std::size_t i : run) {
    consumed[i] = true;
    if (f.evidence.size() < st.opt.limits.evidence) f.evidence.push_back(ev[i].killed->line);
    const ProcRef& v = *ev[i].victim;
    const bool listed = std::any_of(f.tasks.begin(), f.tasks.end(), [&](const TaskRole& t) { return t.pid == v.pid; });
    if (!listed && f.tasks.size() < 16) f.tasks.push_back({v.pid, v.comm, "victim", '?', "", ""});
  }
  const double span = a.killed->ts && b.killed->ts ? *b.killed->ts - *a.killed->ts : 0;
  const double every_ms = span > 0 ? span * 1000.0 / static_cast<double>(run.size() - 1) : 0;
  const std::string group = group_of(a);
  std::string title = "memcg OOM kills free nothing: " + std::to_string(run.size()) + " kills" +
                      (group.empty() ? "" : " in " + group);
  char buf[96] = "";
  if (span > 0) std::snprintf(buf, sizeof buf, " in %.1f s (one every %.0f ms)", span, every_ms);
  title += buf;
  if (stays) title += ", " + mib(*stays) + " stays charged";
  if (b.memcg_shmem_kb) title += " (shmem " + mib(*b.memcg_shmem_kb) + ")";
  f.title = title;
  f.details.emplace_back("kills", static_cast<std::int64_t>(run.size()));
  f.details.emplace_back("memcg", group);
  if (span > 0) {
    f.details.emplace_back("span_s", span);
    f.details.emplace_back("interval_ms", every_ms);
  }
  if (limit) f.details.emplace_back("limit_kb", static_cast<std::int64_t>(limit));
  if (usage) f.details.emplace_back("usage_kb", static_cast<std::int64_t>(usage));
  f.details.emplace_back("max_freed_kb", static_cast<std::int64_t>(max_freed));
  if (stays) f.details.emplace_back("stays_charged_kb", static_cast<std::int64_t>(*stays));
  if (b.memcg_shmem_kb) f.details.emplace_back("shmem_kb", static_cast<std::int64_t>(*b.memcg_shmem_kb));
  out.push_back(std::move(f));
}

}  // namespace

void kill_loop_findings(State& st, std::vector<Finding>& out, std::vector<bool>& consumed) {
  const auto& ev = st.report.oom_events;
  std::map<std::string, std::vector<std::size_t>> open;   // per memcg: the run so far
  for (std::size_t i = 0; i < ev.size(); ++i) {
    const OomEvent& e = ev[i];
    if (!e.memcg_oom || !e.victim || !e.killed) continue;
    auto& run = open[group_of(e)];
    if (!run.empty()) {
      const OomEvent& prev = ev[run.back()];
      const bool clocks = prev.killed->ts && e.killed->ts;
      const double gap = clocks ? *e.killed->ts - *prev.killed->ts : 0;
      if (gap > kLoopGapS || gap < 0) {   // far apart, or the clock went back (another excerpt)
        emit(st, run, out, consumed);
        run.clear();
      }
    }
    run.push_back(i);
  }
  for (auto& [group, run] : open) emit(st, run, out, consumed);
}

}  // namespace oomlab::analyzer
