// report.html: one self-contained page (no external script, style or font)
// with an inline SVG timeline - memory usage against the limit, PSI, D-state
// threads, stall episodes and OOM kill markers - and the tables behind it.
#include <algorithm>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <sstream>

#include "oomlab/common/units.hpp"
#include "oomlab/repro/report.hpp"

#include "oomlab/common/html.hpp"

namespace oomlab::repro {
namespace {

std::string esc(std::string_view s) { return html_escape(s); }

std::string num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", v);
  return buf;
}

// Plot area inside the SVG.
constexpr double kW = 900, kH = 300, kLeft = 60, kRight = 60, kTop = 20, kBottom = 30;
constexpr double kStripH = 60;  // D-state strip below the main chart

struct Scale {
  double t_max_ms, mem_max;
  double x(double t_ms) const { return kLeft + (kW - kLeft - kRight) * std::clamp(t_ms / t_max_ms, 0.0, 1.0); }
  double y_mem(double bytes) const { return kTop + (kH - kTop - kBottom) * (1 - std::min(bytes / mem_max, 1.0)); }
  double y_pct(double pct) const { return kTop + (kH - kTop - kBottom) * (1 - std::clamp(pct / 100, 0.0, 1.0)); }
};

std::string chart_svg(const RunRecord& r) {
  // The time axis ends with the run (earlier than --duration when the
  // workload finished or the run was interrupted).
  Scale sc{r.samples.empty() ? static_cast<double>(r.config.duration.count()) : static_cast<double>(r.samples.back().t_ms), 1};
  sc.t_max_ms = std::max(sc.t_max_ms, 100.0);
  for (const Sample& s : r.samples) {
    sc.mem_max = std::max(sc.mem_max, static_cast<double>(s.usage_bytes));
    if (s.limit_bytes) sc.mem_max = std::max(sc.mem_max, static_cast<double>(*s.limit_bytes));
  }
  sc.mem_max *= 1.05;
  int d_max = 1;
  for (const Sample& s : r.samples) d_max = std::max(d_max, s.tasks.disk);

  std::ostringstream o;
  const double total_h = kH + kStripH + 10;
  o << "<svg id=\"timeline\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 " << kW << ' ' << total_h
    << "\" width=\"" << kW << "\" height=\"" << total_h << "\" role=\"img\" aria-label=\"run timeline\">\n";
  o << "<rect x=\"" << kLeft << "\" y=\"" << kTop << "\" width=\"" << kW - kLeft - kRight << "\" height=\""
    << kH - kTop - kBottom << "\" fill=\"#fafafa\" stroke=\"#999\"/>\n";
  // Stall episodes behind everything.
  for (const Stall& st : r.outcome.stalls)
    o << "<rect class=\"stall\" x=\"" << num(sc.x(st.start_ms)) << "\" y=\"" << kTop << "\" width=\""
      << num(std::max(1.0, sc.x(st.end_ms) - sc.x(st.start_ms))) << "\" height=\"" << kH - kTop - kBottom
      << "\" fill=\"#f5c6a5\" opacity=\"0.6\"><title>stall " << st.start_ms << "-" << st.end_ms
      << " ms</title></rect>\n";
  // Axes labels: memory on the left, percent on the right, seconds below.
  for (int i = 0; i <= 4; ++i) {
    double bytes = sc.mem_max * i / 4, y = sc.y_mem(bytes);
    o << "<text x=\"" << kLeft - 4 << "\" y=\"" << num(y + 4) << "\" text-anchor=\"end\" font-size=\"10\">"
      << esc(format_size(static_cast<std::uint64_t>(bytes))) << "</text>";
    o << "<text x=\"" << kW - kRight + 4 << "\" y=\"" << num(sc.y_pct(25.0 * i) + 4) << "\" font-size=\"10\">"
      << 25 * i << "%</text>\n";
  }
  for (int i = 0; i <= 10; ++i) {
    double t = sc.t_max_ms * i / 10;
    o << "<text x=\"" << num(sc.x(t)) << "\" y=\"" << kH - kBottom + 14
      << "\" text-anchor=\"middle\" font-size=\"10\">" << num(t / 1000) << "s</text>";
  }
  o << '\n';
  auto polyline = [&](const char* cls, const char* color, auto y_of, bool dashed = false) {
    o << "<polyline class=\"" << cls << "\" fill=\"none\" stroke=\"" << color << "\" stroke-width=\"1.5\""
      << (dashed ? " stroke-dasharray=\"6 3\"" : "") << " points=\"";
    bool any = false;
    for (const Sample& s : r.samples) {
      double y = y_of(s);
      if (y < 0) continue;
      o << num(sc.x(static_cast<double>(s.t_ms))) << ',' << num(y) << ' ';
      any = true;
    }
    o << "\"/>\n";
    return any;
  };
  polyline("usage", "#1f77b4", [&](const Sample& s) { return sc.y_mem(static_cast<double>(s.usage_bytes)); });
  polyline("limit", "#555", [&](const Sample& s) { return s.limit_bytes ? sc.y_mem(static_cast<double>(*s.limit_bytes)) : -1.0; }, true);
  polyline("psi-some", "#ff7f0e", [&](const Sample& s) { return s.psi_some_ratio < 0 ? -1.0 : sc.y_pct(100 * s.psi_some_ratio); });
  polyline("psi-full", "#d62728", [&](const Sample& s) { return s.psi_full_ratio < 0 ? -1.0 : sc.y_pct(100 * s.psi_full_ratio); });
  // D-state threads: bars in a strip under the chart.
  const double strip_top = kH + 5;
  o << "<rect x=\"" << kLeft << "\" y=\"" << strip_top << "\" width=\"" << kW - kLeft - kRight << "\" height=\""
    << kStripH << "\" fill=\"#fafafa\" stroke=\"#999\"/>\n";
  o << "<text x=\"" << kLeft - 4 << "\" y=\"" << strip_top + 12 << "\" text-anchor=\"end\" font-size=\"10\">D="
    << d_max << "</text>\n";
  const double bar_w = std::max(1.0, (kW - kLeft - kRight) * r.config.period.count() / sc.t_max_ms);
  for (const Sample& s : r.samples) {
    if (s.tasks.disk == 0) continue;
    double h = kStripH * s.tasks.disk / d_max;
    o << "<rect class=\"dstate\" x=\"" << num(sc.x(static_cast<double>(s.t_ms)) - bar_w) << "\" y=\""
      << num(strip_top + kStripH - h) << "\" width=\"" << num(bar_w) << "\" height=\"" << num(h)
      << "\" fill=\"#9467bd\"/>";
  }
  o << '\n';
  // --trace: tasks in reclaim and tasks waiting for an mmap lock, on the
  // D-state strip's scale.
  auto strip_y = [&](int n) { return strip_top + kStripH - kStripH * std::min(n, d_max) / static_cast<double>(d_max); };
  polyline("reclaim", "#2ca02c", [&](const Sample& s) { return s.trace ? strip_y(s.trace->in_reclaim) : -1.0; });
  polyline("lockwait", "#8c564b", [&](const Sample& s) { return s.trace ? strip_y(s.trace->lock_waiters) : -1.0; }, true);
  // OOM kills: a red line across both panels.
  for (const OomKill& k : r.kills) {
    double x = sc.x(static_cast<double>(k.t_ms));
    o << "<line class=\"kill\" x1=\"" << num(x) << "\" x2=\"" << num(x) << "\" y1=\"" << kTop << "\" y2=\""
      << strip_top + kStripH << "\" stroke=\"#e00\" stroke-width=\"2\"><title>OOM kill " << k.pid << " ("
      << esc(k.comm) << ") at " << k.t_ms << " ms"
      << (k.freed_ms ? ", freed after " + std::to_string(*k.freed_ms) + " ms" : std::string(", nothing freed"))
      << "</title></line>\n";
  }
  // oomlab-watchdog's kills: a dashed orange line.
  for (const WatchdogKill& k : r.watchdog.kills) {
    double x = sc.x(static_cast<double>(k.t_ms));
    o << "<line class=\"wdkill\" x1=\"" << num(x) << "\" x2=\"" << num(x) << "\" y1=\"" << kTop << "\" y2=\""
      << strip_top + kStripH << "\" stroke=\"#f80\" stroke-width=\"2\" stroke-dasharray=\"4 3\"><title>oomlab-watchdog killed "
      << k.pid << " (" << esc(k.comm) << ") at " << k.t_ms << " ms, reason " << esc(k.reason)
      << (k.kill_to_freed_ms >= 0 ? ", freed after " + std::to_string(k.kill_to_freed_ms) + " ms" : std::string())
      << "</title></line>\n";
  }
  o << "</svg>\n";
  return o.str();
}

const char* kStyle =
    "body{font-family:sans-serif;margin:1.5em;color:#222}table{border-collapse:collapse}"
    "td,th{border:1px solid #ccc;padding:2px 8px;text-align:left;font-size:13px}"
    "pre{background:#f4f4f4;padding:8px;overflow:auto;max-height:30em;font-size:12px}"
    ".legend span{margin-right:1.2em}.sw{display:inline-block;width:14px;height:4px;vertical-align:middle;margin-right:4px}"
    ".livelock{color:#b00}.oom_ineffective{color:#b60}.oom_resolved{color:#070}";

// After layout, the page states what the browser drew: a test in headless
// Chromium reads this back from the DOM.
const char* kRenderCheck =
    "<script>window.addEventListener('load',function(){var u=document.querySelector('#timeline polyline.usage');"
    "var n=u&&u.points?u.points.numberOfItems:0;var b=u?u.getBBox():{width:0,height:0};"
    "var k=document.querySelectorAll('#timeline line.kill').length;"
    "document.getElementById('render-check').textContent='rendered usage points='+n+' width='+Math.round(b.width)+"
    "' kills='+k;});</script>";

}  // namespace

