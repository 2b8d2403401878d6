// Titles of kernel failure reports in syzbot's convention: the report's
// row of oops_table.cpp says which parts of the report to walk (header,
// RIP, call trace, lockdep "at:" lines...) and which helpers to skip;
// frame_rules.cpp says which frames never name a report.
#include "frame_rules.hpp"
#include "oops_table.hpp"
#include "state.hpp"
#include "text.hpp"
#include "titles.hpp"

namespace oomlab::analyzer {

using text::starts_with;

namespace {

// One run of a FramePlan's parts over a report's items (syzkaller
// pkg/report's extractStackFrameImpl): each capturing part offers the frames
// it finds; a `stack` part gathers frames up to the next stack start, or up
// to an item that the part after it matches; the extractor picks the frame.
class PlanRun {
 public:
  PlanRun(const FramePlan& plan, const RawReport& r, std::span<const TraceItem> items)
      : plan_(plan), r_(r), items_(items) {}

  // The frame naming capture `index` of `parts`, "" when the report lacks it.
  std::string run(const std::array<Part, 4>& parts) {
    std::size_t n = 0;
    while (n < parts.size() && parts[n] != Part::none) ++n;
    std::vector<std::string> results;
    std::vector<std::string> cands;
    std::size_t pos = 0, stacks = 0;
    for (std::size_t i = 0;; ++i) {
      if (i == n || (parts[i] == Part::stack && stacks > 0)) {
        results.push_back(extract(cands));
        if (fallback_.empty() && results.size() == plan_.frame_index + 1) fallback_ = first_of(cands);
        cands.clear();
      }
      if (i == n) break;
      const Part p = parts[i];
      if (p == Part::header_func) {
        offer(cands, r_.header_func, false);
      } else if (p == Part::stack) {
        ++stacks;
        while (pos < items_.size()) {
          const TraceItem& it = items_[pos++];
          if (starts_stack(it)) break;
          if (i + 1 < n && matches(parts[i + 1], it)) {
            capture(cands, parts[i + 1], it);
            ++i;
            break;
          }
          if (it.kind == TraceItem::Kind::frame && it.reliable && !it.inlined) offer(cands, it.func, false);
        }
      } else {
        while (pos < items_.size()) {
          const TraceItem& it = items_[pos++];
          if (!matches(p, it)) continue;
          capture(cands, p, it);
          break;
        }
      }
    }
    return plan_.frame_index < results.size() ? results[plan_.frame_index] : std::string();
  }

  // When no run found its frame: the first candidate a run offered (a
  // stall whose stack was cut before its syscall entry), else every usable
  // frame, else the header's or RIP's function even if generic, else "? "
  // frames. syzkaller calls such reports corrupted; a place still helps.
  std::string fallback() {
    if (!fallback_.empty()) return fallback_;
    std::vector<std::string> cands;
    for (const TraceItem& it : items_)
      if ((it.kind == TraceItem::Kind::frame && it.reliable && !it.inlined) || it.kind == TraceItem::Kind::rip)
        offer(cands, it.func, false);
    std::string f = extract(cands);
    if (f.empty()) f = first_of(cands);
    if (f.empty()) f = title_func(r_.header_func);
    for (const TraceItem& it : items_)
      if (f.empty() && it.kind == TraceItem::Kind::rip) f = title_func(it.func);
    for (const TraceItem& it : items_)
      if (f.empty() && it.kind == TraceItem::Kind::frame && !it.inlined && !skip(title_func(it.func))) f = title_func(it.func);
    return f;
  }

 private:
  static bool starts_stack(const TraceItem& it) {
    return it.kind == TraceItem::Kind::call_trace || it.kind == TraceItem::Kind::stack_start ||
           it.kind == TraceItem::Kind::backtrace;
  }

