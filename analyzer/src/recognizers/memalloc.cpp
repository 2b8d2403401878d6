// Allocation stall reports.
//  kmallocwd (T. Handa's watchdog patches, 2015..2017):
//   MemAlloc-Info: 10 stalling task, 0 dying task, 0 victim task.                          (2015)
//   MemAlloc-Info: 3 stalling task, 0 dying task, 0 exiting task, 1 victim task. oom_count=12 (2016)
//   MemAlloc-Info: stalling=184 dying=1 exiting=0 victim=1 oom_count=198                    (2017, oomlab-watchdog)
//   MemAlloc: a.out(3417) seq=1234 gfp=0x24280ca order=0 delay=10001                        (2015)
//   MemAlloc: a.out(3417) flags=0x400840 switches=266 seq=1 gfp=0x24280ca(GFP_HIGHUSER_MOVABLE|__GFP_ZERO) order=0 delay=10001 uninterruptible dying victim
//  warn_alloc (4.10..4.14):
//   a.out: page allocation stalls for 10016ms, order:0, mode:0x24201ca(GFP_HIGHUSER_MOVABLE|__GFP_COLD)
// The same MemAlloc lines from oomlab-watchdog arrive here through
// oomlab_lines.cpp with source "oomlab-watchdog".
#include "memalloc.hpp"

#include "../state.hpp"
#include "../text.hpp"

