// oomlab's own lines, exactly as docs/FORMATS.md defines them:
//   oomlab-watchdog[PID]: MemAlloc-Info: stalling=N dying=N exiting=N victim=N oom_count=N
//   oomlab-watchdog[PID]: MemAlloc: COMM(TID) tgid=TGID state=D kind=KIND delay=Nms wchan=SYM cgroup=PATH ...
//   oomlab-watchdog[PID]: warn: stall of COMM(TID) for Nms in cgroup PATH
//   oomlab-watchdog[PID]: kill: pid=N comm=COMM cgroup=PATH rss=NkB oom_score_adj=N reason=REASON
//   oomlab-watchdog[PID]: killed: pid=N comm=COMM kill_to_exit=Nms kill_to_freed=Nms freed=NkB
//   oomlab-watchdog[PID]: escalate: cgroup=PATH reason=REASON
//   oomlab-tracer[PID]: reclaim: COMM(TID) kind=direct|memcg gfp=0xHEX(FLAGS) order=N delay=Nms
//   oomlab-tracer[PID]: lockwait: COMM(TID) waits mmap_lock write|read Nms; held by COMM(TID)[, COMM(TID)...]
//   oomlab-tracer[PID]: victim: COMM(PID) marked=+Nms reaped=+Nms|skipped|- exited=+Nms|-
#include <algorithm>
#include <cstdlib>

#include "../state.hpp"
#include "../text.hpp"
#include "memalloc.hpp"

