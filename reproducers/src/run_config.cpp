#include "oomlab/repro/run_config.hpp"

#include <cstdlib>

#include "oomlab/common/units.hpp"

namespace oomlab::repro {

const Scenario* find_scenario(const std::vector<std::unique_ptr<Scenario>>& catalogue, const std::string& name) {
  for (const auto& s : catalogue)
    if (s->name() == name) return s.get();
  return nullptr;
}

std::optional<std::vector<std::string>> split_args(const std::string& text) {
  std::vector<std::string> out;
  std::string word;
  bool in_word = false;
  char quote = 0;
  for (char c : text) {
    if (quote) {
      if (c == quote) quote = 0;
      else word += c;
    } else if (c == '\'' || c == '"') {
      quote = c;
      in_word = true;
    } else if (c == ' ' || c == '\t' || c == '\n') {
      if (in_word) out.push_back(word), word.clear(), in_word = false;
    } else {
      word += c;
      in_word = true;
    }
  }
  if (quote) return std::nullopt;
  if (in_word) out.push_back(word);
  return out;
}

namespace {

ParseResult fail(std::string message) { return {std::nullopt, std::move(message)}; }

}  // namespace

ParseResult parse_run_args(const std::vector<std::string>& args,
                           const std::vector<std::unique_ptr<Scenario>>& catalogue) {
  if (args.empty() || args[0].empty() || args[0][0] == '-') return fail("run: missing scenario name (see `oomlab-repro list`)");
  RunConfig c;
  c.scenario = args[0];
  const Scenario* scenario = find_scenario(catalogue, c.scenario);
  if (!scenario) return fail("unknown scenario '" + c.scenario + "' (see `oomlab-repro list`)");
  for (const OptionSpec& o : scenario->options()) c.options[o.name] = o.default_value;

  for (std::size_t i = 1; i < args.size(); ++i) {
    std::string arg = args[i];
    if (arg == "--help" || arg == "-h") {
      c.show_help = true;
      continue;
    }
    if (arg.size() < 3 || arg.compare(0, 2, "--") != 0) return fail("unexpected argument '" + arg + "'");
    std::string name = arg.substr(2), value;
    bool has_value = false;
    if (auto eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name.resize(eq);
      has_value = true;
    }
    if (name == "json" || name == "unsafe-no-cgroup" || name == "watchdog" || name == "trace") {
      if (has_value) return fail("--" + name + " takes no value");
      (name == "json" ? c.json : name == "watchdog" ? c.watchdog : name == "trace" ? c.trace : c.unsafe_no_cgroup) = true;
      continue;
    }
    bool runner_flag = name == "limit" || name == "duration" || name == "stall-threshold" || name == "period" ||
                       name == "out" || name == "report-dir" || name == "stall-psi" || name == "watchdog-args" ||
                       name == "cgroup-parent";
    if (!runner_flag && !c.options.count(name))
      return fail("unknown option --" + name + " for scenario " + c.scenario + " (see `oomlab-repro run " +
                  c.scenario + " --help`)");
    if (!has_value) {
      if (i + 1 >= args.size()) return fail("--" + name + " needs a value");
      value = args[++i];
    }
    if (name == "limit") {
      auto v = parse_size(value);
      if (!v || *v < (4u << 20)) return fail("--limit: '" + value + "' is not a size of at least 4M (e.g. 256M)");
      c.limit_bytes = *v;
    } else if (name == "duration" || name == "stall-threshold" || name == "period") {
      auto v = parse_duration(value);
      if (!v || v->count() <= 0) return fail("--" + name + ": '" + value + "' is not a positive duration (e.g. 30s)");
      (name == "duration" ? c.duration : name == "period" ? c.period : c.stall_threshold) = *v;
    } else if (name == "stall-psi") {
      std::string v = value;
      if (!v.empty() && v.back() == '%') v.pop_back();
      char* end = nullptr;
      double pct = std::strtod(v.c_str(), &end);
      if (v.empty() || *end != '\0' || !(pct > 0 && pct <= 100))
        return fail("--stall-psi: '" + value + "' is not a percentage in (0, 100]");
      c.stall_psi = pct / 100;
    } else if (name == "watchdog-args") {
      auto words = split_args(value);
      if (!words) return fail("--watchdog-args: unterminated quote in '" + value + "'");
      c.watchdog_args.insert(c.watchdog_args.end(), words->begin(), words->end());
      c.watchdog = true;
    } else if (name == "cgroup-parent") {
      while (!value.empty() && value.back() == '/') value.pop_back();
      if (value.empty() || value.front() == '/' || value.find("..") != std::string::npos ||
          value.find_first_of(" \n") != std::string::npos)
        return fail("--cgroup-parent: '" + value + "' is not a relative cgroup path below the memory root (e.g. oomlab.slice)");
      c.cgroup_parent = value;
    } else if (name == "out") {
      if (value.empty()) return fail("--out needs a directory");
      c.out_dir = value;
    } else if (name == "report-dir") {
      if (value.empty()) return fail("--report-dir needs a directory");
      c.report_dir = value;
    } else {
      c.options[name] = value;
    }
  }
  if (c.show_help) return {c, ""};
  if (c.watchdog && c.unsafe_no_cgroup)
    return fail("--watchdog needs the run's memory cgroup (its --scope); not with --unsafe-no-cgroup");
  if (c.trace && c.unsafe_no_cgroup)
    return fail("--trace follows the run's memory cgroup; not with --unsafe-no-cgroup");
  using namespace std::chrono_literals;
  if (c.duration > 24h) return fail("--duration: at most 24h");
  if (c.period < 10ms || c.period > c.duration) return fail("--period: between 10ms and the duration");
  if (c.stall_threshold >= c.duration)
    return fail("--stall-threshold (" + format_duration(c.stall_threshold) + ") must be shorter than --duration (" +
                format_duration(c.duration) + ")");
  return {c, ""};
}

}  // namespace oomlab::repro