  static bool matches(Part p, const TraceItem& it) {
    using K = TraceItem::Kind;
    const bool frame = it.kind == K::frame && it.reliable && !it.inlined;
    switch (p) {
      case Part::rip: return it.kind == K::rip;
      case Part::call_trace: return it.kind == K::call_trace;
      case Part::apic: return frame && text::contains(it.func, "apic_timer_interrupt");
      case Part::irq_entry:
        return it.kind == K::irq_entry ||
               (frame && (text::contains(it.func, "apic_timer_interrupt") || text::contains(it.func, "el1h_64_irq")));
      case Part::at:
      case Part::at_raw: return it.kind == K::at;
      case Part::pc_frame: return frame && it.bracketed;
      case Part::backtrace: return it.kind == K::backtrace;
      case Part::page_owner: return it.kind == K::page_owner;
      case Part::uninit_origin: return it.kind == K::uninit_origin;
      case Part::which_became: return it.kind == K::which_became;
      default: return false;
    }
  }

  void capture(std::vector<std::string>& cands, Part p, const TraceItem& it) {
    if (p == Part::rip || p == Part::at || p == Part::at_raw || p == Part::pc_frame)
      offer(cands, it.func, p == Part::at_raw);
  }

  bool skip(std::string_view f) const { return skip_title_frame(f, plan_.skip); }

  void offer(std::vector<std::string>& cands, std::string_view func, bool raw) {
    std::string f = title_func(func);
    if (!f.empty() && (raw || !skip(f))) cands.push_back(std::move(f));
  }

  // The first candidate, past the scheduler for hung tasks.
  std::string first_of(const std::vector<std::string>& cands) const {
    for (const std::string& c : cands)
      if (plan_.extract != Extract::hung || !(text::contains(c, "sched") || text::contains(c, "switch_to")))
        return std::string(strip_syscall_prefix(c));
    return cands.empty() ? std::string() : std::string(strip_syscall_prefix(cands.front()));
  }

  std::string extract(const std::vector<std::string>& cands) const {
    if (cands.empty()) return {};
    std::vector<std::string> stripped;
    for (const std::string& c : cands) stripped.emplace_back(strip_syscall_prefix(c));
    switch (plan_.extract) {
      case Extract::stall: return stall_frame(stripped);
      case Extract::hung: return hung_frame(stripped);
      case Extract::first: break;
    }
    return stripped.front();
  }

