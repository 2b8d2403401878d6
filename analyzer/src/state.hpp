// The analyzer's running state, shared by the recogniser families. One
// instance per input; everything it holds is capped by Options::limits.
#pragma once
#include <cstdint>
#include <deque>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "oomlab/analyzer/model.hpp"
#include "oomlab/analyzer/normalizer.hpp"
#include "oomlab/facts/cgroup_hierarchy.hpp"
#include "oomlab/facts/guard_kills.hpp"
#include "oomlab/facts/hung_task.hpp"
#include "oomlab/facts/wait_kind.hpp"

namespace oomlab::analyzer {

struct OopsFormat;

// What a report prints after its header, in order, as far as titles need it
// (oops_table.hpp's Part says how each kind uses them).
struct TraceItem {
  enum class Kind : std::uint8_t {
    frame,          // a stack frame
    rip,            // "RIP: 0010:func+0x..", "IP: ..", "pc : .."
    at,             // lockdep's ", at: func+0x.."
    call_trace,     // "Call Trace:" (a stack start)
    stack_start,    // "Allocated by task N:", "Freed by task N:", "Uninit was stored to memory at:"
    backtrace,      // kmemleak "backtrace:" (a stack start)
    page_owner,     // "page last allocated via order ..."
    uninit_origin,  // "Uninit was created at:", "Local variable x created at:"
    which_became,   // lockdep "which became SOFTIRQ-unsafe at:"
    irq_entry,      // "Exception stack" (arm)
  };
  TraceItem() = default;
  explicit TraceItem(Kind k, std::string f = {}, bool rel = true, bool inl = false, bool br = false)
      : kind(k), reliable(rel), inlined(inl), bracketed(br), func(std::move(f)) {}
  Kind kind = Kind::frame;
  bool reliable = true;    // not a "? " frame
  bool inlined = false;    // "func file.c:12 [inline]" (symbolised; not in raw console output)
  bool bracketed = false;  // "[<addr>] func+0x.." on a line of its own
  std::string func;        // frame, rip and at items
};

// A failure report header (WARNING, BUG, hung task, lockup, RCU stall, KASAN,
// panic) waiting for the trace that names its function.
struct RawReport {
  VerdictClass klass = VerdictClass::crash;
  const OopsFormat* format = nullptr;   // its row in oops_table.cpp; nullptr: head/fixed_title below
  std::string cap;           // the row's "{1}"
  std::string access;        // KASAN: "Read" / "Write"
  std::string header_func;   // "func+0x.." on the header line
  std::string head;          // title before " in FUNC" when there is no format ("page allocation failure")
  std::string fixed_title;   // complete title when no function belongs in it
  ProcRef task;              // task named by the header or "CPU: N PID: N Comm: X"
  std::vector<TraceItem> items;
  std::optional<std::size_t> task_idx;   // hung task: the dumped task carries the frames
  std::optional<facts::HungTaskBlocker> blocker;   // hung task: the lock it waits for and its likely owner (6.15+)
  Where first, last;
  std::vector<std::uint64_t> evidence;
  std::vector<std::pair<std::string, DetailValue>> details;
  static constexpr std::size_t kMaxItems = 160;   // enough for lockdep chains and KASAN's three stacks
  void add(TraceItem it) {
    if (items.size() < kMaxItems) items.push_back(std::move(it));
  }
};

// A kill by a userspace OOM killer (earlyoom, systemd-oomd, nohang) as its
// own syslog/journal lines tell it (facts/guard_kills.hpp).
struct GuardKillSeen {
  std::string killer;   // the line's ident: "earlyoom", "systemd-oomd", "nohang"
  facts::GuardKill kill;
  Where first, last;
  std::vector<std::uint64_t> evidence;
  std::optional<std::int64_t> exited_ms;   // earlyoom: "process exited after N seconds"
  bool dry_run = false;                    // earlyoom --dryrun: it only said what it would kill
};

// Per printk caller (CPU/thread id; "" when the log has none): where the
// frames that follow belong. Interleaved serial logs keep their traces apart.
struct TraceCtx {
  std::string caller;
  enum class Sink : std::uint8_t { none, task, report } sink = Sink::none;
  std::size_t idx = 0;
  bool in_trace = false;
  std::uint64_t last_line = 0;
  std::size_t obs = SIZE_MAX;   // sink task: its TaskObservation (SIZE_MAX: none)
};

// One task as one dump showed it (a hung-task report, or a sysrq-w/t dump
// outside any report): the stall model's evidence in logs without MemAlloc
// lines or PSI (dump_stall.cpp). Kept per dump, while Report::tasks keeps
// only the latest dump of each task; its stack is classified as it streams
// by (facts::StackClassifier), so nothing but the verdict is stored.
struct TaskObservation {
  Where at;                      // the hung report's "INFO: task" line, else the task's header line
  std::uint64_t header_line = 0; // the task's header line (its entry in Report::tasks)
  int pid = 0;
  std::string comm;
  char state = '?';
  bool hung = false;             // a hung-task report (else a sysrq dump)
  std::int64_t blocked_ms = -1;  // hung: "blocked for more than N seconds" x 1000
  std::size_t task_idx = 0;      // its entry in Report::tasks while it is being dumped
  facts::StackClassifier stack;
};

enum class OomPhase : int { invoked = 0, meminfo = 1, table = 2, constraint = 3, select = 4, killed = 5 };

class State {
 public:
  explicit State(Options opt) : opt(std::move(opt)) {}

