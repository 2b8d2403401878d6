#include "oomlab/watchdog/options.hpp"

#include <cstdio>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>

#include "oomlab/common/units.hpp"
#include "oomlab/watchdog/policy.hpp"

namespace oomlab::watchdog {
namespace {

using Setter = std::function<void(Options&, const std::string&)>;

struct OptionSpec {
  const char* name;      // long flag without "--" = JSON key
  const char* arg;       // nullptr: boolean switch
  bool repeatable;
  const char* help;
  Setter set;
};

milliseconds duration_value(const std::string& name, const std::string& v) {
  auto d = parse_duration(v);
  if (!d || d->count() <= 0) throw UsageError("--" + name + ": not a positive duration: '" + v + "'");
  return *d;
}

bool bool_value(const std::string& name, const std::string& v) {
  if (v == "true" || v == "1" || v == "yes") return true;
  if (v == "false" || v == "0" || v == "no") return false;
  throw UsageError("--" + name + ": not a boolean: '" + v + "'");
}

long int_value(const std::string& name, const std::string& v, long lo, long hi) {
  std::size_t used = 0;
  long n = 0;
  try {
    n = std::stol(v, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used == 0 || used != v.size() || n < lo || n > hi)
    throw UsageError("--" + name + ": expected an integer in [" + std::to_string(lo) + ", " + std::to_string(hi) +
                     "]: '" + v + "'");
  return n;
}

Matcher matcher_value(const std::string& name, const std::string& v) {
  if (v.empty()) throw UsageError("--" + name + ": empty pattern");
  Matcher m{v, v[0] == '/'};
  std::string why;
  if (!m.is_cgroup && !CommPattern::compile(v, &why))
    throw UsageError("--" + name + ": bad regex '" + v + "': " + why);
  return m;
}

const std::vector<OptionSpec>& option_table() {
  static const std::vector<OptionSpec> table = {
      {"config", "FILE", false, "JSON file with any of these options (keys = flag names)", [](Options& o, const std::string& v) { o.config_path = v; }},
      {"profile", "NAME", false, "threshold defaults: desktop or server (default)", [](Options& o, const std::string& v) { apply_profile(o, v); }},
      {"period", "DUR", false, "sampling period (default 1s)", [](Options& o, const std::string& v) { o.period = duration_value("period", v); }},
      {"idle-scan", "DUR", false, "full scan interval while idle with PSI armed (default 60s; 0 = every period)", [](Options& o, const std::string& v) {
         o.idle_scan = v == "0" ? milliseconds(0) : duration_value("idle-scan", v);
       }},
      {"warn-after", "DUR", false, "log a warning when a task stalls this long", [](Options& o, const std::string& v) { o.warn_after = duration_value("warn-after", v); }},
      {"kill-after", "DUR", false, "kill a victim when a task stalls this long", [](Options& o, const std::string& v) { o.kill_after = duration_value("kill-after", v); }},
      {"escalate-after", "DUR", false, "next victim / whole cgroup when a kill did not end the stall by then", [](Options& o, const std::string& v) { o.escalate_after = duration_value("escalate-after", v); }},
      {"pressure-above", "SPEC", false, "act on a watched cgroup whose memory PSI share over the last 1 s rises to this and whose stall lasts --kill-after (the runner's stall model: relief up to 3 s between bursts, or tasks held in memory waits, does not reset the clock): full=PCT,some=PCT or off (desktop full=40,some=60; server full=60)", [](Options& o, const std::string& v) { o.pressure_above = parse_pressure_threshold("pressure-above", v); }},
      {"max-victims", "N", false, "single kills per incident before killing the whole cgroup (default 2)", [](Options& o, const std::string& v) { o.max_victims = static_cast<int>(int_value("max-victims", v, 1, 100)); }},
      {"dry-run", nullptr, false, "report and choose victims, never kill", [](Options& o, const std::string& v) { o.dry_run = bool_value("dry-run", v); }},
      {"sysrq", nullptr, false, "allow sysrq task dump (t) and OOM kill (f) for system-wide stalls", [](Options& o, const std::string& v) { o.sysrq = bool_value("sysrq", v); }},
      {"prefer", "PAT", true, "kill these first (comm regex, or /cgroup/path)", [](Options& o, const std::string& v) { o.prefer.push_back(matcher_value("prefer", v)); }},
      {"avoid", "PAT", true, "kill these only when nothing else is left", [](Options& o, const std::string& v) { o.avoid.push_back(matcher_value("avoid", v)); }},
      {"protect", "PAT", true, "never kill these", [](Options& o, const std::string& v) { o.protect.push_back(matcher_value("protect", v)); }},
      {"scope", "CGROUP", false, "act only on stalls in this memory cgroup subtree (reports stay system-wide)", [](Options& o, const std::string& v) {
         if (v.empty() || v[0] != '/') throw UsageError("--scope: expected a cgroup path starting with '/': '" + v + "'");
         o.scope = v;
       }},
      {"watch-cgroup", "DIR", true, "cgroup directory whose memory.pressure gets a PSI trigger", [](Options& o, const std::string& v) { o.watch_cgroups.push_back(v); }},
      {"psi-path", "FILE", false, "system memory PSI file (default /proc/pressure/memory)", [](Options& o, const std::string& v) { o.psi_path = v; }},
      {"proc-root", "DIR", false, "procfs mount (default /proc)", [](Options& o, const std::string& v) { o.proc_root = v; }},
      {"cgroup-root", "DIR", false, "memory cgroup mount (default: detected)", [](Options& o, const std::string& v) { o.cgroup_root = v; }},
      {"kmsg-path", "FILE", false, "kernel log device (default /dev/kmsg)", [](Options& o, const std::string& v) { o.kmsg_path = v; }},
      {"kmsg-write", nullptr, false, "also write reports to the kernel log", [](Options& o, const std::string& v) { o.kmsg_write = bool_value("kmsg-write", v); }},
      {"json-log", "FILE", false, "append reports and actions as JSON lines", [](Options& o, const std::string& v) { o.json_log = v; }},
      {"socket", "PATH", false, "control/metrics unix socket (default /run/oomlab-watchdog/control.sock; '' = none)", [](Options& o, const std::string& v) { o.socket_path = v; }},
      {"metrics-textfile", "PATH", false, "also write the Prometheus metrics to PATH every 10s, atomically (temp file + rename), for node_exporter's textfile collector (name it *.prom)", [](Options& o, const std::string& v) { o.metrics_textfile = v; }},
      {"bpf", nullptr, false, "add the BPF stall tracer (root, BTF): gfp/order of reclaim, tasks running in reclaim, lock modes", [](Options& o, const std::string& v) { o.bpf = bool_value("bpf", v); }},
      {"scan", "SOURCE", false, "where a full scan gets its task list: auto (default: a BPF task iterator when it loads, root and kernel BTF, else /proc), bpf (the iterator or refuse to start), proc (read /proc/PID/stat of every task)", [](Options& o, const std::string& v) {
         if (v != "auto" && v != "bpf" && v != "proc") throw UsageError("--scan: expected auto, bpf or proc: '" + v + "'");
         o.scan = v;
       }},
      {"delayacct", "MODE", false, "per-task delay accounting via taskstats: auto (when kernel.task_delayacct=1), enable (set it while running), off", [](Options& o, const std::string& v) {
         if (v != "auto" && v != "enable" && v != "off") throw UsageError("--delayacct: expected auto, enable or off: '" + v + "'");
         o.delayacct = v;
       }},
      {"delay-share", "PCT", false, "a task is stalled through an interval in which reclaim/compaction/thrashing/swap-in delays took this share (default 50)", [](Options& o, const std::string& v) {
         std::string n = !v.empty() && v.back() == '%' ? v.substr(0, v.size() - 1) : v;
         o.delay_share_pct = static_cast<int>(int_value("delay-share", n, 1, 100));
       }},
      {"stack", nullptr, false, "read /proc/PID/stack of blocked tasks (default true)", [](Options& o, const std::string& v) { o.stack = bool_value("stack", v); }},
      {"self-protect", nullptr, false, "mlockall + oom_score_adj -1000 (default true)", [](Options& o, const std::string& v) { o.self_protect = bool_value("self-protect", v); }},
      {"max-tasks", "N", false, "tasks sampled per scan (memory is preallocated for them)", [](Options& o, const std::string& v) { o.max_tasks = static_cast<std::size_t>(int_value("max-tasks", v, 64, 4 << 20)); }},
  };
  return table;
}

const OptionSpec* find_option(const std::string& name) {
  for (const auto& spec : option_table())
    if (name == spec.name) return &spec;
  return nullptr;
}

std::string read_file(const std::string& path) {
  // stdio, not <fstream>: the daemon links no C++ stream or locale code
  // (policy.hpp's CommPattern says why).
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> in(std::fopen(path.c_str(), "re"), &std::fclose);
  if (!in) throw UsageError("cannot read config " + path);
  std::string text;
  char buf[4096];
  while (std::size_t n = std::fread(buf, 1, sizeof buf, in.get())) text.append(buf, n);
  if (std::ferror(in.get())) throw UsageError("cannot read config " + path);
  return text;
}

// JSON scalar -> the string a flag would carry.
std::string scalar_text(const std::string& key, const nlohmann::json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_boolean()) return v.get<bool>() ? "true" : "false";
  if (v.is_number_integer()) return std::to_string(v.get<long long>());
  if (v.is_number()) {
    char buf[32];  // %g: what an ostream printed before
    std::snprintf(buf, sizeof buf, "%g", v.get<double>());
    return buf;
  }
  throw UsageError("config key '" + key + "': expected a string, number or boolean");
}

}  // namespace

void apply_profile(Options& o, const std::string& name) {
  using namespace std::chrono_literals;
  if (name == "desktop") {
    o.warn_after = 5s;
    o.kill_after = 10s;
    o.escalate_after = 5s;
    o.pressure_above = {60, 40};
  } else if (name == "server") {
    o.warn_after = 10s;
    o.kill_after = 60s;
    o.escalate_after = 20s;
    o.pressure_above = {-1, 60};
  } else {
    throw UsageError("--profile: expected desktop or server, got '" + name + "'");
  }
  o.profile = name;
}

void apply_config_json(Options& o, const std::string& text) {
  nlohmann::json doc;
  try {
    doc = nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    // parse_error, and out_of_range for a number no double holds (1e400):
    // found by fuzz_watchdog_config; it escaped as an abort at start.
    throw UsageError(std::string("config: invalid JSON: ") + e.what());
  }
  if (!doc.is_object()) throw UsageError("config: expected a JSON object of option: value");
  // The profile first, so that explicit thresholds in the file override it.
  if (auto it = doc.find("profile"); it != doc.end()) apply_profile(o, scalar_text("profile", *it));
  for (auto it = doc.begin(); it != doc.end(); ++it) {
    const std::string& key = it.key();
    if (key == "profile") continue;
    const OptionSpec* spec = find_option(key);
    if (!spec || key == "config") throw UsageError("config: unknown key '" + key + "'");
    if (it->is_array()) {
      if (!spec->repeatable) throw UsageError("config key '" + key + "': takes one value, not a list");
      for (const auto& v : *it) spec->set(o, scalar_text(key, v));
    } else {
      spec->set(o, scalar_text(key, *it));
    }
  }
}

void validate(const Options& o) {
  if (o.kill_after < o.warn_after) throw UsageError("--kill-after must be >= --warn-after");
  if (o.period > o.warn_after) throw UsageError("--period must be <= --warn-after");
  if (o.period < milliseconds(50)) throw UsageError("--period must be >= 50ms");
}

ParsedArgs parse_args(int argc, const char* const argv[]) {
  ParsedArgs parsed;
  std::vector<std::pair<const OptionSpec*, std::string>> given;
  std::string config, profile;
  bool command_seen = false;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--help" || a == "-h") {
      parsed.command = Command::Help;
      return parsed;
    }
    if (a == "--version") {
      parsed.command = Command::Version;
      return parsed;
    }
    if (a == "--check-config") {
      parsed.command = Command::CheckConfig;
      continue;
    }
    if (a.rfind("--", 0) != 0) {
      if (command_seen) throw UsageError("unexpected argument '" + a + "'");
      command_seen = true;
      if (a == "status") parsed.command = Command::Status;
      else if (a == "metrics") parsed.command = Command::Metrics;
      else if (a == "run") parsed.command = Command::Run;
      else throw UsageError("unknown command '" + a + "' (expected run, status or metrics)");
      continue;
    }
    std::string name = a.substr(2), value;
    bool has_value = false;
    if (auto eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name.resize(eq);
      has_value = true;
    }
    bool negated = false;
    const OptionSpec* spec = find_option(name);
    if (!spec && name.rfind("no-", 0) == 0) {
      spec = find_option(name.substr(3));
      negated = spec && !spec->arg;
      if (!negated) spec = nullptr;
    }
    if (!spec) throw UsageError("unknown option '" + a + "' (see --help)");
    if (spec->arg) {
      if (!has_value) {
        if (i + 1 >= argc) throw UsageError("--" + name + " needs a value (" + spec->arg + ")");
        value = argv[++i];
      }
    } else if (!has_value) {
      value = negated ? "false" : "true";
    }
    if (name == "config") config = value;
    else if (name == "profile") profile = value;
    else given.emplace_back(spec, value);
  }
  Options& o = parsed.options;
  if (!config.empty()) {
    o.config_path = config;
    apply_config_json(o, read_file(config));
  }
  if (!profile.empty()) {
    // A profile on the command line resets thresholds, then flags refine them.
    apply_profile(o, profile);
  }
  for (auto& [spec, value] : given) spec->set(o, value);
  validate(o);
  return parsed;
}