std::string render_report_html(const RunRecord& r, const std::optional<formats::VerdictDoc>& verdict) {
  std::ostringstream o;
  const std::string cls(outcome_name(r.outcome.cls));
  o << "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>oomlab-repro " << esc(r.config.scenario)
    << " - " << cls << "</title><style>" << kStyle << "</style></head><body>\n";
  o << "<h1>" << esc(r.config.scenario) << ": <span class=\"" << cls << "\">" << cls << "</span></h1>\n";
  o << "<p>" << esc(r.outcome.reason) << (r.interrupted ? " (run interrupted)" : "") << "</p>\n";
  if (!r.verdict.cls.empty()) {
    // The run's one verdict (agrees with the outcome); the analyzer's own document is below.
    o << "<p>verdict: " << esc(r.verdict.cls);
    if (!r.verdict.title.empty() && r.verdict.title != r.verdict.cls && r.verdict.title != r.outcome.reason)
      o << " - " << esc(r.verdict.title);
    o << " (from the " << esc(r.verdict.from) << ")</p>\n";
    if (!r.verdict.note.empty()) o << "<p>" << esc(r.verdict.note) << "</p>\n";
  }
  o << "<div class=\"legend\"><span><i class=\"sw\" style=\"background:#1f77b4\"></i>usage</span>"
       "<span><i class=\"sw\" style=\"background:#555\"></i>limit</span>"
       "<span><i class=\"sw\" style=\"background:#ff7f0e\"></i>PSI some %</span>"
       "<span><i class=\"sw\" style=\"background:#d62728\"></i>PSI full %</span>"
       "<span><i class=\"sw\" style=\"background:#9467bd\"></i>D-state threads</span>"
       "<span><i class=\"sw\" style=\"background:#2ca02c\"></i>in reclaim (--trace)</span>"
       "<span><i class=\"sw\" style=\"background:#8c564b\"></i>mmap_lock waiters (--trace)</span>"
       "<span><i class=\"sw\" style=\"background:#e00\"></i>OOM kill</span>"
       "<span><i class=\"sw\" style=\"background:#f80\"></i>watchdog kill</span>"
       "<span><i class=\"sw\" style=\"background:#f5c6a5\"></i>stall</span></div>\n";
  o << chart_svg(r);
  o << "<p id=\"render-check\">not rendered</p>\n";

  o << "<h2>Run</h2><table>";
  auto row = [&](const std::string& k, const std::string& v) { o << "<tr><th>" << esc(k) << "</th><td>" << esc(v) << "</td></tr>"; };
  row("started", r.started_at);
  row("ended", r.ended_at);
  row("kernel", r.kernel_release + " " + r.machine);
  row("cgroup", r.cgroup_version ? "v" + std::to_string(r.cgroup_version) + " (" + r.cgroup_layout + ") " + r.cgroup_path
                                  : std::string("none (--unsafe-no-cgroup)"));
  row("limit", r.config.unsafe_no_cgroup ? "none" : format_size(r.config.limit_bytes));
  row("duration / stall threshold / period", format_duration(r.config.duration) + " / " +
                                                 format_duration(r.config.stall_threshold) + " / " +
                                                 format_duration(r.config.period));
  for (const auto& [k, v] : r.config.options) row("--" + k, v);
  row("PSI source", r.psi_source.empty() ? "none" : r.psi_source);
  row("workload", r.workload_exit);
  row("teardown", r.teardown);
  row("exit code", std::to_string(r.exit_code));
  o << "</table>\n";

  o << "<h2>OOM kills</h2>";
  if (r.kills.empty()) o << "<p>none</p>";
  else {
    o << "<table><tr><th>at</th><th>pid</th><th>comm</th><th>anon-rss</th><th>kill to freed</th><th>group relief (1 s)</th></tr>";
    for (const OomKill& k : r.kills)
      o << "<tr><td>" << k.t_ms << " ms</td><td>" << k.pid << "</td><td>" << esc(k.comm) << "</td><td>"
        << k.anon_rss_kb << " kB</td><td>" << (k.freed_ms ? std::to_string(*k.freed_ms) + " ms" : "not freed")
        << "</td><td>" << format_size(k.relief_bytes) << (k.relieved ? "" : " (not substantial)") << "</td></tr>";
    o << "</table>";
  }
  if (r.watchdog.enabled) {
    o << "\n<h2>oomlab-watchdog</h2><p>" << esc(r.watchdog.status) << "; " << r.watchdog.stall_reports
      << " stall reports, " << r.watchdog.kills.size() << " kills</p>";
    if (!r.watchdog.kills.empty()) {
      o << "<table><tr><th>at</th><th>pid</th><th>comm</th><th>reason</th><th>rss</th><th>kill to exit</th>"
           "<th>kill to freed</th></tr>";
      auto ms = [](std::int64_t v) { return v < 0 ? std::string("-") : std::to_string(v) + " ms"; };
      for (const WatchdogKill& k : r.watchdog.kills)
        o << "<tr><td>" << k.t_ms << " ms</td><td>" << k.pid << "</td><td>" << esc(k.comm) << "</td><td>"
          << esc(k.reason) << (k.dry_run ? " (dry-run)" : "") << "</td><td>" << k.rss_kb << " kB</td><td>"
          << ms(k.kill_to_exit_ms) << "</td><td>" << ms(k.kill_to_freed_ms) << "</td></tr>";
      o << "</table>";
    }
    o << "<pre>";
    for (const WatchdogEvent& e : r.watchdog.events) o << "+" << e.t_ms << " ms " << esc(e.line) << '\n';
    o << "</pre>";
  }
  // The analyzer's whole document, indented for reading (no field is picked out here).
  std::string shown = "none";
  if (verdict) {
    auto doc = nlohmann::json::parse(verdict->raw, nullptr, false);
    shown = doc.is_discarded() ? verdict->raw : doc.dump(2, ' ', false, nlohmann::json::error_handler_t::replace);
  }
  o << "\n<h2>Analyzer verdict on the kernel log</h2><pre>" << esc(shown) << "</pre>\n";
  o << "<h2>Kernel log during the run</h2><pre>";
  for (const KernelLine& l : r.kernel_log) o << esc(l.text) << '\n';
  o << "</pre>\n" << kRenderCheck << "\n</body></html>\n";
  return o.str();
}

}  // namespace oomlab::repro