  Options opt;
  Report report;
  std::vector<RawReport> reports;
  std::uint64_t reports_dropped = 0;
  std::uint64_t misc_dropped = 0;        // lock waits, watchdog actions over the cap
  std::optional<double> last_ts;         // the latest timestamp of the log (the stall model's end of evidence)
  bool watchdog_withheld = false;        // oomlab-watchdog said it kept lines out of the kernel log ("kmsg: N line(s) kept out")
  // Options::cgroup: true when a watchdog line naming `cgroup` is another
  // group's (the group is opt.cgroup or below it). Counts what it leaves out.
  bool other_cgroup(std::string_view cgroup) {
    if (opt.cgroup.empty() || opt.cgroup == "/") return false;
    const bool ours = facts::in_cgroup(cgroup, opt.cgroup);
    if (!ours) ++report.input.other_cgroup_lines;
    return !ours;
  }
  std::vector<int> other_kills;          // pids the watchdog killed in other groups: their killed: lines go too
  std::vector<Where> sysrq_oom;          // "SysRq : Manual OOM execution"
  std::vector<GuardKillSeen> guard_kills;   // userspace OOM killers' kills (capped by Limits::misc)
  facts::NohangKills nohang;             // nohang's victim block waiting for its send line
  std::vector<TaskObservation> observations;   // capped by Limits::series (misc_dropped)
  // "Sending NMI from CPU 0 to CPUs 1:" inside a report (RCU stalls, hard
  // lockups): the other CPUs' backtraces, printed from their own printk
  // contexts ("[C1]"), belong to that report until this line number.
  std::size_t nmi_report = 0;
  std::uint64_t nmi_report_until = 0;
  void adopt_nmi_backtrace(const Line& l) {
    TraceCtx& c = ctx(l.caller);
    if (c.sink == TraceCtx::Sink::none && nmi_report < reports.size()) {
      c.sink = TraceCtx::Sink::report;
      c.idx = nmi_report;
    }
  }

  // OOM events --------------------------------------------------------------
  // The event a line of phase `p` belongs to: the open one when it is still
  // before that phase and recent, otherwise a new one (nullptr when capped).
  OomEvent* oom_for(const Line& l, OomPhase p);
  // The open event when a line of phase `p` continues it, else nullptr: for
  // lines that also come outside OOM reports and must not open one.
  OomEvent* oom_continued_by(const Line& l, OomPhase p);
  OomEvent* open_oom() { return open_oom_ ? &report.oom_events[*open_oom_] : nullptr; }
  OomEvent* oom_with_victim(int pid);
  bool table_active = false;
  std::size_t table_rows_kept = 0;   // across events, against Limits::table_rows_total

  // Tasks -------------------------------------------------------------------
  // Starts a dumped task (replacing an earlier dump of the same pid) and
  // makes it the frame sink of the line's caller context.
  Task* begin_task(const Line& l, Task t);
  Task* task_by_pid(int pid);

  // Reports -----------------------------------------------------------------
  RawReport* begin_report(const Line& l, RawReport r);
  RawReport* current_report(const Line& l);   // the report the caller context feeds, if any

  // Trace contexts ----------------------------------------------------------
  TraceCtx& ctx(std::string_view caller) {   // inline: several calls per line
    if (last_ctx_ && last_ctx_->caller.size() == caller.size() &&
        (caller.empty() || std::string_view(last_ctx_->caller) == caller))
      return *last_ctx_;   // the common case: same caller as before
    return ctx_slow(caller);
  }
  void end_all_traces();
  void add_frame(TraceCtx& c, const Line& l, Frame f, bool bracketed = false);

  template <class T>
  bool push_capped(std::vector<T>& v, T item, std::size_t cap, std::uint64_t& dropped) {
    if (v.size() >= cap) {
      ++dropped;
      return false;
    }
    v.push_back(std::move(item));
    return true;
  }

 private:
  std::optional<std::size_t> open_oom_;
  int open_phase_ = -1;
  std::unordered_map<int, std::size_t> task_index_;
  TraceCtx& ctx_slow(std::string_view caller);
  std::deque<TraceCtx> ctxs_;   // deque: references stay valid as callers come and go
  TraceCtx* last_ctx_ = nullptr;
};

// A recogniser: when the message starts with `needle` (Anchor::start), or
// contains it right after a task's comm (Anchor::after_comm: "COMM invoked
// oom-killer:", "COMM: page allocation failure"), call `handle`; it returns
// false when the line turned out not to be its own.
struct Pattern {
  enum class Anchor : std::uint8_t { start, after_comm };
  // The comm printed there is current->comm, at most TASK_COMM_LEN-1 = 15
  // bytes: the needle's first space lies within this window.
  static constexpr std::size_t kCommWindow = 16;
  std::string_view name;
  std::string_view needle;
  Anchor anchor;
  bool (*handle)(State&, const Line&);
};

std::span<const Pattern> oom_patterns();
std::span<const Pattern> memalloc_patterns();
std::span<const Pattern> oomlab_line_patterns();
std::span<const Pattern> guard_line_patterns();
std::span<const Pattern> taskdump_patterns();
std::span<const Pattern> failure_patterns();

// Context-driven lines that no fixed needle finds.
bool try_task_table_row(State& s, const Line& l);
bool try_task_header(State& s, const Line& l);
bool try_frame(State& s, const Line& l);
bool is_trace_noise(std::string_view msg);   // registers, markers, raw stack words
// Lines of an open report that titles need (lockdep "at:", stack starts).
bool try_report_line(State& s, const Line& l);
bool looks_like_task_header(std::string_view msg);   // sched_show_task()'s line, any era

// Verdict engine: turns the collected facts into findings and the verdict.
void build_verdict(State& s);

}  // namespace oomlab::analyzer
