#include "state.hpp"

#include <algorithm>
#include <cmath>

namespace oomlab::analyzer {

namespace {
// Lines of one OOM report come within seconds of each other (a slow serial
// console stretches a big task table); a later phase further away than this
// starts a new event.
constexpr double kOomEventSpan = 30.0;

bool close_in_time(const Where& a, const Line& l) {
  if (!a.ts || !l.ts) return true;
  return std::fabs(*l.ts - *a.ts) <= kOomEventSpan;
}
}  // namespace

OomEvent* State::oom_continued_by(const Line& l, OomPhase p) {
  const int phase = static_cast<int>(p);
  if (!open_oom_) return nullptr;
  OomEvent& e = report.oom_events[*open_oom_];
  if (phase <= open_phase_ || !close_in_time(e.last, l)) return nullptr;
  open_phase_ = phase;
  e.last = Where{l.no, l.ts};
  return &e;
}

OomEvent* State::oom_for(const Line& l, OomPhase p) {
  if (OomEvent* e = oom_continued_by(l, p)) return e;
  table_active = false;
  OomEvent e;
  e.first = e.last = Where{l.no, l.ts};
  if (!push_capped(report.oom_events, std::move(e), opt.limits.oom_events, report.oom_events_dropped)) {
    open_oom_.reset();
    open_phase_ = -1;
    return nullptr;
  }
  open_oom_ = report.oom_events.size() - 1;
  open_phase_ = static_cast<int>(p);
  return &report.oom_events.back();
}

OomEvent* State::oom_with_victim(int pid) {
  for (auto it = report.oom_events.rbegin(); it != report.oom_events.rend(); ++it)
    if (it->victim && it->victim->pid == pid) return &*it;
  return nullptr;
}

Task* State::task_by_pid(int pid) {
  auto it = task_index_.find(pid);
  return it == task_index_.end() ? nullptr : &report.tasks[it->second];
}

Task* State::begin_task(const Line& l, Task t) {
  t.at = t.last = Where{l.no, l.ts};
  // The dump as stall evidence: a task the hung-task detector reports (its
  // report opened this context), or any task of a dump outside a report
  // (sysrq-w lists the blocked ones, sysrq-t all: a dump without memory
  // waits is progress). Tasks printed inside other reports are not.
  std::optional<TaskObservation> obs;
  if (RawReport* r = current_report(l)) {
    if (r->klass == VerdictClass::hung_task && r->task.pid == t.pid && t.state == 'D') {
      obs.emplace();
      obs->hung = true;
      obs->at = r->first;
      for (const auto& [k, v] : r->details)
        if (k == "blocked_s")
          if (auto* s = std::get_if<std::int64_t>(&v)) obs->blocked_ms = *s * 1000;
    }
  } else {
    obs.emplace();
  }
  std::size_t idx;
  if (auto it = task_index_.find(t.pid); it != task_index_.end()) {
    idx = it->second;
    // Keep the latest dump of each task; its frame storage is reused (busy
    // logs dump the same tasks over and over).
    std::vector<Frame> storage = t.frames.empty() ? std::move(report.tasks[idx].frames) : std::move(t.frames);
    storage.clear();
    report.tasks[idx] = std::move(t);
    report.tasks[idx].frames = std::move(storage);
  } else {
    if (!push_capped(report.tasks, std::move(t), opt.limits.tasks, report.tasks_dropped)) {
      ctx(l.caller).sink = TraceCtx::Sink::none;
      return nullptr;
    }
    idx = report.tasks.size() - 1;
    task_index_.emplace(report.tasks[idx].pid, idx);
  }
  TraceCtx& c = ctx(l.caller);
  c.sink = TraceCtx::Sink::task;
  c.idx = idx;
  c.in_trace = false;
  c.last_line = l.no;
  c.obs = SIZE_MAX;
  if (obs) {
    const Task& added = report.tasks[idx];
    if (!obs->hung || !obs->at.ts) obs->at = added.at;
    obs->header_line = added.at.line;
    obs->pid = added.pid;
    obs->comm = added.comm;
    obs->state = added.state;
    obs->task_idx = idx;
    if (push_capped(observations, std::move(*obs), opt.limits.series, misc_dropped)) c.obs = observations.size() - 1;
  }
  return &report.tasks[idx];
}

RawReport* State::begin_report(const Line& l, RawReport r) {
  nmi_report_until = 0;   // a new report: earlier NMI backtraces are no longer its
  r.first = r.last = Where{l.no, l.ts};
  r.evidence.push_back(l.no);
  TraceCtx& c = ctx(l.caller);
  if (!push_capped(reports, std::move(r), opt.limits.findings, reports_dropped)) {
    c.sink = TraceCtx::Sink::none;
    return nullptr;
  }
  c.sink = TraceCtx::Sink::report;
  c.idx = reports.size() - 1;
  c.in_trace = false;
  c.last_line = l.no;
  return &reports.back();
}

RawReport* State::current_report(const Line& l) {
  TraceCtx& c = ctx(l.caller);
  return c.sink == TraceCtx::Sink::report ? &reports[c.idx] : nullptr;
}

TraceCtx& State::ctx_slow(std::string_view caller) {
  for (auto& c : ctxs_)
    if (c.caller == caller) return *(last_ctx_ = &c);
  if (ctxs_.size() >= 256) ctxs_.pop_front();   // bounded: forget the oldest
  ctxs_.push_back(TraceCtx{std::string(caller)});
  return *(last_ctx_ = &ctxs_.back());
}

void State::end_all_traces() {
  for (auto& c : ctxs_) {
    c.sink = TraceCtx::Sink::none;
    c.in_trace = false;
  }
  table_active = false;
}

void State::add_frame(TraceCtx& c, const Line& l, Frame f, bool bracketed) {
  if (c.sink == TraceCtx::Sink::task) {
    Task& t = report.tasks[c.idx];
    // Every reliable frame of a blocked task, past the stored cap too ("? "
    // frames are stale words; a running or sleeping task's wait is no stall).
    if (c.obs < observations.size() && f.reliable) {
      TaskObservation& o = observations[c.obs];
      if (o.task_idx == c.idx && o.state == 'D' && !o.stack.decided()) o.stack.add(f.func);
    }
    t.last = Where{l.no, l.ts};
    if (t.frames.capacity() == 0) t.frames.reserve(std::min<std::size_t>(opt.limits.frames_per_task, 16));
    if (t.frames.size() < opt.limits.frames_per_task) t.frames.push_back(std::move(f));
    else t.frames_truncated = true;
  } else if (c.sink == TraceCtx::Sink::report) {
    RawReport& r = reports[c.idx];
    r.last = Where{l.no, l.ts};
    r.add(TraceItem(TraceItem::Kind::frame, std::move(f.func), f.reliable, f.inlined, bracketed));
  }
}

}  // namespace oomlab::analyzer