std::string usage_text() {
  std::string s;
  // GNU layout ("Usage:", "  or:", options and their text two spaces
  // apart): help2man turns it into the man page's SYNOPSIS and OPTIONS.
  s += "Usage: oomlab-watchdog [run] [OPTIONS]\n"
       "  or:  oomlab-watchdog --check-config [--config FILE] [OPTIONS]\n"
       "  or:  oomlab-watchdog status|metrics [--socket PATH]\n"
       "Watch for allocation stalls and act.\n\n"
       "Detects tasks stalled in memory reclaim, allocation or mmap-lock waits and OOM\n"
       "victims that do not exit; reports them in the kmallocwd style and, past\n"
       "--kill-after, kills a victim through a pidfd and reaps it with process_mrelease.\n\n"
       "options (a JSON config takes the same names as keys):\n";
  for (const auto& spec : option_table()) {
    std::string flag = std::string("  --") + spec.name + (spec.arg ? std::string(" ") + spec.arg : "");
    if (flag.size() + 2 <= 26) flag.resize(26, ' ');
    else flag += "  ";
    s += flag + spec.help + (spec.repeatable ? " (repeatable)" : "") + '\n';
  }
  s += "  --check-config            validate the flags and config, print the result, exit\n"
       "  --help, --version\n"
       "boolean switches take --no-NAME; durations: 500ms, 10s, 2m.\n";
  return s;
}

