// The OOM guard a Debian guest runs as its packaged systemd service: which
// unit that is, and the files that give it the "tuned" configuration (act
// after the same few seconds as the others) instead of the packaged default.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace oomlab::vm {

enum class Guard { none, oomlab_watchdog, systemd_oomd, earlyoom, nohang };

std::string_view guard_name(Guard g);        // "oomlab-watchdog", ... "none"
std::string_view guard_unit(Guard g);        // "oomlab-watchdog.service", "" for none
std::optional<Guard> parse_guard(std::string_view name);
const std::vector<Guard>& all_guards();      // none first

// A file the guest's initramfs writes into the root before systemd starts.
struct GuestFile {
  std::string path;     // absolute in the guest
  std::string content;
  std::uint32_t mode = 0644;
};

// The slice every scenario runs in (oomlab-repro --cgroup-parent). With the
// systemd-oomd guard it says ManagedOOMMemoryPressure=kill, which is what
// makes systemd-oomd watch it - and also makes systemd pull systemd-oomd in
// (Wants=), so the other guards get a slice without it.
inline constexpr std::string_view kScenarioSlice = "oomlab.slice";
std::string scenario_slice_unit(Guard g, bool tuned);

// The configuration files of GUARD for a run. Packaged default: none (the
// packages' own files stay). Tuned: each guard set to act once pressure has
// lasted ACT_AFTER_S seconds, where it has such a knob. WATCHDOG_CONFIG is
// the path the installed oomlab-watchdog.service passes to --config.
std::vector<GuestFile> guard_files(Guard g, bool tuned, int act_after_s, const std::string& watchdog_config);

// One line for the report: what configuration the guard ran with.
std::string guard_settings(Guard g, bool tuned, int act_after_s);

}  // namespace oomlab::vm