namespace oomlab::analyzer {

namespace {

// "10 stalling task" -> 10, searching "stalling task" in s.
std::optional<int> count_before(std::string_view s, std::string_view word) {
  std::size_t k = s.find(word);
  if (k == std::string_view::npos || k < 2) return std::nullopt;
  std::size_t e = k - 1;   // the space before the word
  std::size_t b = e;
  while (b > 0 && text::is_digit(s[b - 1])) --b;
  return text::to_int(text::parse_int(s.substr(b, e - b)));
}

std::optional<int> kv_int(std::string_view s, std::string_view key) {
  return text::to_int(text::parse_int(text::value_after(s, key)));
}

}  // namespace

bool parse_memalloc_info(State& st, const Line& l, std::string_view body, std::string_view source) {
  MemAllocSample m;
  m.at = Where{l.no, l.ts};
  m.source.assign(source);
  if (text::contains(body, "stalling=")) {
    auto s = kv_int(body, "stalling="), d = kv_int(body, "dying="), v = kv_int(body, "victim=");
    if (!s || !d || !v) return false;
    m.format = "kv";
    m.stalling = *s;
    m.dying = *d;
    m.victim = *v;
    m.exiting = kv_int(body, "exiting=");
    m.oom_count = kv_int(body, "oom_count=");
  } else {
    auto s = count_before(body, "stalling task"), d = count_before(body, "dying task"),
         v = count_before(body, "victim task");
    if (!s || !d || !v) return false;
    m.stalling = *s;
    m.dying = *d;
    m.victim = *v;
    m.exiting = count_before(body, "exiting task");
    m.oom_count = kv_int(body, "oom_count=");
    m.format = m.exiting || m.oom_count ? "2016" : "2015";
  }
  m.machine_wide = source == "oomlab-watchdog" && !st.opt.cgroup.empty();
  auto& ma = st.report.memalloc;
  if (m.stalling > ma.max_stalling) ma.max_stalling = m.stalling;
  st.push_capped(ma.series, std::move(m), st.opt.limits.series, ma.series_dropped);
  return true;
}

bool parse_memalloc_task(State& st, const Line& l, std::string_view body, std::string_view source) {
  // The comm may contain spaces and parentheses: the pid is the last "(N)"
  // before the first key=value field.
  std::size_t first_kv = std::string_view::npos;
  for (std::string_view key : {" tgid=", " flags=", " seq=", " gfp=", " state=", " switches=", " delay=", " order="}) {
    std::size_t k = body.find(key);
    if (k < first_kv) first_kv = k;
  }
  MemAllocTask t;
  if (!text::split_comm_pid(body.substr(0, first_kv), t.task.comm, t.task.pid)) return false;
  t.at = Where{l.no, l.ts};
  t.source.assign(source);
  std::string_view rest = first_kv == std::string_view::npos ? std::string_view{} : body.substr(first_kv + 1);
  for (std::size_t i = 0; i < rest.size();) {
    while (i < rest.size() && rest[i] == ' ') ++i;
    std::string_view tok = text::token_at(rest, i);
    if (tok.empty()) break;
    i += tok.size();
    std::size_t eq = tok.find('=');
    std::string_view k = tok.substr(0, eq), v = eq == std::string_view::npos ? std::string_view{} : tok.substr(eq + 1);
    if (eq == std::string_view::npos) {
      if (k == "dying") t.dying = true;
      else if (k == "exiting") t.exiting = true;
      else if (k == "victim") t.victim = true;
      else if (k == "uninterruptible") t.state = "D";
    } else if (k == "tgid") {
      t.tgid = text::to_int(text::parse_int(v));
    } else if (k == "state") {
      t.state.assign(v);
    } else if (k == "kind") {
      t.kind.assign(v);
    } else if (k == "wchan") {
      t.wchan.assign(v);
    } else if (k == "cgroup") {
      t.cgroup.assign(v);
    } else if (k == "gfp") {
      text::split_gfp(v, t.gfp, t.gfp_flags);
    } else if (k == "order") {
      t.order = text::to_int(text::parse_int(v));
    } else if (k == "delay") {
      t.delay_ms = text::leading_uint(v);   // kernel: jiffies (ms at HZ=1000); watchdog: "Nms"
    } else if (k == "mmap_lock") {
      t.lock_mode.assign(v);
    } else if (k.size() > 6 && k.substr(k.size() - 6) == "_delay") {
      for (const auto& [name, value] : MemAllocTask::kDelayKeys)
        if (k.substr(0, k.size() - 6) == name) t.delays_ms.*value = text::leading_uint(v);
    }
  }
  auto& ma = st.report.memalloc;
  if (source == "oomlab-watchdog" && st.other_cgroup(t.cgroup)) return true;  // --cgroup: another group's task
  if (!ma.series.empty() && ma.series.back().machine_wide && ma.series.back().source == source) {
    ++ma.series.back().listed;
    ma.series.back().listed_dying += t.dying;
    ma.series.back().listed_victim += t.victim;
  }
  ++ma.task_lines;
  if (t.delay_ms && *t.delay_ms > ma.max_delay_ms) ma.max_delay_ms = *t.delay_ms;
  st.push_capped(ma.tasks, std::move(t), st.opt.limits.memalloc_tasks, ma.tasks_dropped);
  return true;
}

namespace {

bool memalloc_info(State& st, const Line& l) { return parse_memalloc_info(st, l, l.msg.substr(14), "kernel"); }
bool memalloc_task(State& st, const Line& l) { return parse_memalloc_task(st, l, l.msg.substr(10), "kernel"); }

bool alloc_stall(State& st, const Line& l) {
  // "COMM: page allocation stalls for 10016ms, order:0, mode:0x24201ca(GFP_...)"
  std::size_t k = l.msg.find(": page allocation stalls for ");
  if (k == std::string_view::npos) return false;
  AllocStall a;
  a.at = Where{l.no, l.ts};
  a.task.comm.assign(l.msg.substr(0, k));
  std::string_view rest = l.msg.substr(k + 29);
  auto ms = text::leading_uint(rest);
  if (!ms) return false;
  a.ms = *ms;
  a.order = text::to_int(text::parse_int(text::value_after(rest, "order:")));
  text::split_gfp(text::value_after(rest, "mode:"), a.gfp, a.gfp_flags);
  auto& ma = st.report.memalloc;
  if (a.ms > ma.max_delay_ms) ma.max_delay_ms = a.ms;
  st.push_capped(ma.alloc_stalls, std::move(a), st.opt.limits.misc, ma.alloc_stalls_dropped);
  return true;
}

constexpr Pattern kPatterns[] = {
    {"memalloc-info", "MemAlloc-Info: ", Pattern::Anchor::start, memalloc_info},
    {"memalloc-task", "MemAlloc: ", Pattern::Anchor::start, memalloc_task},
    {"alloc-stall", ": page allocation stalls for ", Pattern::Anchor::after_comm, alloc_stall},
};

}  // namespace

std::span<const Pattern> memalloc_patterns() { return kPatterns; }

}  // namespace oomlab::analyzer
