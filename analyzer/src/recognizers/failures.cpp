// Kernel failure reports other than OOM, each turned into a RawReport whose
// title is completed from its trace (titles.cpp):
//   INFO: task a.out:3418 blocked for more than 120 seconds.                 (kernel/hung_task.c)
//   BUG: soft lockup - CPU#1 stuck for 22s! [a.out:3417]  / watchdog: BUG: ... (kernel/watchdog.c)
//   NMI watchdog: Watchdog detected hard LOCKUP on cpu 1
//   INFO: rcu_sched self-detected stall on CPU / rcu: INFO: rcu_preempt detected stalls on CPUs/tasks:
//   WARNING: at mm/bootmem.c:535 func+0x31/0x56()  / WARNING: CPU: 0 PID: 1 at f.c:12 func+0x1/0x2 (lib/bug.c, panic.c)
//   kernel BUG at mm/slub.c:3855!
//   BUG: unable to handle kernel NULL pointer dereference at 0000000000000008 / BUG: kernel NULL pointer dereference, address: 8
//   BUG: unable to handle kernel paging request at X / BUG: unable to handle page fault for address: X
//   general protection fault: 0000 [#1] SMP / Oops: general protection fault, probably for non-canonical address ...
//   BUG: KASAN: use-after-free in func+0x1/0x2 + "Read of size 8 at addr ..." / BUG: KMSAN: uninit-value in func
//   UBSAN: shift-out-of-bounds in lib/foo.c:12:3 / UBSAN: Undefined behaviour in lib/foo.c:12:3
//   Kernel panic - not syncing: Fatal exception
//   COMM: page allocation failure: order:0, mode:0x...  (warn_alloc)
#include <algorithm>
#include <cctype>

#include "../state.hpp"
#include "../text.hpp"