namespace oomlab::analyzer {

namespace {

using text::starts_with;

// "oomlab-watchdog[123]: " -> the body after it.
bool strip_tag(std::string_view msg, std::string_view tag, std::string_view& body) {
  if (!starts_with(msg, tag)) return false;
  std::size_t close = msg.find("]: ", tag.size());
  if (close == std::string_view::npos || close > tag.size() + 12) return false;
  body = msg.substr(close + 3);
  return true;
}

// "k=v k=v ..." fields; a value runs to the next " key=" so that comms and
// cgroup paths with spaces survive.
std::vector<std::pair<std::string, std::string>> kv_fields(std::string_view s) {
  std::vector<std::pair<std::string, std::string>> out;
  std::size_t i = 0;
  while (i < s.size() && out.size() < 16) {
    while (i < s.size() && s[i] == ' ') ++i;
    std::size_t eq = s.find('=', i);
    if (eq == std::string_view::npos) break;
    std::string_view key = s.substr(i, eq - i);
    if (key.find(' ') != std::string_view::npos) break;
    std::size_t next = eq + 1;
    for (;;) {   // next " word=" starts the next field
      std::size_t sp = s.find(' ', next);
      if (sp == std::string_view::npos) { next = s.size(); break; }
      std::size_t eq2 = s.find('=', sp + 1);
      std::size_t sp2 = s.find(' ', sp + 1);
      if (eq2 != std::string_view::npos && (sp2 == std::string_view::npos || eq2 < sp2)) { next = sp; break; }
      next = sp + 1;
    }
    out.emplace_back(std::string(key), std::string(text::rtrim(s.substr(eq + 1, next - eq - 1))));
    i = next;
  }
  return out;
}

std::string_view field_of(const WatchdogAction& a, std::string_view key) {
  for (const auto& [k, v] : a.fields)
    if (k == key) return v;
  return {};
}

// Options::cgroup: false for an action of another group (left out). warn, kill and
// escalate name their cgroup; a killed: line is its kill's (same pid). An
// action that names none (a cut line) stays: nothing says it is another's.
bool of_the_group(State& st, const WatchdogAction& a) {
  const int pid = std::atoi(std::string(field_of(a, "pid")).c_str());
  if (a.action == "killed") {
    if (std::find(st.other_kills.begin(), st.other_kills.end(), pid) == st.other_kills.end()) return true;
    ++st.report.input.other_cgroup_lines;
    return false;
  }
  const std::string_view cg = field_of(a, "cgroup");
  if (cg.empty() || !st.other_cgroup(cg)) return true;
  if (a.action == "kill" && pid > 0) st.other_kills.push_back(pid);
  return false;
}

bool watchdog(State& st, const Line& l) {
  std::string_view body;
  if (!strip_tag(l.msg, "oomlab-watchdog[", body)) return false;
  if (starts_with(body, "MemAlloc-Info: ")) return parse_memalloc_info(st, l, body.substr(15), "oomlab-watchdog");
  if (starts_with(body, "MemAlloc: ")) return parse_memalloc_task(st, l, body.substr(10), "oomlab-watchdog");
  std::size_t colon = body.find(": ");
  if (colon == std::string_view::npos) return true;   // other watchdog chatter
  std::string_view action = body.substr(0, colon);
  if (action == "kmsg") st.watchdog_withheld = true;   // its summary of lines kept out of /dev/kmsg
  if (action != "warn" && action != "kill" && action != "killed" && action != "escalate") return true;
  WatchdogAction a;
  a.at = Where{l.no, l.ts};
  a.action.assign(action);
  std::string_view rest = body.substr(colon + 2);
  if (action == "warn") {   // "stall of COMM(TID) for Nms in cgroup PATH"
    std::size_t f = rest.rfind(" for ");
    std::string comm;
    int pid = 0;
    if (starts_with(rest, "stall of ") && f != std::string_view::npos &&
        text::split_comm_pid(rest.substr(9, f - 9), comm, pid)) {
      a.fields.emplace_back("comm", comm);
      a.fields.emplace_back("pid", std::to_string(pid));
      std::string_view tail = rest.substr(f + 5);
      a.fields.emplace_back("delay", std::string(text::token_at(tail, 0)));
      if (std::size_t c = tail.find(" in cgroup "); c != std::string_view::npos)
        a.fields.emplace_back("cgroup", std::string(text::rtrim(tail.substr(c + 11))));
    }
  } else {
    a.fields = kv_fields(rest);
  }
  if (!st.opt.cgroup.empty() && !of_the_group(st, a)) return true;
  st.push_capped(st.report.watchdog_actions, std::move(a), st.opt.limits.misc, st.misc_dropped);
  return true;
}

bool tracer(State& st, const Line& l) {
  std::string_view body;
  if (!strip_tag(l.msg, "oomlab-tracer[", body)) return false;
  if (starts_with(body, "reclaim: ")) {
    std::string_view r = body.substr(9);
    std::size_t k = r.find(" kind=");
    MemAllocTask t;
    if (k == std::string_view::npos || !text::split_comm_pid(r.substr(0, k), t.task.comm, t.task.pid)) return true;
    t.at = Where{l.no, l.ts};
    t.source = "oomlab-tracer";
    t.kind = "reclaim";
    t.wchan.assign(text::value_after(r, "kind="));   // direct|memcg
    text::split_gfp(text::value_after(r, "gfp="), t.gfp, t.gfp_flags);
    t.order = text::to_int(text::parse_int(text::value_after(r, "order=")));
    t.delay_ms = text::leading_uint(text::value_after(r, "delay="));
    auto& ma = st.report.memalloc;
    ++ma.task_lines;
    if (t.delay_ms && *t.delay_ms > ma.max_delay_ms) ma.max_delay_ms = *t.delay_ms;
    st.push_capped(ma.tasks, std::move(t), st.opt.limits.memalloc_tasks, ma.tasks_dropped);
    return true;
  }
  if (starts_with(body, "lockwait: ")) {
    std::string_view r = body.substr(10);
    std::size_t w = r.find(" waits ");
    LockWait lw;
    if (w == std::string_view::npos || !text::split_comm_pid(r.substr(0, w), lw.waiter.comm, lw.waiter.pid)) return true;
    lw.at = Where{l.no, l.ts};
    std::string_view rest = r.substr(w + 7);   // "mmap_lock write 12000ms; held by a(1), b(2)"
    lw.lock.assign(text::token_at(rest, 0));
    lw.mode.assign(text::token_at(rest, lw.lock.size() + 1));
    lw.wait_ms = text::leading_uint(text::token_at(rest, lw.lock.size() + lw.mode.size() + 2)).value_or(0);
    // "; held by X(1)" (first form) and "; held for read|write by X(1), Y(2) +N more".
    std::size_t h = rest.find("; held ");
    std::size_t by = h == std::string_view::npos ? h : rest.find(" by ", h);
    if (by != std::string_view::npos) {
      std::string_view holders = rest.substr(by + 4);
      if (std::size_t more = holders.find(" +"); more != std::string_view::npos) holders = holders.substr(0, more);
      while (!holders.empty() && lw.holders.size() < 16) {
        std::size_t comma = holders.find("), ");
        std::string_view one = comma == std::string_view::npos ? holders : holders.substr(0, comma + 1);
        ProcRef p;
        if (text::split_comm_pid(text::trim(one), p.comm, p.pid)) lw.holders.push_back(p);
        if (comma == std::string_view::npos) break;
        holders.remove_prefix(comma + 3);
      }
    }
    st.push_capped(st.report.lock_waits, std::move(lw), st.opt.limits.misc, st.misc_dropped);
    return true;
  }
  if (starts_with(body, "victim: ")) {
    WatchdogAction a;
    a.at = Where{l.no, l.ts};
    a.action = "tracer_victim";
    std::string_view r = body.substr(8);
    std::size_t k = r.find(" marked=");
    std::string comm;
    int pid = 0;
    if (k != std::string_view::npos && text::split_comm_pid(r.substr(0, k), comm, pid)) {
      a.fields.emplace_back("comm", comm);
      a.fields.emplace_back("pid", std::to_string(pid));
      for (auto& kv : kv_fields(r.substr(k + 1))) a.fields.push_back(kv);
    }
    st.push_capped(st.report.watchdog_actions, std::move(a), st.opt.limits.misc, st.misc_dropped);
  }
  return true;
}

constexpr Pattern kPatterns[] = {
    {"oomlab-watchdog", "oomlab-watchdog[", Pattern::Anchor::start, watchdog},
    {"oomlab-tracer", "oomlab-tracer[", Pattern::Anchor::start, tracer},
};

}  // namespace

std::span<const Pattern> oomlab_line_patterns() { return kPatterns; }

}  // namespace oomlab::analyzer
