#include "trace_cli.hpp"

#include "oomlab/common/units.hpp"

namespace oomlab::tracer {

const char* trace_cli_usage() {
  return "Usage: oomlab-trace [options]\n"
         "Trace memory stalls with BPF: reclaim episodes (gfp, order, delay), mmap_lock\n"
         "waits and their holders, OOM victims from mark_victim to exit. Needs root and a\n"
         "kernel with BTF. Lines as in docs/FORMATS.md, \"Tracer (BPF) lines\".\n"
         "\n"
         "  --json               JSON lines instead of text\n"
         "  --duration D         stop after D (\"30s\", \"2m\"); default: until Ctrl-C\n"
         "  --interval D         report ongoing reclaims and lock waits every D (default 1s, 0: never)\n"
         "  --reclaim-min D      report reclaim episodes of at least D (default 1ms; \"50us\" works)\n"
         "  --lockwait-min D     report mmap_lock waits of at least D (default 1ms)\n"
         "  --lock-tracing       trace mmap_lock waits for the whole run (contended locks only)\n"
         "  --lock-on-pressure   trace mmap_lock only while memory PSI is high\n"
         "                       (some >= 150ms per 2s; detached after 10s below)\n"
         "  --victim-timeout D   report OOM victims that have not exited D after mark_victim\n"
         "                       (every --interval; default 5s, 0: never)\n"
         "  --cgroup DIR         only tasks of this memory cgroup and below (v1 or v2 directory)\n"
         "  --decode-gfp MASK    print the flag names of a gfp mask for this kernel and exit\n"
         "  --no-bpf             do not load BPF (prints the notice and exits)\n"
         "  --help               this text\n"
         "Exit: 0 done, 1 BPF unavailable, 2 usage.\n";
}

namespace {

// oomlab::parse_duration plus "us": reclaim episodes and lock waits are
// mostly tens of microseconds, thresholds below 1 ms are normal here.
std::optional<std::chrono::nanoseconds> parse_threshold(const std::string& text) {
  if (text.size() > 2 && text.ends_with("us")) {
    std::string digits = text.substr(0, text.size() - 2);
    if (digits.find_first_not_of("0123456789") != std::string::npos || digits.size() > 12) return std::nullopt;
    return std::chrono::microseconds(std::stoll(digits));
  }
  if (auto d = parse_duration(text)) return *d;
  return std::nullopt;
}

}  // namespace

TraceCliParse parse_trace_cli(const std::vector<std::string>& args) {
  TraceCliParse p;
  auto& o = p.options;
  for (std::size_t i = 0; i < args.size(); i++) {
    const std::string& a = args[i];
    auto value = [&](const char* what) -> std::optional<std::string> {
      if (i + 1 >= args.size()) {
        p.error = a + " needs " + what;
        return std::nullopt;
      }
      return args[++i];
    };
    auto duration = [&](auto& out, bool allow_zero) {
      auto v = value("a duration");
      if (!v) return false;
      auto d = parse_threshold(*v);
      if (d) out = std::chrono::duration_cast<std::remove_reference_t<decltype(out)>>(*d);
      if (!d || (!allow_zero && out.count() == 0)) {
        p.error = "bad duration for " + a + ": " + *v;
        return false;
      }
      return true;
    };
    if (a == "--help" || a == "-h") o.help = true;
    else if (a == "--json") o.json = true;
    else if (a == "--no-bpf") o.no_bpf = true;
    else if (a == "--lock-tracing") o.lock_tracing = true;
    else if (a == "--lock-on-pressure") o.lock_on_pressure = true;
    else if (a == "--duration") { if (!duration(o.duration, false)) return p; }
    else if (a == "--interval") { if (!duration(o.interval, true)) return p; }
    else if (a == "--reclaim-min") { if (!duration(o.reclaim_min, true)) return p; }
    else if (a == "--lockwait-min") { if (!duration(o.lockwait_min, true)) return p; }
    else if (a == "--victim-timeout") { if (!duration(o.victim_timeout, true)) return p; }
    else if (a == "--cgroup") {
      auto v = value("a cgroup directory");
      if (!v) return p;
      o.cgroup = *v;
    } else if (a == "--decode-gfp") {
      auto v = value("a mask");
      if (!v) return p;
      o.decode_gfp = *v;
    } else {
      p.error = "unknown option: " + a;
      return p;
    }
  }
  if (o.lock_tracing && o.lock_on_pressure) p.error = "--lock-tracing and --lock-on-pressure exclude each other";
  return p;
}

}  // namespace oomlab::tracer
