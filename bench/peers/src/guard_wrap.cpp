#include "guard_wrap.hpp"

#include <csignal>
#include <cstdio>
#include <fstream>

#include "host_run.hpp"  // g_interrupted
#include "oomlab/common/clock.hpp"

namespace oomlab::peers {

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
  std::ofstream(out) << formats::encode_wrapped_guard(w) << "\n";
  return 0;
}

}  // namespace oomlab::peers
