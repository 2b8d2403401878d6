// Task dumps: sched_show_task() headers (sysrq-t/w, hung tasks), their
// "Call Trace:" and both frame syntaxes.
//   a.out           D ffff8800777b7e08     0  3418   3417 0x00100084    (2.6..4.13: saved sp/pc)
//   a.out           R  running task        0  3417   3296 0x00000080
//   a.out           D    0  3418   3417 0x00000000                        (4.14..5.10)
//   task:a.out           state:D stack:    0 pid: 3418 ppid:  3417 flags:0x00004000   (5.11..6.6)
//   task:a.out           state:D stack:0     pid:3418  tgid:3418  ppid:3417   flags:0x00004000 (6.7+)
// Frames:
//   [<ffffffff8162d8eb>] rwsem_down_write_failed+0x1fb/0x350            (before 4.14)
//   [<ffffffff81322f64>] ? call_rwsem_down_read_failed+0x14/0x30        ("? " = unreliable)
//   rwsem_down_write_slowpath+0x2b1/0x5a0 [module]                      (4.14+)
//   ? __schedule+0x2b1/0x5a0
//   __dump_stack lib/dump_stack.c:77 [inline]                           (syzkaller-symbolised)
#include "../state.hpp"
#include "../text.hpp"

namespace oomlab::analyzer {

bool parse_frame_text(std::string_view m, Frame& f);

namespace {

using text::starts_with;

// Character classes of frame text as one table lookup each: frames are most
// lines of an OOM-dense log, so their parser is the analyzer's hot path.
struct CharClass {
  bool ident[256] = {};
  signed char hex[256];
  constexpr CharClass() : hex{} {
    for (int c = 0; c < 256; ++c) {
      ident[c] = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '$';
      hex[c] = c >= '0' && c <= '9' ? static_cast<signed char>(c - '0')
               : c >= 'a' && c <= 'f' ? static_cast<signed char>(c - 'a' + 10)
               : c >= 'A' && c <= 'F' ? static_cast<signed char>(c - 'A' + 10)
                                      : static_cast<signed char>(-1);
    }
  }
};
constexpr CharClass kChar;

bool is_ident_char(char c) { return kChar.ident[static_cast<unsigned char>(c)]; }

// Hex digits of s from i: their value (false on overflow past 64 bits or no
// digit), i left on the first non-digit.
bool hex_run(std::string_view s, std::size_t& i, std::uint64_t& v) {
  const std::size_t b = i;
  v = 0;
  for (; i < s.size(); ++i) {
    const int d = kChar.hex[static_cast<unsigned char>(s[i])];
    if (d < 0) break;
    if (v >> 60) return false;
    v = (v << 4) | static_cast<unsigned>(d);
  }
  return i > b;
}

// "func+0x1fb/0x350[ [mod]]" or "func file.c:12 [inline]" at s.
bool parse_symbol(std::string_view s, Frame& f) {
  std::size_t i = 0;
  while (i < s.size() && is_ident_char(s[i])) ++i;
  if (i == 0) return false;
  std::string_view rest = s.substr(i);
  if (starts_with(rest, "+0x")) {
    // "+0xOFF/0xSIZE": OFF must reach the '/', SIZE is the hex run after "0x".
    std::size_t j = 3;
    std::uint64_t off = 0, size = 0;
    if (!hex_run(rest, j, off) || j >= rest.size() || rest[j] != '/') return false;
    if (rest.substr(j + 1, 2) != "0x") return false;
    std::size_t end = j + 3;
    if (!hex_run(rest, end, size)) return false;
    f.func.assign(s.substr(0, i));
    f.offset = off;
    f.size = size;
    if (end < rest.size()) {
      std::size_t ob = rest.find('[', end);
      std::size_t cb = rest.find(']', ob == std::string_view::npos ? end : ob);
      if (ob != std::string_view::npos && cb != std::string_view::npos && cb > ob + 1) {
        std::string_view mod = rest.substr(ob + 1, cb - ob - 1);
        if (mod != "inline" && mod.find(' ') == std::string_view::npos) f.module.assign(mod);
      }
    }
    return true;
  }
  // Symbolised inline frame: "func path/file.c:123 [inline]".
  if (!text::ends_with(text::rtrim(rest), "[inline]") || rest.find(".c:") == std::string_view::npos) return false;
  f.func.assign(s.substr(0, i));
  f.inlined = true;
  return true;
}

bool state_char(char c) { return c != 0 && std::string_view("RSDTtXZIPWKxNn").find(c) != std::string_view::npos; }

// "comm  S [running task|hexaddr]  free pid ppid 0xflags".
bool parse_old_header(std::string_view m, Task& t) {
  if (m.size() < 20) return false;
  std::string_view flags = text::token_at(m, m.rfind(' ') + 1);
  if (!starts_with(flags, "0x") || flags.size() < 6 || !text::parse_hex(flags)) return false;
  std::string_view head = text::rtrim(m.substr(0, m.size() - flags.size()));
  std::optional<std::uint64_t> nums[3];   // ppid, pid, free (from the right)
  for (auto& n : nums) {
    std::size_t sp = head.rfind(' ');
    if (sp == std::string_view::npos) return false;
    n = text::parse_uint(head.substr(sp + 1));
    if (!n) return false;
    head = text::rtrim(head.substr(0, sp));
  }
  if (text::ends_with(head, "running task")) head = text::rtrim(head.substr(0, head.size() - 12));
  else if (std::size_t sp = head.rfind(' '); sp != std::string_view::npos && head.size() - sp - 1 >= 8) {
    std::string_view addr = head.substr(sp + 1);
    if (text::parse_hex(addr)) head = text::rtrim(head.substr(0, sp));
  }
  if (head.size() < 3 || head[head.size() - 2] != ' ' || !state_char(head.back())) return false;
  if (*nums[1] > 0x7fffffff || *nums[0] > 0x7fffffff) return false;
  t.state = head.back();
  t.comm.assign(text::rtrim(head.substr(0, head.size() - 2)));
  t.pid = static_cast<int>(*nums[1]);
  t.ppid = static_cast<int>(*nums[0]);
  t.flags.assign(flags);
  return !t.comm.empty();
}

std::optional<std::uint64_t> num_after(std::string_view s, std::string_view key) {
  std::size_t k = 0;
  for (;;) {
    k = s.find(key, k);
    if (k == std::string_view::npos) return std::nullopt;
    if (k == 0 || s[k - 1] == ' ') break;
    ++k;
  }
  std::size_t i = k + key.size();
  while (i < s.size() && s[i] == ' ') ++i;
  return text::leading_uint(s.substr(i));
}

bool parse_new_header(std::string_view m, Task& t) {
  std::size_t st = m.find(" state:");
  if (st == std::string_view::npos || st + 7 >= m.size()) return false;
  auto pid = num_after(m, "pid:");
  if (!pid || *pid > 0x7fffffff) return false;
  t.comm.assign(text::rtrim(m.substr(5, st - 5)));
  t.state = m[st + 7];
  t.pid = static_cast<int>(*pid);
  if (auto v = num_after(m, "ppid:")) t.ppid = static_cast<int>(*v);
  if (auto v = num_after(m, "tgid:")) t.tgid = static_cast<int>(*v);
  t.flags.assign(text::value_after(m, "flags:"));
  return true;
}

bool call_trace(State& st, const Line& l) {
  TraceCtx& c = st.ctx(l.caller);
  if (c.sink == TraceCtx::Sink::report) st.reports[c.idx].add(TraceItem(TraceItem::Kind::call_trace));
  c.in_trace = true;
  c.last_line = l.no;
  return true;
}

bool end_trace(State& st, const Line& l) {
  TraceCtx& c = st.ctx(l.caller);
  if (c.sink == TraceCtx::Sink::report) {
    RawReport& r = st.reports[c.idx];
    r.last = Where{l.no, l.ts};
    r.evidence.push_back(l.no);
  }
  c.sink = TraceCtx::Sink::none;
  c.in_trace = false;
  return true;
}

bool irq_marker(State& st, const Line& l) {
  TraceCtx& c = st.ctx(l.caller);
  if (c.sink == TraceCtx::Sink::task && starts_with(l.msg, "</TASK>")) {   // the task's stack ends here
    c.sink = TraceCtx::Sink::none;
    c.in_trace = false;
    return true;
  }
  c.in_trace = true;
  // 3.x/4.x print the first frame on the marker's line: " <IRQ>  [<ffffffff810b8ec5>] ? func+0x1/0x2".
  std::size_t f = l.msg.find("[<");
  Frame frame;
  if (f != std::string_view::npos && parse_frame_text(l.msg.substr(f), frame)) st.add_frame(c, l, std::move(frame));
  return true;
}

bool new_task_header(State& st, const Line& l) {
  Task t;
  if (!parse_new_header(l.msg, t)) return false;
  RawReport* r = st.current_report(l);
  t.source = r ? "hung_task" : "sysrq";
  Task* added = st.begin_task(l, std::move(t));
  if (r && added && r->task.pid == added->pid) r->task_idx = static_cast<std::size_t>(added - st.report.tasks.data());
  return true;
}

constexpr Pattern kPatterns[] = {
    {"call-trace", "Call Trace:", Pattern::Anchor::start, call_trace},
    {"call-trace-arm", "Call trace:", Pattern::Anchor::start, call_trace},
    {"task-marker", "<TASK>", Pattern::Anchor::start, irq_marker},
    {"task-end", "</TASK>", Pattern::Anchor::start, irq_marker},
    {"irq-start", "<IRQ>", Pattern::Anchor::start, irq_marker},
    {"irq-end", "</IRQ>", Pattern::Anchor::start, irq_marker},
    {"eoi", "<EOI>", Pattern::Anchor::start, irq_marker},
    {"nmi", "<NMI>", Pattern::Anchor::start, irq_marker},
    {"nmi-end", "</NMI>", Pattern::Anchor::start, irq_marker},
    {"end-trace", "---[ end trace", Pattern::Anchor::start, end_trace},
    {"task-header-5.11", "task:", Pattern::Anchor::start, new_task_header},
};

}  // namespace

std::span<const Pattern> taskdump_patterns() { return kPatterns; }

bool parse_frame_text(std::string_view m, Frame& f) {
  if (starts_with(m, "[<")) {   // "[<ffffffff8162d8eb>] ? func+0x1/0x2"
    std::size_t close = m.find(">]");
    if (close == std::string_view::npos) return false;
    m = text::ltrim(m.substr(close + 2));
  }
  if (starts_with(m, "? ")) {
    f.reliable = false;
    m.remove_prefix(2);
  }
  return parse_symbol(m, f);
}

bool try_frame(State& st, const Line& l) {
  std::string_view m = l.msg;
  if (m.empty()) return false;
  // A "[<addr>]" frame is unambiguous; a bare "func+0x../0x.." line only
  // counts inside a trace or a report (KMSAN, KFENCE, lockdep chains and
  // KASAN's alloc/free stacks print frames without a "Call Trace:").
  TraceCtx& c = st.ctx(l.caller);
  const bool bracketed = starts_with(m, "[<");
  if (!c.in_trace && !bracketed && c.sink != TraceCtx::Sink::report) return false;
  Frame f;
  if (!parse_frame_text(m, f)) return false;
  c.in_trace = true;
  c.last_line = l.no;
  st.add_frame(c, l, std::move(f), bracketed);
  return true;
}

bool try_task_header(State& st, const Line& l) {
  std::string_view m = l.msg;
  // Cheap filter first: the old header always ends in " 0x%08lx" (a hex
  // digit last, "0x" at most 16 digits before).
  if (m.size() < 20 || !text::is_xdigit(m.back())) return false;
  m = text::rtrim(m);
  std::size_t sp = m.rfind(' ');
  if (sp == std::string_view::npos || m.size() - sp < 5 || m[sp + 1] != '0' || m[sp + 2] != 'x') return false;
  Task t;
  if (!parse_old_header(m, t)) return false;
  RawReport* r = st.current_report(l);
  t.source = r && r->klass == VerdictClass::hung_task ? "hung_task" : "sysrq";
  Task* added = st.begin_task(l, std::move(t));
  if (r && added && r->task.pid == added->pid) r->task_idx = static_cast<std::size_t>(added - st.report.tasks.data());
  return true;
}

bool looks_like_task_header(std::string_view m) {
  Task t;
  return (text::starts_with(m, "task:") && parse_new_header(m, t)) ||
         (m.size() >= 20 && text::is_xdigit(text::rtrim(m).back()) && parse_old_header(text::rtrim(m), t));
}

bool is_trace_noise(std::string_view m) {
  if (m.empty()) return true;
  static constexpr std::string_view prefixes[] = {
      "RIP:", "RSP:", "RAX:", "RBX:", "RCX:", "RDX:", "RSI:", "RDI:", "RBP:", "R08:", "R09:", "R10:", "R11:",
      "R12:", "R13:", "R14:", "R15:", "FS:", "CS:", "CR2:", "DR0:", "DR3:", "DR6:", "Code:", "Stack:",
      "PKRU:", "EIP:", "EAX:", "ESI:", "DS:", "pc :", "lr :", "sp :", "x2", "x1", "x0", "Modules linked in",
      "CPU:", "Hardware name:", "Workqueue:", "Pid:", "task:", "irq event stamp:", "hardirqs last", "softirqs last",
      "Kernel Offset:", "Tainted:", "Not tainted", "Showing", "<TASK>", "</TASK>", "IP:", "PGD", "PUD", "PMD",
      "PTE", "Oops", "ORIG_RAX:", "?", "Call Trace:", "Mem-Info", "Node ", "active_anon", "free:", "lowmem_reserve",
  };
  for (auto p : prefixes)
    if (starts_with(m, p)) return true;
  // Raw stack words: "ffff8800777b7e08 ffff880077606400 ..."
  std::size_t hex = 0;
  while (hex < m.size() && (text::is_xdigit(m[hex]) || m[hex] == ' ')) ++hex;
  return hex == m.size() && m.size() >= 8;
}

}  // namespace oomlab::analyzer
