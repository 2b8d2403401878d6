// Kernel failure reports other than OOM, each turned into a RawReport whose
// title is completed from its trace (titles.cpp):
//   INFO: task a.out:3418 blocked for more than 120 seconds.                 (kernel/hung_task.c)
//   INFO: task cat:1150 is blocked on a mutex likely owned by task cat:1149.  (6.15+, facts/hung_task.hpp)
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

#include "oomlab/facts/hung_task.hpp"
#include "../oops_table.hpp"
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

// Starts the report whose header `m` is (a row of oops_table.cpp). Returns
// nullptr when no row matches or the row is a known non-report line.
RawReport* begin_oops(State& st, const Line& l, std::string_view m, bool* ignored = nullptr) {
  const OopsFormat* f = find_oops(m);
  if (ignored) *ignored = f && f->ignore;
  if (!f || f->ignore) return nullptr;
  RawReport r;
  r.klass = f->klass;
  r.format = f;
  if (f->cap_end != "\n") {
    std::string_view rest = m.substr(f->prefix.size());
    std::size_t e = f->cap_end.empty() ? std::string_view::npos : rest.find(f->cap_end);
    r.cap.assign(text::trim(rest.substr(0, e)));
  }
  r.header_func = symbol_in(m.substr(f->prefix.size()));
  if (r.header_func.empty()) {   // "WARNING: at file:line func()" (2.6)
    std::string_view tail = text::rtrim(m);
    tail = tail.substr(tail.rfind(' ') + 1);
    if (text::ends_with(tail, "()") && tail.size() > 2) r.header_func.assign(tail.substr(0, tail.size() - 2));
  }
  return st.begin_report(l, std::move(r));
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

bool hung_task(State& st, const Line& l) {   // "INFO: task a.out:3418 blocked for more than 120 seconds."
  auto h = facts::parse_hung_task_header(l.msg);
  if (!h) return false;
  RawReport* r = begin_oops(st, l, l.msg);
  if (!r) return false;
  r->task = ProcRef{h->pid, h->comm};
  if (h->blocked_s) r->details.emplace_back("blocked_s", static_cast<std::int64_t>(*h->blocked_s));
  return true;
}

// "INFO: task cat:1150 is blocked on a mutex likely owned by task cat:1149."
// (6.15+): belongs to the hung-task report of that task just before it, whose
// finding then names the lock and its likely owner. Without that report (its
// header lost to the ratelimit) the line itself reports the hung task.
bool hung_task_blocker(State& st, const Line& l, facts::HungTaskBlocker b) {
  for (std::size_t i = st.reports.size(); i-- > 0;) {
    RawReport& r = st.reports[i];
    if (l.no - r.first.line > 400) break;
    if (r.klass != VerdictClass::hung_task || r.task.pid != b.pid) continue;
    r.evidence.push_back(l.no);
    r.last = Where{l.no, l.ts};
    r.blocker = std::move(b);
    return true;
  }
  RawReport* r = begin_oops(st, l, l.msg);
  if (!r) return true;
  r->task = ProcRef{b.pid, b.comm};
  r->blocker = std::move(b);
  return true;
}

bool rcu_stall(State& st, const Line& l, std::string_view m) {
  if (!starts_with(m, "INFO: rcu") || !text::contains(m, "stall")) return false;
  // "self-detected stall" and "detected stalls on CPUs/tasks" often come
  // together: one report.
  if (RawReport* r = st.current_report(l); r && r->klass == VerdictClass::rcu_stall && l.no - r->first.line < 40) {
    r->evidence.push_back(l.no);
    return true;
  }
  return begin_oops(st, l, m) != nullptr;
}

bool info(State& st, const Line& l) {
  std::string_view m = l.msg;
  if (starts_with(m, "INFO: task ")) {
    if (auto b = facts::parse_hung_task_blocker(m)) return hung_task_blocker(st, l, std::move(*b));
    return hung_task(st, l);
  }
  if (starts_with(m, "INFO: rcu")) return rcu_stall(st, l, m);
  // Other INFO: lines are reports only when the table knows them (lockdep,
  // suspicious RCU usage): user space prints many.
  bool ignored = false;
  return begin_oops(st, l, m, &ignored) != nullptr || ignored;
}

bool rcu_prefixed(State& st, const Line& l) { return rcu_stall(st, l, l.msg.substr(5)); }   // "rcu: INFO: rcu_preempt ..."

bool lockup(State& st, const Line& l, std::string_view m) {
  if (starts_with(m, "BUG: soft lockup")) {
    RawReport* r = begin_oops(st, l, m);
    if (!r) return true;
    r->task = bracket_task(m);
    if (std::size_t s = m.find("stuck for "); s != std::string_view::npos)
      if (auto secs = text::leading_uint(m.substr(s + 10))) r->details.emplace_back("stuck_s", static_cast<std::int64_t>(*secs));
    return true;
  }
  if (std::size_t h = m.find("Watchdog detected hard LOCKUP"); h != std::string_view::npos) {
    begin_oops(st, l, m.substr(h));
    return true;
  }
  return false;
}

bool watchdog_prefix(State& st, const Line& l) {
  std::string_view m = l.msg;
  m.remove_prefix(starts_with(m, "NMI watchdog: ") ? 14 : 10);
  return lockup(st, l, m);
}

bool bug(State& st, const Line& l, std::string_view m) {
  if (lockup(st, l, m)) return true;
  bool ignored = false;
  begin_oops(st, l, m, &ignored);
  return true;
}

bool bug_line(State& st, const Line& l) { return bug(st, l, l.msg); }

// "[ BUG: Invalid wait context ]", "[ INFO: possible circular locking dependency detected ]"
bool bracketed_header(State& st, const Line& l) {
  std::string_view m = text::rtrim(l.msg.substr(2));
  if (text::ends_with(m, "]")) m = text::rtrim(m.substr(0, m.size() - 1));
  if (starts_with(m, "BUG: ")) return bug(st, l, m);
  bool ignored = false;
  return begin_oops(st, l, m, &ignored) != nullptr || ignored;
}

bool kernel_bug(State& st, const Line& l) {   // "kernel BUG at mm/slub.c:3855!"
  RawReport* r = begin_oops(st, l, l.msg);
  if (!r) return true;
  std::string_view at = text::rtrim(l.msg.substr(14));
  if (!at.empty() && at.back() == '!') at.remove_suffix(1);
  r->details.emplace_back("location", std::string(at));
  return true;
}

bool gpf(State& st, const Line& l) {
  if (continues_open_crash(st, l)) return true;
  std::string_view m = l.msg;
  if (starts_with(m, "Oops: ")) m.remove_prefix(6);
  begin_oops(st, l, m);
  return true;
}

bool oops(State& st, const Line& l) {
  std::string_view m = l.msg.substr(6);   // "Oops: "
  if (continues_open_crash(st, l)) return true;
  if (starts_with(m, "general protection fault")) return gpf(st, l);
  // 6.9+ prefix the trap itself: "Oops: invalid opcode: 0000 [#1]", "Oops: divide error: 0000".
  if (!m.empty() && !text::is_digit(m[0]) && begin_oops(st, l, m)) return true;
  // A bare "Oops: 0000 [#1] SMP" with no header before it (the log starts here).
  RawReport r = make(VerdictClass::crash, "Oops");
  if (!m.empty() && !text::is_digit(m[0])) r.head.assign(m.substr(0, std::min(m.find(':'), m.find(','))));
  st.begin_report(l, std::move(r));
  return true;
}

// Headers that may also continue an open crash report: "invalid opcode: 0000
// [#1] SMP" after "kernel BUG at", "Internal error: Oops" after arm64's
// "Unable to handle kernel paging request".
bool trap(State& st, const Line& l) {
  if (!text::contains(l.msg, "[#") && !starts_with(l.msg, "PANIC: ") && !starts_with(l.msg, "stack segment: ") &&
      !starts_with(l.msg, "Unhandled fault: "))
    return false;
  if (continues_open_crash(st, l)) return true;
  begin_oops(st, l, l.msg);
  return true;
}

bool simple_header(State& st, const Line& l) {   // table rows with nothing to add
  bool ignored = false;
  return begin_oops(st, l, l.msg, &ignored) != nullptr || ignored;
}

bool warning(State& st, const Line& l) {
  bool ignored = false;
  RawReport* r = begin_oops(st, l, l.msg, &ignored);
  if (!r) return ignored;
  if (r->format->title != "WARNING in {frame}") return true;
  std::string_view m = l.msg.substr(9);   // after "WARNING: " (the row says there is one)
  // "at FILE:LINE FUNC()" (2.6/3.x), "CPU: N PID: N at FILE:LINE FUNC+.." (3.x..6.x),
  // "FILE:LINE at FUNC+.., CPU#N: COMM/PID" (6.16+).
  std::size_t at = m.find(" at ");
  std::string_view first = text::token_at(m, 0);
  std::string_view loc = text::contains(first, ".c:") || text::contains(first, ".h:") ? first
                         : starts_with(m, "at ")           ? text::token_at(m, 3)
                         : at != std::string_view::npos    ? text::token_at(m, at + 4)
                                                           : std::string_view{};
  if (!loc.empty()) r->details.emplace_back("location", std::string(loc));
  return true;
}

bool ubsan(State& st, const Line& l) {
  RawReport* r = begin_oops(st, l, l.msg);
  if (!r) return true;
  std::string_view m = l.msg.substr(7);   // after "UBSAN: "
  if (std::size_t in = m.find(" in "); in != std::string_view::npos)
    r->details.emplace_back("location", std::string(text::token_at(m, in + 4)));
  return true;
}

bool panic(State& st, const Line& l) {
  std::string_view why = text::rtrim(l.msg.substr(28));   // "Kernel panic - not syncing: "
  // A panic that ends an earlier report (panic_on_oops, hung_task_panic,
  // softlockup_panic) is its consequence, not a second failure.
  for (auto it = st.reports.rbegin(); it != st.reports.rend(); ++it) {
    if (it->klass == VerdictClass::warning && !is_warn_splat(it->format)) continue;
    it->details.emplace_back("panic", std::string(why));
    it->evidence.push_back(l.no);
    it->last = Where{l.no, l.ts};
    return true;
  }
  begin_oops(st, l, text::rtrim(l.msg));
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
  // warn_alloc names the task only by comm; its dump_stack() line has the pid.
  if (auto& stalls = st.report.memalloc.alloc_stalls;
      !stalls.empty() && stalls.back().task.pid == 0 && stalls.back().task.comm == comm && l.no - stalls.back().at.line < 8)
    stalls.back().task.pid = static_cast<int>(*pid);
  return true;
}

bool rip_line(State& st, const Line& l) {   // "RIP: 0010:func+0x1/0x2", "IP: [<..>] func+0x1/0x2", "pc : func+.."
  RawReport* r = st.current_report(l);
  if (!r) return true;
  // "RIP: 0010:__read_once_size include/linux/compiler.h:254 [inline]" and user
  // space RIPs name no function: not a place a title can use.
  std::string func = symbol_in(l.msg);
  if (!func.empty()) r->add(TraceItem(TraceItem::Kind::rip, std::move(func)));
  return true;
}

// "Sending NMI from CPU 0 to CPUs 1:": the stalled CPUs answer from their own contexts.
bool nmi_send(State& st, const Line& l) {
  TraceCtx& c = st.ctx(l.caller);
  if (c.sink != TraceCtx::Sink::report) return true;
  st.nmi_report = c.idx;
  st.nmi_report_until = l.no + 400;   // an NMI backtrace per CPU, each a few dozen lines
  st.reports[c.idx].evidence.push_back(l.no);
  return true;
}

bool kasan_access(State& st, const Line& l) {   // "Read of size 8 at addr ffff... by task a.out/123"
  RawReport* r = st.current_report(l);
  if (r && r->access.empty()) {
    r->access = starts_with(l.msg, "Read") ? "Read" : "Write";
    r->evidence.push_back(l.no);
  }
  return true;
}

constexpr Pattern kPatterns[] = {
    {"info", "INFO: ", Pattern::Anchor::start, info},
    {"rcu-stall-5", "rcu: INFO: rcu", Pattern::Anchor::start, rcu_prefixed},
    {"watchdog-lockup", "watchdog: ", Pattern::Anchor::start, watchdog_prefix},
    {"nmi-watchdog-lockup", "NMI watchdog: ", Pattern::Anchor::start, watchdog_prefix},
    {"bug", "BUG: ", Pattern::Anchor::start, bug_line},
    {"bug-bare", "BUG:", Pattern::Anchor::start, bug_line},
    {"bug-slab", "BUG kmalloc-", Pattern::Anchor::start, simple_header},
    {"bracketed-bug", "[ BUG: ", Pattern::Anchor::start, bracketed_header},
    {"bracketed-info", "[ INFO: ", Pattern::Anchor::start, bracketed_header},
    {"kernel-bug", "kernel BUG at ", Pattern::Anchor::start, kernel_bug},
    {"gpf", "general protection fault", Pattern::Anchor::start, gpf},
    {"oops", "Oops: ", Pattern::Anchor::start, oops},
    {"invalid-opcode", "invalid opcode: ", Pattern::Anchor::start, trap},
    {"divide-error", "divide error: ", Pattern::Anchor::start, trap},
    {"divide-error-5.9", "divide_error: ", Pattern::Anchor::start, trap},
    {"int3", "int3: ", Pattern::Anchor::start, trap},
    {"stack-segment", "stack segment: ", Pattern::Anchor::start, trap},
    {"double-fault", "PANIC: double fault", Pattern::Anchor::start, trap},
    {"arm-internal-error", "Internal error: ", Pattern::Anchor::start, trap},
    {"arm-unhandled-fault", "Unhandled fault: ", Pattern::Anchor::start, trap},
    {"arm-unable", "Unable to handle kernel ", Pattern::Anchor::start, simple_header},
    {"warning", "WARNING: ", Pattern::Anchor::start, warning},
    {"warning-bare", "WARNING:", Pattern::Anchor::start, warning},
    {"ubsan", "UBSAN: ", Pattern::Anchor::start, ubsan},
    {"panic", "Kernel panic - not syncing: ", Pattern::Anchor::start, panic},
    {"netdev-refcount", "unregister_netdevice: waiting for ", Pattern::Anchor::start, simple_header},
    {"vfs-close", "VFS: Close: file count is 0", Pattern::Anchor::start, simple_header},
    {"vfs-busy", "VFS: Busy inodes after unmount", Pattern::Anchor::start, simple_header},
    {"alloc-failure", ": page allocation failure", Pattern::Anchor::after_comm, alloc_failure},
    {"cpu-line", "CPU: ", Pattern::Anchor::start, cpu_line},
    {"pid-line", "Pid: ", Pattern::Anchor::start, cpu_line},
    {"rip", "RIP: ", Pattern::Anchor::start, rip_line},
    {"ip", "IP: ", Pattern::Anchor::start, rip_line},
    {"pc", "pc : ", Pattern::Anchor::start, rip_line},
    {"pc-old-arm", "PC is at ", Pattern::Anchor::start, rip_line},
    {"nmi-send", "Sending NMI from CPU ", Pattern::Anchor::start, nmi_send},
    {"kasan-read", "Read of size ", Pattern::Anchor::start, kasan_access},
    {"kasan-write", "Write of size ", Pattern::Anchor::start, kasan_access},
    {"kasan-read-hw", "Read at addr ", Pattern::Anchor::start, kasan_access},
    {"kasan-write-hw", "Write at addr ", Pattern::Anchor::start, kasan_access},
};

}  // namespace

