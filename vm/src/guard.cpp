#include "guard.hpp"

#include "oomlab/formats/nohang_conf.hpp"

namespace oomlab::vm {

std::string_view guard_name(Guard g) {
  switch (g) {
    case Guard::none: return "none";
    case Guard::oomlab_watchdog: return "oomlab-watchdog";
    case Guard::systemd_oomd: return "systemd-oomd";
    case Guard::earlyoom: return "earlyoom";
    case Guard::nohang: return "nohang";
  }
  return "?";
}

std::string_view guard_unit(Guard g) {
  switch (g) {
    case Guard::none: return "";
    case Guard::oomlab_watchdog: return "oomlab-watchdog.service";
    case Guard::systemd_oomd: return "systemd-oomd.service";
    case Guard::earlyoom: return "earlyoom.service";
    case Guard::nohang: return "nohang.service";
  }
  return "";
}

const std::vector<Guard>& all_guards() {
  static const std::vector<Guard> kAll = {Guard::none, Guard::oomlab_watchdog, Guard::systemd_oomd, Guard::earlyoom,
                                          Guard::nohang};
  return kAll;
}

std::optional<Guard> parse_guard(std::string_view name) {
  for (Guard g : all_guards())
    if (name == guard_name(g)) return g;
  return std::nullopt;
}

std::string scenario_slice_unit(Guard g, bool tuned) {
  std::string s =
      "# Written by oomlab-vm: oomlab-repro --cgroup-parent puts each run's memory group here.\n"
      "[Unit]\nDescription=oomlab scenarios\n\n[Slice]\nMemoryAccounting=yes\n";
  if (g != Guard::systemd_oomd) return s;
  s += "ManagedOOMMemoryPressure=kill\n";
  // Packaged default: oomd.conf's DefaultMemoryPressureLimit (60% full avg10);
  // the duration is oomd.conf's too (guard_files).
  if (tuned) s += "ManagedOOMMemoryPressureLimit=25%\n";
  return s;
}

namespace {

std::string watchdog_tuned_json(int act_after_s) {
  const std::string act = std::to_string(act_after_s) + "s";
  // The packaged example (watchdog/oomlab-watchdog.example.json) with the
  // timings of bench/peers: warn at 2 s, kill at ACT, and the slice's PSI
  // at the level nohang gets (some avg10 >= 25%).
  return "{\n"
         "  \"profile\": \"server\",\n"
         "  \"period\": \"500ms\",\n"
         "  \"warn-after\": \"2s\",\n"
         "  \"kill-after\": \"" + act + "\",\n"
         "  \"escalate-after\": \"" + act + "\",\n"
         "  \"max-victims\": 2,\n"
         "  \"watch-cgroup\": [\"/sys/fs/cgroup/" + std::string(kScenarioSlice) + "\"],\n"
         "  \"pressure-above\": \"some=25\",\n"
         "  \"protect\": [\"^(sshd|systemd|systemd-journal|oomlab-watchdog)$\"],\n"
         "  \"kmsg-write\": true,\n"
         "  \"json-log\": \"/var/log/oomlab-watchdog/events.jsonl\",\n"
         "  \"sysrq\": false\n"
         "}\n";
}

std::string nohang_tuned_conf(int act_after_s) {
  // PSI on the scenario slice's memory.pressure, some avg10 >= 25% for ACT
  // seconds; the scenario's group preferred as the victim; the package's
  // memory thresholds otherwise (the guest's memory is the scenario's).
  formats::NohangTuning n;
  n.psi_path = "/sys/fs/cgroup/" + std::string(kScenarioSlice) + "/memory.pressure";
  n.act_after_s = act_after_s;
  n.badness_cgroup_re = "^/" + std::string(kScenarioSlice) + "/";
  n.badness_adj = 300;
  return formats::nohang_conf(n);
}

}  // namespace

std::vector<GuestFile> guard_files(Guard g, bool tuned, int act_after_s, const std::string& watchdog_config) {
  if (!tuned) return {};
  switch (g) {
    case Guard::none:
    case Guard::earlyoom:  // earlyoom has thresholds on MemAvailable, no duration to tune
      return {};
    case Guard::oomlab_watchdog:
      if (watchdog_config.empty()) return {};
      return {{watchdog_config, watchdog_tuned_json(act_after_s)}};
    case Guard::systemd_oomd:
      return {{"/etc/systemd/oomd.conf.d/oomlab-tuned.conf",
               "[OOM]\nDefaultMemoryPressureDurationSec=" + std::to_string(act_after_s) + "s\n"}};
    case Guard::nohang:
      return {{"/etc/nohang/nohang.conf", nohang_tuned_conf(act_after_s)}};
  }
  return {};
}

std::string guard_settings(Guard g, bool tuned, int act_after_s) {
  const std::string act = std::to_string(act_after_s) + " s";
  switch (g) {
    case Guard::none: return "no user-space guard: the kernel OOM killer alone";
    case Guard::oomlab_watchdog:
      return tuned ? "oomlab-watchdog.service with period 500ms, warn-after 2s, kill-after/escalate-after " + act +
                         ", watch-cgroup oomlab.slice, pressure-above some=25"
                   : "oomlab-watchdog.service with the packaged example config (kill-after 60s, pressure-above full=60)";
    case Guard::systemd_oomd:
      return tuned ? "systemd-oomd.service, oomlab.slice ManagedOOMMemoryPressure=kill, limit 25% full avg10 for " + act
                   : "systemd-oomd.service, oomlab.slice ManagedOOMMemoryPressure=kill, oomd.conf defaults (60% for 30 s)";
    case Guard::earlyoom:
      return "earlyoom.service, packaged defaults (-m 10 -s 10: SIGTERM at MemAvailable <= 10%)" +
             std::string(tuned ? "; earlyoom has no duration setting, so tuned = default" : "");
    case Guard::nohang:
      return tuned ? "nohang.service, PSI on oomlab.slice (some avg10 >= 25% for " + act + "), its group preferred"
                   : "nohang.service, packaged /etc/nohang/nohang.conf (PSI checking off)";
  }
  return "";
}

}  // namespace oomlab::vm