  const FramePlan& plan_;
  const RawReport& r_;
  std::span<const TraceItem> items_;
  std::string fallback_;
};

std::string report_frame(const RawReport& r, const std::vector<Task>& tasks) {
  const FramePlan& plan = *r.format->plan;
  std::vector<TraceItem> task_items;   // a hung task's stack is the task dump's
  std::span<const TraceItem> items = r.items;
  if (r.task_idx && *r.task_idx < tasks.size()) {
    task_items.emplace_back(TraceItem::Kind::call_trace);
    for (const Frame& f : tasks[*r.task_idx].frames)
      task_items.emplace_back(TraceItem::Kind::frame, f.func, f.reliable, f.inlined);
    items = task_items;
  }
  PlanRun run(plan, r, items);
  std::string f = run.run(plan.parts);
  if (f.empty() && plan.parts2[0] != Part::none) f = run.run(plan.parts2);
  if (f.empty()) f = run.fallback();
  return f;
}

// syzkaller pkg/report's dynamicTitleReplacement and sanitizeTitle, for the
// parts of a title copied from the log: addresses, numbers, source lines,
// offsets and executor ids vary between runs of one bug.
std::string sanitize_title(std::string_view t) {
  std::string out;
  auto word = [](char c) { return text::is_alpha(c) || text::is_digit(c) || c == '_'; };
  for (std::size_t i = 0; i < t.size() && out.size() < 120;) {
    const char c = t[i];
    const bool boundary = i == 0 || !word(t[i - 1]);
    if (text::starts_with(t.substr(i), "syz-executor")) {   // "syz-executor.3/1234" -> "syz-executor"
      out += "syz-executor";
      i += 12;
      while (i < t.size() && (text::is_digit(t[i]) || t[i] == '.' || t[i] == '/' || t[i] == ':')) ++i;
      continue;
    }
    if (c == '+' && text::starts_with(t.substr(i), "+0x")) {   // "func+0x1f/0x50" -> "func"
      std::size_t j = i + 1;
      while (j < t.size() && (text::is_xdigit(t[j]) || t[j] == 'x' || t[j] == '/')) ++j;
      i = j;
      continue;
    }
    if (c == ':' && i + 1 < t.size() && text::is_digit(t[i + 1]) && out.find('.') != std::string::npos &&
        !out.empty() && word(out.back())) {   // "file.c:123:4" -> "file.c:LINE"
      std::size_t j = i;
      while (j < t.size() && (t[j] == ':' || text::is_digit(t[j]))) ++j;
      out += ":LINE";
      i = j;
      continue;
    }
    const bool alnum_before = i > 0 && (text::is_alpha(t[i - 1]) || text::is_digit(t[i - 1]));
    if (!alnum_before && text::is_xdigit(c)) {   // addresses, then numbers
      std::size_t j = text::starts_with(t.substr(i), "0x") ? i + 2 : i;
      std::size_t k = j;
      while (k < t.size() && text::is_xdigit(t[k])) ++k;
      if (k - j >= 6) {
        out += "ADDR";
        i = k;
        continue;
      }
      std::size_t d = i;
      while (d < t.size() && text::is_digit(t[d])) ++d;
      if (boundary && d > i && (d == t.size() || !word(t[d]))) {
        out += "NUM";
        i = d;
        continue;
      }
    }
    if (c == 'C' && text::starts_with(t.substr(i), "CPU#")) {
      out += "CPU";
      i += 4;
      while (i < t.size() && text::is_digit(t[i])) ++i;
      continue;
    }
    char ch = c == '\t' ? ' ' : c;
    if (static_cast<unsigned char>(ch) < 0x20 || static_cast<unsigned char>(ch) >= 0x7f) {
      ++i;
      continue;
    }
    if (!(ch == ' ' && (out.empty() || out.back() == ' '))) out += ch;
    ++i;
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

std::string format_title(const RawReport& r, const std::vector<Task>& tasks) {
  const OopsFormat& f = *r.format;
  std::string frame;
  if (f.plan) frame = report_frame(r, tasks);
  std::string out;
  std::string_view t = f.title;
  for (std::size_t i = 0; i < t.size();) {
    if (t[i] != '{') {
      out += t[i++];
      continue;
    }
    std::size_t close = t.find('}', i);
    std::string_view key = t.substr(i + 1, close - i - 1);
    i = close + 1;
    if (key == "1") {
      out += r.cap.empty() ? "corrupted" : r.cap;
    } else if (key == "access") {
      out += r.access;
    } else if (key == "frame") {
      if (frame.empty()) {   // no usable frame: the title without " in {frame}"
        while (!out.empty() && out.back() != ' ') out.pop_back();
        if (text::ends_with(out, " in ")) out.resize(out.size() - 4);
        i = t.find(' ', i) == std::string_view::npos ? t.size() : t.find(' ', i);
      } else {
        out += frame;
      }
    }
  }
  // As syzbot does for the whole title: "bpf_prog_9a1b2c3d4e5f" -> "bpf_prog_ADDR",
  // numbers and addresses copied from the header -> NUM/ADDR, double blanks
  // ("KASAN: use-after-free  in f" without its access line) -> one.
  return sanitize_title(out);
}

}  // namespace

std::string report_title(const RawReport& r, const std::vector<Task>& tasks) {
  if (r.format) return format_title(r, tasks);
  if (!r.fixed_title.empty()) return r.fixed_title;
  const std::vector<Frame>& frames = r.task_idx && *r.task_idx < tasks.size() ? tasks[*r.task_idx].frames : std::vector<Frame>{};
  std::vector<Frame> own;
  for (const TraceItem& it : r.items)
    if (it.kind == TraceItem::Kind::frame && !it.inlined) {
      Frame f;
      f.func = it.func;
      f.reliable = it.reliable;
      own.push_back(std::move(f));
    }
  const bool alloc_failure = starts_with(r.head, "page allocation failure");
  std::string func = first_meaningful(frames.empty() ? own : frames, 0, alloc_failure);
  if (func.empty()) return r.head;
  return r.head + " in " + title_func(func);
}

}  // namespace oomlab::analyzer