std::span<const Pattern> failure_patterns() { return kPatterns; }

bool try_report_line(State& st, const Line& l) {
  TraceCtx& c = st.ctx(l.caller);
  if (c.sink != TraceCtx::Sink::report) return false;
  RawReport& r = st.reports[c.idx];
  std::string_view m = l.msg;
  using K = TraceItem::Kind;
  auto mark = [&](K k) {
    r.add(TraceItem(k));
    c.in_trace = true;   // frames follow
    return true;
  };
  if (starts_with(m, "Allocated by task ") || starts_with(m, "Freed by task ") || m == "Allocated:" ||
      m == "Freed:" || starts_with(m, "Uninit was stored to memory at") || starts_with(m, "Backtrace:"))
    return mark(K::stack_start);
  if (starts_with(m, "backtrace:") || starts_with(m, "backtrace (crc ")) return mark(K::backtrace);
  if (starts_with(m, "page last allocated")) return mark(K::page_owner);
  if (starts_with(m, "Uninit was created at:") || (starts_with(m, "Local variable ") && text::contains(m, " created at:")))
    return mark(K::uninit_origin);
  if (starts_with(m, "which became ") && text::ends_with(text::rtrim(m), "at:")) return mark(K::which_became);
  if (starts_with(m, "Exception stack")) return mark(K::irq_entry);
  // lockdep: "ffff888012345678 (&mm->mmap_lock){++++}-{3:3}, at: __might_fault+0x3d/0x80",
  // " (&mm->mmap_sem){++++}, at: [<ffffffff8118ee3c>] might_fault+0x5c/0xb0" (before 4.15).
  std::size_t at = m.find("at: ");
  if (at == std::string_view::npos || (at > 0 && m[at - 1] != ' ' && m[at - 1] != ',')) return false;
  std::string_view rest = text::ltrim(m.substr(at + 4));
  if (starts_with(rest, "[<")) {
    std::size_t close = rest.find(">]");
    if (close == std::string_view::npos) return false;
    rest = text::ltrim(rest.substr(close + 2));
  }
  Frame f;
  if (!parse_frame_text(rest, f) || f.inlined) return false;
  r.add(TraceItem(K::at, std::move(f.func)));
  r.last = Where{l.no, l.ts};
  return true;
}

}  // namespace oomlab::analyzer
