#include <cstdio>

#include "oomlab/analyzer/output.hpp"

namespace oomlab::analyzer {

namespace {
std::string ts(const Where& w) {
  char b[48];
  if (w.ts) std::snprintf(b, sizeof b, "%.3f", *w.ts);
  else std::snprintf(b, sizeof b, "line %llu", static_cast<unsigned long long>(w.line));
  return b;
}
}  // namespace

std::string to_text(const Report& r) {
  std::string out = r.input.name + ": " + to_string(r.verdict) + (r.verdict == VerdictClass::clean ? "" : " - " + r.title) + "\n";
  for (const Finding& f : r.findings) {
    out += "  [" + ts(f.first) + " .. " + ts(f.last) + "] " + to_string(f.klass) + ": " + f.title + "\n";
    for (const TaskRole& t : f.tasks) {
      out += "      " + t.role + " " + t.comm + "(" + std::to_string(t.pid) + ") state " + std::string(1, t.state);
      if (!t.wait.empty()) out += ", " + t.wait;
      if (!t.where.empty()) out += " in " + t.where;
      out += "\n";
    }
  }
  char b[256];
  std::snprintf(b, sizeof b, "  %zu OOM event(s), %zu MemAlloc-Info sample(s) (max stalling %d, max delay %llu ms), %zu task(s) dumped\n",
                r.oom_events.size(), r.memalloc.series.size(), r.memalloc.max_stalling,
                static_cast<unsigned long long>(r.memalloc.max_delay_ms), r.tasks.size());
  out += b;
  std::snprintf(b, sizeof b, "  input: %llu lines, %llu bytes, format %s, %llu truncated line(s)\n",
                static_cast<unsigned long long>(r.input.lines), static_cast<unsigned long long>(r.input.bytes),
                r.input.format.c_str(), static_cast<unsigned long long>(r.input.truncated_lines));
  out += b;
  for (const auto& [who, n] : r.input.suppressed) {
    const bool merged = who == "oomlab-watchdog" && !r.input.watchdog_log.empty();
    out += "  the kernel log lost " + std::to_string(n) + " line(s) of " + who + " to the printk ratelimit" +
           (merged ? " (its JSON log " + r.input.watchdog_log + " is merged in)" : "") + "\n";
  }
  if (!r.input.watchdog_log.empty())
    out += "  merged " + std::to_string(r.input.watchdog_lines) + " record(s) of " + r.input.watchdog_log + "\n";
  return out;
}

}  // namespace oomlab::analyzer
