#include "summary.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>

namespace oomlab::peers {

std::optional<Stat> stat_of(std::vector<double> v) {
  if (v.empty()) return std::nullopt;
  std::sort(v.begin(), v.end());
  Stat s;
  s.n = static_cast<int>(v.size());
  s.min = v.front();
  s.max = v.back();
  s.median = v.size() % 2 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
  return s;
}

std::vector<Cell> summarise(const std::vector<RunResult>& runs) {
  std::vector<std::string> scenarios, guards;
  for (const auto& r : runs) {
    if (std::find(scenarios.begin(), scenarios.end(), r.scenario) == scenarios.end()) scenarios.push_back(r.scenario);
    if (std::find(guards.begin(), guards.end(), r.guard) == guards.end()) guards.push_back(r.guard);
  }
  std::vector<Cell> cells;
  for (const auto& s : scenarios)
    for (const auto& g : guards) {
      Cell c;
      c.scenario = s, c.guard = g;
      std::vector<double> s2k, k2f, np, cpu, rss, dms;
      for (const auto& r : runs) {
        if (r.scenario != s || r.guard != g || !r.error.empty()) continue;
        ++c.runs;
        c.hits += r.hit;
        c.right += r.right_victim;
        c.blocked += r.guard_blocked;
        c.killed += !r.kills.empty();
        if (r.stall_to_kill_ms) s2k.push_back(static_cast<double>(*r.stall_to_kill_ms));
        if (r.kill_to_freed_ms) k2f.push_back(static_cast<double>(*r.kill_to_freed_ms));
        np.push_back(static_cast<double>(r.no_progress_ms));
        if (g != "none") {
          cpu.push_back(r.cost.cpu_ms);
          rss.push_back(static_cast<double>(r.cost.peak_rss_kb));
          dms.push_back(static_cast<double>(r.cost.longest_d_ms));
        }
      }
      if (c.runs == 0) continue;
      c.stall_to_kill = stat_of(s2k), c.kill_to_freed = stat_of(k2f), c.no_progress = stat_of(np);
      c.cpu_ms = stat_of(cpu), c.rss_kb = stat_of(rss), c.longest_d = stat_of(dms);
      cells.push_back(c);
    }
  return cells;
}

namespace {

std::string fmt_s(const std::optional<Stat>& s, double scale, const char* unit, int runs) {
  if (!s) return "-";
  char buf[96];
  std::snprintf(buf, sizeof buf, "%.1f (%.1f-%.1f)%s", s->median / scale, s->min / scale, s->max / scale, unit);
  std::string out = buf;
  if (s->n < runs) out += " [" + std::to_string(s->n) + "/" + std::to_string(runs) + "]";
  return out;
}

std::string fmt_ratio(const std::optional<Stat>& a, const std::optional<Stat>& b) {
  if (!a && !b) return "-";
  if (a && !b) return "oomlab only";
  if (!a && b) return "peer only";
  if (b->median <= 0) return a->median <= 0 ? "1.00" : "inf";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f", a->median / b->median);
  return buf;
}

}  // namespace

std::string markdown_tables(const std::vector<Cell>& cells) {
  std::string out;
  std::string current;
  for (const auto& c : cells) {
    if (c.scenario != current) {
      current = c.scenario;
      out += "\n#### " + c.scenario + "\n\n";
      out += "| guard | runs | hit | right victim | stall to kill s | kill to freed s | no progress s | "
             "guard CPU ms | guard peak RSS MiB | guard longest D ms | blocked |\n";
      out += "|---|---|---|---|---|---|---|---|---|---|---|\n";
    }
    char hit[32], right[32];
    std::snprintf(hit, sizeof hit, "%d/%d", c.hits, c.runs);
    std::snprintf(right, sizeof right, "%d/%d", c.right, c.killed);
    out += "| " + c.guard + " | " + std::to_string(c.runs) + " | " + hit + " | " + right + " | " +
           fmt_s(c.stall_to_kill, 1000, "", c.runs) + " | " + fmt_s(c.kill_to_freed, 1000, "", c.runs) + " | " +
           fmt_s(c.no_progress, 1000, "", c.runs) + " | " + fmt_s(c.cpu_ms, 1, "", c.runs) + " | " +
           fmt_s(c.rss_kb, 1024, "", c.runs) + " | " + fmt_s(c.longest_d, 1, "", c.runs) + " | " +
           std::to_string(c.blocked) + "/" + std::to_string(c.runs) + " |\n";
  }
  // Ratios: oomlab-watchdog median / peer median (< 1: oomlab is faster/cheaper).
  std::map<std::string, const Cell*> oomlab;
  for (const auto& c : cells)
    if (c.guard == "oomlab-watchdog") oomlab[c.scenario] = &c;
  std::string ratios;
  for (const auto& c : cells) {
    if (c.guard == "oomlab-watchdog" || !oomlab.count(c.scenario)) continue;
    const Cell& o = *oomlab[c.scenario];
    ratios += "| " + c.scenario + " | " + c.guard + " | " + fmt_ratio(o.stall_to_kill, c.stall_to_kill) + " | " +
              fmt_ratio(o.kill_to_freed, c.kill_to_freed) + " | " + fmt_ratio(o.no_progress, c.no_progress) + " | " +
              (c.guard == "none" ? std::string("-") : fmt_ratio(o.cpu_ms, c.cpu_ms)) + " | " +
              (c.guard == "none" ? std::string("-") : fmt_ratio(o.rss_kb, c.rss_kb)) + " |\n";
  }
  if (!ratios.empty())
    out += "\n#### oomlab-watchdog / peer (ratio of medians; < 1 = oomlab faster or cheaper)\n\n"
           "| scenario | peer | stall to kill | kill to freed | no progress | CPU | peak RSS |\n"
           "|---|---|---|---|---|---|---|\n" +
           ratios;
  return out;
}

std::string svg_chart(const std::vector<Cell>& cells, const std::string& title) {
  std::vector<std::string> scenarios, guards;
  double top = 1;
  for (const auto& c : cells) {
    if (std::find(scenarios.begin(), scenarios.end(), c.scenario) == scenarios.end()) scenarios.push_back(c.scenario);
    if (std::find(guards.begin(), guards.end(), c.guard) == guards.end()) guards.push_back(c.guard);
    if (c.no_progress) top = std::max(top, c.no_progress->max / 1000);
  }
  top = std::ceil(top / 5) * 5;
  const char* colours[] = {"#888888", "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd"};
  const int bar = 22, gap = 26, left = 60, plot_h = 260, top_pad = 50;
  const int group_w = static_cast<int>(guards.size()) * bar + gap;
  const int width = left + static_cast<int>(scenarios.size()) * group_w + 20;
  const int height = top_pad + plot_h + 90;
  auto y_of = [&](double seconds) { return top_pad + plot_h - static_cast<int>(seconds / top * plot_h); };
  char buf[512];
  std::string s;
  std::snprintf(buf, sizeof buf,
                "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" font-family=\"sans-serif\" "
                "font-size=\"11\">\n<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n"
                "<text x=\"%d\" y=\"18\" font-size=\"14\">%s</text>\n",
                width, height, left, title.c_str());
  s += buf;
  for (int i = 0; i <= 5; ++i) {
    double v = top * i / 5;
    std::snprintf(buf, sizeof buf,
                  "<line x1=\"%d\" x2=\"%d\" y1=\"%d\" y2=\"%d\" stroke=\"#ddd\"/><text x=\"%d\" y=\"%d\" "
                  "text-anchor=\"end\">%.0f s</text>\n",
                  left, width - 10, y_of(v), y_of(v), left - 5, y_of(v) + 4, v);
    s += buf;
  }
  for (std::size_t si = 0; si < scenarios.size(); ++si) {
    int x0 = left + static_cast<int>(si) * group_w + gap / 2;
    for (std::size_t gi = 0; gi < guards.size(); ++gi) {
      auto it = std::find_if(cells.begin(), cells.end(),
                             [&](const Cell& c) { return c.scenario == scenarios[si] && c.guard == guards[gi]; });
      if (it == cells.end() || !it->no_progress) continue;
      int x = x0 + static_cast<int>(gi) * bar;
      int y = y_of(it->no_progress->median / 1000);
      std::snprintf(buf, sizeof buf,
                    "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"%s\"><title>%s / %s: median %.1f s "
                    "without progress, hit %d/%d</title></rect>\n",
                    x, y, bar - 3, top_pad + plot_h - y, colours[gi % 6], scenarios[si].c_str(), guards[gi].c_str(),
                    it->no_progress->median / 1000, it->hits, it->runs);
      s += buf;
      int cx = x + (bar - 3) / 2;
      std::snprintf(buf, sizeof buf,
                    "<line x1=\"%d\" x2=\"%d\" y1=\"%d\" y2=\"%d\" stroke=\"black\"/>\n<text x=\"%d\" y=\"%d\" "
                    "text-anchor=\"middle\" font-size=\"9\">%d/%d</text>\n",
                    cx, cx, y_of(it->no_progress->min / 1000), y_of(it->no_progress->max / 1000), cx,
                    y_of(it->no_progress->max / 1000) - 4, it->hits, it->runs);
      s += buf;
    }
    std::snprintf(buf, sizeof buf, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">%s</text>\n",
                  x0 + static_cast<int>(guards.size()) * bar / 2, top_pad + plot_h + 16, scenarios[si].c_str());
    s += buf;
  }
  for (std::size_t gi = 0; gi < guards.size(); ++gi) {
    int x = left + static_cast<int>(gi) * 150;
    std::snprintf(buf, sizeof buf,
                  "<rect x=\"%d\" y=\"%d\" width=\"12\" height=\"12\" fill=\"%s\"/><text x=\"%d\" y=\"%d\">%s</text>\n",
                  x, top_pad + plot_h + 40, colours[gi % 6], x + 16, top_pad + plot_h + 50, guards[gi].c_str());
    s += buf;
  }
  std::snprintf(buf, sizeof buf,
                "<text x=\"%d\" y=\"%d\" fill=\"#555\">bars: median seconds without progress (whiskers min-max); "
                "above: hit rate (right victim, stall over at the end)</text>\n</svg>\n",
                left, top_pad + plot_h + 75);
  s += buf;
  return s;
}

}  // namespace oomlab::peers