namespace oomlab::analyzer {

bool parse_frame_text(std::string_view m, Frame& f);   // taskdump.cpp

namespace {

using text::starts_with;

// The function of the first "func+0x../0x.." token in s.
std::string symbol_in(std::string_view s) {
  for (std::size_t p = s.find("+0x"); p != std::string_view::npos; p = s.find("+0x", p + 1)) {
    std::size_t b = p;
    while (b > 0 && s[b - 1] != ' ' && s[b - 1] != ']' && s[b - 1] != ':' && s[b - 1] != '(') --b;
    Frame f;
    if (parse_frame_text(s.substr(b), f)) return f.func;
  }
  return {};
}

// "comm:pid" inside [..] at the end of a soft lockup line.
ProcRef bracket_task(std::string_view s) {
  ProcRef p;
  std::size_t ob = s.rfind('['), cb = s.rfind(']');
  if (ob == std::string_view::npos || cb == std::string_view::npos || cb < ob) return p;
  std::string_view in = s.substr(ob + 1, cb - ob - 1);
  std::size_t colon = in.rfind(':');
  if (colon == std::string_view::npos) return p;
  if (auto v = text::parse_uint(in.substr(colon + 1)); v && *v < 0x7fffffff) {
    p.pid = static_cast<int>(*v);
    p.comm.assign(in.substr(0, colon));
  }
  return p;
}

RawReport make(VerdictClass k, std::string head) {
  RawReport r;
  r.klass = k;
  r.head = std::move(head);
  return r;
}

// Another header line of the report already open in this context (an Oops
// line after "BUG: unable to handle ...", "invalid opcode" after "kernel BUG").
bool continues_open_crash(State& st, const Line& l) {
  RawReport* r = st.current_report(l);
  if (!r || r->klass != VerdictClass::crash || l.no - r->first.line > 40) return false;
  r->evidence.push_back(l.no);
  r->last = Where{l.no, l.ts};
  return true;
}

bool hung_task(State& st, const Line& l) {
  std::string_view m = l.msg.substr(11);   // "INFO: task "
  std::size_t b = m.find(" blocked for more than ");
  if (b == std::string_view::npos) return false;
  std::size_t colon = m.rfind(':', b);
  if (colon == std::string_view::npos) return false;
  RawReport r = make(VerdictClass::hung_task, "INFO: task hung");
  auto pid = text::parse_uint(m.substr(colon + 1, b - colon - 1));
  if (!pid || *pid > 0x7fffffff) return false;
  r.task = ProcRef{static_cast<int>(*pid), std::string(m.substr(0, colon))};
  if (auto secs = text::leading_uint(m.substr(b + 23))) r.details.emplace_back("blocked_s", static_cast<std::int64_t>(*secs));
  st.begin_report(l, std::move(r));
  return true;
}

bool rcu_stall(State& st, const Line& l) {
  std::string_view m = l.msg;
  if (starts_with(m, "rcu: ")) m.remove_prefix(5);
  if (!starts_with(m, "INFO: rcu") || !text::contains(m, "stall")) return false;
  // "self-detected stall" and "detected stalls on CPUs/tasks" often come
  // together: one report.
  if (RawReport* r = st.current_report(l); r && r->klass == VerdictClass::rcu_stall && l.no - r->first.line < 40) {
    r->evidence.push_back(l.no);
    return true;
  }
  RawReport r = make(VerdictClass::rcu_stall, "INFO: rcu detected stall");
  st.begin_report(l, std::move(r));
  return true;
}

bool lockup(State& st, const Line& l, std::string_view m) {
  if (starts_with(m, "BUG: soft lockup")) {
    RawReport r = make(VerdictClass::soft_lockup, "BUG: soft lockup");
    r.task = bracket_task(m);
    if (std::size_t s = m.find("stuck for "); s != std::string_view::npos)
      if (auto secs = text::leading_uint(m.substr(s + 10))) r.details.emplace_back("stuck_s", static_cast<std::int64_t>(*secs));
    st.begin_report(l, std::move(r));
    return true;
  }
  if (text::contains(m, "hard LOCKUP")) {
    st.begin_report(l, make(VerdictClass::soft_lockup, "BUG: hard lockup"));
    return true;
  }
  return false;
}

bool watchdog_prefix(State& st, const Line& l) {
  std::string_view m = l.msg;
  m.remove_prefix(starts_with(m, "NMI watchdog: ") ? 14 : 10);
  return lockup(st, l, m);
}

bool bug(State& st, const Line& l) {
  std::string_view m = l.msg.substr(5);   // after "BUG: "
  if (lockup(st, l, l.msg)) return true;
  RawReport r;
  r.klass = VerdictClass::crash;
  if (starts_with(m, "KASAN: ") || starts_with(m, "KMSAN: ") || starts_with(m, "KFENCE: ") || starts_with(m, "KCSAN: ")) {
    std::size_t in = m.find(" in ");
    r.head.assign(m.substr(0, in));
    if (in != std::string_view::npos) r.func = symbol_in(m.substr(in + 4));
    if (r.func.empty() && in != std::string_view::npos) r.func.assign(text::token_at(m, in + 4));
  } else if (starts_with(m, "unable to handle kernel NULL pointer") || starts_with(m, "kernel NULL pointer")) {
    r.head = "BUG: unable to handle kernel NULL pointer dereference";
  } else if (starts_with(m, "unable to handle")) {
    r.head = "BUG: unable to handle kernel paging request";
  } else if (starts_with(m, "workqueue lockup")) {
    r.klass = VerdictClass::soft_lockup;
    r.fixed_title = "BUG: workqueue lockup";
  } else if (starts_with(m, "spinlock lockup")) {
    r.klass = VerdictClass::soft_lockup;
    r.head = "BUG: spinlock lockup suspected";
  } else if (starts_with(m, "Bad page state") || starts_with(m, "Bad rss-counter state") || starts_with(m, "Bad page map")) {
    std::size_t cut = m.find_first_of(":");
    std::string_view what = m.substr(0, std::min(cut, m.find(" in process")));
    r.fixed_title = "BUG: " + std::string(what);
  } else {
    // "BUG: scheduling while atomic: ...", "BUG: sleeping function called from invalid context at ..."
    std::size_t cut = std::min({m.find(':'), m.find(" at "), m.find(", "), m.size()});
    r.head = "BUG: " + std::string(text::rtrim(m.substr(0, cut)));
  }
  st.begin_report(l, std::move(r));
  return true;
}

bool kernel_bug(State& st, const Line& l) {   // "kernel BUG at mm/slub.c:3855!"
  RawReport r = make(VerdictClass::crash, "kernel BUG");
  std::string_view at = text::rtrim(l.msg.substr(14));
  if (!at.empty() && at.back() == '!') at.remove_suffix(1);
  r.details.emplace_back("location", std::string(at));
  st.begin_report(l, std::move(r));
  return true;
}

bool gpf(State& st, const Line& l) {
  if (continues_open_crash(st, l)) return true;
  st.begin_report(l, make(VerdictClass::crash, "general protection fault"));
  return true;
}

bool oops(State& st, const Line& l) {
  std::string_view m = l.msg.substr(6);   // "Oops: "
  if (continues_open_crash(st, l)) return true;
  if (starts_with(m, "general protection fault")) return gpf(st, l);
  std::string head = "Oops";
  if (!m.empty() && !text::is_digit(m[0])) head.assign(m.substr(0, std::min(m.find(':'), m.find(','))));
  st.begin_report(l, make(VerdictClass::crash, head));
  return true;
}

bool trap(State& st, const Line& l) {   // "invalid opcode: 0000 [#1] SMP", "divide error: 0000 [#1]"
  if (!text::contains(l.msg, "[#")) return false;
  if (continues_open_crash(st, l)) return true;
  st.begin_report(l, make(VerdictClass::crash, std::string(l.msg.substr(0, l.msg.find(':')))));
  return true;
}

bool arm_unable(State& st, const Line& l) {   // arm64: "Unable to handle kernel paging request at virtual address"
  std::string head = text::contains(l.msg, "NULL pointer") ? "BUG: unable to handle kernel NULL pointer dereference"
                                                            : "BUG: unable to handle kernel paging request";
  st.begin_report(l, make(VerdictClass::crash, head));
  return true;
}

bool warning(State& st, const Line& l) {
  std::string_view m = l.msg.substr(9);   // after "WARNING: "
  RawReport r = make(VerdictClass::warning, "WARNING");
  if (starts_with(m, "possible circular locking") || starts_with(m, "possible recursive locking") ||
      starts_with(m, "possible irq lock inversion") || starts_with(m, "inconsistent lock state")) {
    r.head = "possible deadlock";
  } else if (starts_with(m, "suspicious RCU usage")) {
    r.head = "WARNING: suspicious RCU usage";
  } else if (starts_with(m, "bad unlock balance")) {
    r.head = "WARNING: bad unlock balance";
  } else {
    r.func = symbol_in(m);
    if (r.func.empty()) {   // "WARNING: at file:line func()" from very old kernels
      std::string_view tail = m.substr(m.rfind(' ') + 1);
      if (text::ends_with(tail, "()")) r.func.assign(tail.substr(0, tail.size() - 2));
    }
    // "at FILE:LINE FUNC()" (2.6/3.x), "CPU: N PID: N at FILE:LINE FUNC+.." (3.x..6.x),
    // "FILE:LINE at FUNC+.., CPU#N: COMM/PID" (6.16+).
    std::size_t at = m.find(" at ");
    std::string_view first = text::token_at(m, 0);
    std::string_view loc = text::contains(first, ".c:") || text::contains(first, ".h:") ? first
                           : starts_with(m, "at ")           ? text::token_at(m, 3)
                           : at != std::string_view::npos    ? text::token_at(m, at + 4)
                                                             : std::string_view{};
    if (!loc.empty()) r.details.emplace_back("location", std::string(loc));
  }
  st.begin_report(l, std::move(r));
  return true;
}

bool ubsan(State& st, const Line& l) {
  std::string_view m = l.msg.substr(7);   // after "UBSAN: "
  std::size_t in = m.find(" in ");
  RawReport r = make(VerdictClass::crash, "UBSAN: " + std::string(m.substr(0, in)));
  if (in != std::string_view::npos) r.details.emplace_back("location", std::string(text::token_at(m, in + 4)));
  st.begin_report(l, std::move(r));
  return true;
}

bool panic(State& st, const Line& l) {
  std::string_view why = text::rtrim(l.msg.substr(28));   // "Kernel panic - not syncing: "
  // A panic that ends an earlier report (panic_on_oops, hung_task_panic,
  // softlockup_panic) is its consequence, not a second failure.
  for (auto it = st.reports.rbegin(); it != st.reports.rend(); ++it) {
    if (it->klass == VerdictClass::warning && it->head != "WARNING") continue;
    it->details.emplace_back("panic", std::string(why));
    it->evidence.push_back(l.no);
    it->last = Where{l.no, l.ts};
    return true;
  }
  RawReport r = make(VerdictClass::crash, "");
  r.fixed_title = "kernel panic: " + std::string(why);
  st.begin_report(l, std::move(r));
  return true;
}

bool alloc_failure(State& st, const Line& l) {
  std::size_t k = l.msg.find(": page allocation failure");
  if (k == std::string_view::npos) return false;
  std::string_view rest = l.msg.substr(k + 25);
  RawReport r = make(VerdictClass::warning, "page allocation failure");
  r.task.comm.assign(l.msg.substr(0, k));
  auto order = text::to_int(text::parse_int(text::value_after(rest, "order:")));
  if (order) r.head += ": order " + std::to_string(*order);
  std::string gfp, flags;
  text::split_gfp(text::value_after(rest, "mode:"), gfp, flags);
  r.details.emplace_back("gfp", gfp);
  if (!flags.empty()) r.details.emplace_back("gfp_flags", flags);
  st.begin_report(l, std::move(r));
  return true;
}

// "CPU: 1 PID: 3417 Comm: a.out Not tainted 4.3.0 #1" / "Pid: 0, comm: swapper Not tainted 2.6.30"
bool cpu_line(State& st, const Line& l) {
  std::string_view m = l.msg;
  std::optional<std::uint64_t> pid;
  std::string_view comm;
  if (std::size_t p = m.find(" PID: "); p != std::string_view::npos) {
    pid = text::leading_uint(m.substr(p + 6));
    if (std::size_t c = m.find(" Comm: "); c != std::string_view::npos) comm = text::token_at(m, c + 7);
  } else if (starts_with(m, "Pid: ")) {
    pid = text::leading_uint(m.substr(5));
    if (std::size_t c = m.find(", comm: "); c != std::string_view::npos) comm = text::token_at(m, c + 8);
  }
  if (!pid || *pid > 0x7fffffff) return true;
  if (RawReport* r = st.current_report(l); r && r->task.pid == 0) {
    r->task = ProcRef{static_cast<int>(*pid), std::string(comm)};
  }
  if (OomEvent* e = st.open_oom(); e && e->invoker && e->invoker->pid == 0 && e->invoker->comm == comm && !e->killed)
    e->invoker->pid = static_cast<int>(*pid);
  return true;
}

bool rip_line(State& st, const Line& l) {   // "RIP: 0010:func+0x1/0x2", "IP: [<..>] func+0x1/0x2", "pc : func+.."
  RawReport* r = st.current_report(l);
  if (!r) return true;
  std::string func = symbol_in(l.msg);
  if (r->rip.empty()) r->rip = func;
  // Inside a trace, after "</IRQ>": the interrupted function itself (RCU
  // stalls and lockups name it), as reliable as a frame can be.
  TraceCtx& c = st.ctx(l.caller);
  if (!func.empty() && c.in_trace && r->saw_irq_end) {
    Frame f;
    f.func = std::move(func);
    st.add_frame(c, l, std::move(f));
  }
  return true;
}

bool kasan_access(State& st, const Line& l) {   // "Read of size 8 at addr ffff... by task a.out/123"
  RawReport* r = st.current_report(l);
  if (r && (starts_with(r->head, "KASAN: ") || starts_with(r->head, "KFENCE: ")) &&
      !text::ends_with(r->head, " Read") && !text::ends_with(r->head, " Write")) {
    r->head += starts_with(l.msg, "Read") ? " Read" : " Write";
    r->evidence.push_back(l.no);
  }
  return true;
}

constexpr Pattern kPatterns[] = {
    {"hung-task", "INFO: task ", Pattern::Anchor::start, hung_task},
    {"rcu-stall", "INFO: rcu", Pattern::Anchor::start, rcu_stall},
    {"rcu-stall-5", "rcu: INFO: rcu", Pattern::Anchor::start, rcu_stall},
    {"watchdog-lockup", "watchdog: ", Pattern::Anchor::start, watchdog_prefix},
    {"nmi-watchdog-lockup", "NMI watchdog: ", Pattern::Anchor::start, watchdog_prefix},
    {"bug", "BUG: ", Pattern::Anchor::start, bug},
    {"kernel-bug", "kernel BUG at ", Pattern::Anchor::start, kernel_bug},
    {"gpf", "general protection fault", Pattern::Anchor::start, gpf},
    {"oops", "Oops: ", Pattern::Anchor::start, oops},
    {"invalid-opcode", "invalid opcode: ", Pattern::Anchor::start, trap},
    {"divide-error", "divide error: ", Pattern::Anchor::start, trap},
    {"arm-unable", "Unable to handle kernel ", Pattern::Anchor::start, arm_unable},
    {"warning", "WARNING: ", Pattern::Anchor::start, warning},
    {"ubsan", "UBSAN: ", Pattern::Anchor::start, ubsan},
    {"panic", "Kernel panic - not syncing: ", Pattern::Anchor::start, panic},
    {"alloc-failure", ": page allocation failure", Pattern::Anchor::after_comm, alloc_failure},
    {"cpu-line", "CPU: ", Pattern::Anchor::start, cpu_line},
    {"pid-line", "Pid: ", Pattern::Anchor::start, cpu_line},
    {"rip", "RIP: ", Pattern::Anchor::start, rip_line},
    {"ip", "IP: ", Pattern::Anchor::start, rip_line},
    {"pc", "pc : ", Pattern::Anchor::start, rip_line},
    {"kasan-read", "Read of size ", Pattern::Anchor::start, kasan_access},
    {"kasan-write", "Write of size ", Pattern::Anchor::start, kasan_access},
};

}  // namespace

std::span<const Pattern> failure_patterns() { return kPatterns; }

}  // namespace oomlab::analyzer
