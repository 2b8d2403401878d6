#include "guards.hpp"

#include <fstream>
#include <regex>

#include "oomlab/facts/guard_kills.hpp"
#include "oomlab/formats/nohang_conf.hpp"

namespace oomlab::peers {

std::string_view guard_name(GuardKind g) {
  switch (g) {
    case GuardKind::none: return "none";
    case GuardKind::oomlab: return "oomlab-watchdog";
    case GuardKind::earlyoom: return "earlyoom";
    case GuardKind::nohang: return "nohang";
  }
  return "?";
}

std::optional<GuardKind> parse_guard(std::string_view name) {
  for (GuardKind g : {GuardKind::none, GuardKind::oomlab, GuardKind::earlyoom, GuardKind::nohang})
    if (name == guard_name(g) || (g == GuardKind::oomlab && name == "oomlab")) return g;
  return std::nullopt;
}

std::string nohang_config(const Target& t) {
  // nohang pointed at the workload group's own memory.pressure (the host's
  // MemAvailable never moves for a 256M group), "some" avg10 >= 25% for
  // kActAfterSeconds (the same 25% share oomlab-repro calls a stall), memory
  // thresholds low enough never to fire for the rest of the host, and
  // victims limited to the workload: +1000 badness for its cgroup and
  // min_badness 900 so that no other process on a shared host can be chosen.
  formats::NohangTuning n;
  if (!t.pressure_file.empty()) n.psi_path = t.pressure_file;
  n.act_after_s = kActAfterSeconds;
  n.warning_min_mem = "2 %";
  n.soft_min_mem = "1 %";
  n.hard_min_mem = "0.5 %";
  n.min_badness = 900;
  if (!t.memory_cgroup.empty()) n.badness_cgroup_re = "^" + t.memory_cgroup + "$";
  n.badness_adj = 1000;
  return formats::nohang_conf(n);
}

std::vector<std::string> guard_command(GuardKind g, const Target& t, const std::string& watchdog_bin) {
  const std::string act = std::to_string(kActAfterSeconds) + "s";
  switch (g) {
    case GuardKind::none: return {};
    case GuardKind::oomlab: {
      std::vector<std::string> a{watchdog_bin, "--period", "500ms", "--warn-after", "2s", "--kill-after", act,
                                 "--escalate-after", act, "--socket", "", "--no-kmsg-write"};
      if (!t.memory_cgroup.empty()) a.insert(a.end(), {"--scope", t.memory_cgroup});
      if (!t.pressure_file.empty()) {
        std::string dir = t.pressure_file.substr(0, t.pressure_file.rfind('/'));
        // Act on group pressure at the level nohang is given (some avg10 >= 25%):
        // the same rule for both, so page-cache thrash compares like with like.
        a.insert(a.end(), {"--watch-cgroup", dir, "--pressure-above", "some=25"});
      }
      return a;
    }
    case GuardKind::earlyoom:
      // Defaults (-m 10 -s 10); -r 0: no periodic memory report lines.
      // --dryrun on this host: earlyoom sees only the host's MemAvailable
      // (never low for a 256M group, so it would never act on the scenario)
      // and on a shared host a real kill could hit another user's process.
      // It runs for its cost (CPU, RSS) beside the others, with its usual
      // poll loop; a "would kill" line is not counted as a kill.
      return {"earlyoom", "-r", "0", "--dryrun"};
    case GuardKind::nohang: {
      std::string path = t.scratch_dir + "/nohang.conf";
      std::ofstream(path) << nohang_config(t);
      return {"nohang", "--monitor", "--config", path};
    }
  }
  return {};
}

std::string guard_settings(GuardKind g) {
  switch (g) {
    case GuardKind::none: return "no user-space guard: the kernel OOM killer alone";
    case GuardKind::oomlab:
      return "--period 500ms --warn-after 2s --kill-after 5s --escalate-after 5s --scope <group> "
             "--watch-cgroup <group PSI dir> --pressure-above some=25 --no-kmsg-write (defaults otherwise)";
    case GuardKind::earlyoom:
      return "earlyoom -r 0 (defaults: SIGTERM at MemAvailable <= 10% and SwapFree <= 10%, SIGKILL at half); "
             "on the host with --dryrun (it sees only the host's MemAvailable): measured for its cost";
    case GuardKind::nohang:
      return "nohang 0.2 defaults plus: psi_checking_enabled, psi_path = <group memory.pressure>, psi_metrics "
             "some_avg10, soft/hard_threshold_max_psi 25/50, psi_excess_duration 5, max_sleep 1, "
             "max_soft_exit_time 5, min_badness 900, @BADNESS_ADJ_RE_CGROUP_V2 1000 for the group, "
             "memory thresholds 1%/0.5%";
  }
  return "";
}

std::vector<GuardKill> parse_guard_kills(GuardKind g, const std::vector<TimedLine>& lines) {
  // oomlab-watchdog: "kill: pid=123 comm=zero-hog cgroup=/x rss=..." (not
  // "dry-run"), and cgroup-wide escalations.
  static const std::regex oomlab_kill(R"(\bkill: pid=(\d+) comm=(\S*) )");
  static const std::regex oomlab_group(R"(\b(killed \d+ process\(es\) of cgroup|cgroup\.kill written for) )");
  // earlyoom's and nohang's kill lines: facts/guard_kills.hpp (the analyzer
  // reads the same lines in journals).
  std::vector<GuardKill> kills;
  facts::NohangKills nohang;
  std::smatch m;
  for (const TimedLine& l : lines) {
    switch (g) {
      case GuardKind::oomlab:
        if (l.text.find("dry-run") != std::string::npos) break;
        if (std::regex_search(l.text, m, oomlab_kill))
          kills.push_back({l.realtime_ms, static_cast<pid_t>(std::stol(m[1])), m[2], false});
        else if (std::regex_search(l.text, m, oomlab_group))
          kills.push_back({l.realtime_ms, 0, "", true});
        break;
      case GuardKind::earlyoom:
        if (auto k = facts::parse_earlyoom_kill(l.text)) kills.push_back({l.realtime_ms, k->pid, k->comm, false});
        break;
      case GuardKind::nohang:
        if (auto k = nohang.feed(l.text)) kills.push_back({l.realtime_ms, k->pid, k->comm, false});
        break;
      case GuardKind::none: break;
    }
  }
  return kills;
}

}  // namespace oomlab::peers