std::vector<std::string> apply_reload(Options& running, const Options& fresh) {
  running.profile = fresh.profile;
  running.period = fresh.period;
  running.idle_scan = fresh.idle_scan;
  running.warn_after = fresh.warn_after;
  running.kill_after = fresh.kill_after;
  running.escalate_after = fresh.escalate_after;
  running.pressure_above = fresh.pressure_above;
  running.max_victims = fresh.max_victims;
  running.dry_run = fresh.dry_run;
  running.sysrq = fresh.sysrq;
  running.prefer = fresh.prefer;
  running.avoid = fresh.avoid;
  running.protect = fresh.protect;
  running.scope = fresh.scope;
  running.delay_share_pct = fresh.delay_share_pct;
  std::vector<std::string> restart;
  auto differs = [&](bool d, const char* name) {
    if (d) restart.emplace_back(name);
  };
  differs(running.watch_cgroups != fresh.watch_cgroups, "watch-cgroup");
  differs(running.psi_path != fresh.psi_path, "psi-path");
  differs(running.proc_root != fresh.proc_root, "proc-root");
  differs(running.cgroup_root != fresh.cgroup_root, "cgroup-root");
  differs(running.kmsg_path != fresh.kmsg_path, "kmsg-path");
  differs(running.kmsg_write != fresh.kmsg_write, "kmsg-write");
  differs(running.json_log != fresh.json_log, "json-log");
  differs(running.socket_path != fresh.socket_path, "socket");
  differs(running.metrics_textfile != fresh.metrics_textfile, "metrics-textfile");
  differs(running.bpf != fresh.bpf, "bpf");
  differs(running.scan != fresh.scan, "scan");
  differs(running.stack != fresh.stack, "stack");
  differs(running.delayacct != fresh.delayacct, "delayacct");
  differs(running.self_protect != fresh.self_protect, "self-protect");
  differs(running.max_tasks != fresh.max_tasks, "max-tasks");
  return restart;
}

}  // namespace oomlab::watchdog
