#include "guard_wrap.hpp"

#include <csignal>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>

#include "host_run.hpp"  // g_interrupted
#include "oomlab/common/clock.hpp"

namespace oomlab::peers {

nlohmann::json wrapped_to_json(const WrappedGuard& w) {
  nlohmann::json lines = nlohmann::json::array();
  for (const auto& l : w.lines) lines.push_back({{"t", l.realtime_ms}, {"text", l.text}});
  return {{"started_realtime_ms", w.started_realtime_ms},
          {"exit_status", w.exit_status},
          {"cost",
           {{"cpu_ms", w.cost.cpu_ms},
            {"peak_rss_kb", w.cost.peak_rss_kb},
            {"longest_d_ms", w.cost.longest_d_ms},
            {"d_wchan", w.cost.d_wchan}}},
          {"lines", lines}};
}

WrappedGuard wrapped_from_json(const nlohmann::json& j) {
  WrappedGuard w;
  w.started_realtime_ms = j.value("started_realtime_ms", std::int64_t{0});
  w.exit_status = j.value("exit_status", -1);
  if (auto c = j.find("cost"); c != j.end() && c->is_object()) {
    w.cost.cpu_ms = c->value("cpu_ms", 0.0);
    w.cost.peak_rss_kb = c->value("peak_rss_kb", std::uint64_t{0});
    w.cost.longest_d_ms = c->value("longest_d_ms", std::int64_t{0});
    w.cost.d_wchan = c->value("d_wchan", "");
  }
  for (const auto& l : j.value("lines", nlohmann::json::array()))
    w.lines.push_back({l.value("t", std::int64_t{0}), l.value("text", "")});
  return w;
}

namespace {
void on_signal(int) { g_interrupted = true; }
}  // namespace

int wrap_main(const std::vector<std::string>& args) {
  std::string out;
  std::vector<std::string> cmd;
  for (std::size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--out" && i + 1 < args.size()) {
      out = args[++i];
    } else if (args[i] == "--") {
      cmd.assign(args.begin() + static_cast<long>(i) + 1, args.end());
      break;
    } else {
      std::fprintf(stderr, "oomlab-bench-peers: wrap: unexpected argument '%s' (see --help)\n", args[i].c_str());
      return 2;
    }
  }
  if (out.empty() || cmd.empty()) {
    std::fprintf(stderr, "oomlab-bench-peers: wrap: needs --out FILE -- COMMAND... (see --help)\n");
    return 2;
  }
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
  WrappedGuard w;
  try {
    Child guard(cmd);
    w.started_realtime_ms = realtime_ms();
    GuardProbe probe(guard.pid());
    while (!g_interrupted && !guard.exited()) {
      guard.pump(50);
      probe.sample(monotonic_ms());
    }
    if (!guard.exited()) probe.sample(monotonic_ms());
    guard.stop();
    w.lines = guard.lines();
    w.cost = probe.cost();
    w.exit_status = guard.exit_status();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "oomlab-bench-peers: wrap: %s\n", e.what());
    return 1;
  }
  std::ofstream(out) << wrapped_to_json(w).dump() << "\n";
  return 0;
}

}  // namespace oomlab::peers
