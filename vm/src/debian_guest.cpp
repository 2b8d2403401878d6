#include "debian_guest.hpp"

#include <algorithm>
#include <map>
#include <vector>

#include "cpio.hpp"
#include "fs_util.hpp"

namespace oomlab::vm {
namespace {

constexpr const char* kJobUnit =
    "# Written by oomlab-vm for this run (vm/src/debian_guest.cpp).\n"
    "[Unit]\n"
    "Description=oomlab-vm: this run's job\n"
    "After=multi-user.target\n\n"
    "[Service]\n"
    // simple, not oneshot: boot counts as finished while the job runs, so the
    // job can wait for it (systemctl is-system-running --wait).
    "Type=simple\n"
    "ExecStart=/bin/bash /usr/lib/oomlab-vm/job.sh\n"
    "StandardOutput=tty\n"
    "StandardError=tty\n"
    "TTYPath=/dev/console\n"
    "OOMScoreAdjust=-1000\n";

// The last N lines of TEXT.
std::string tail_lines(const std::string& text, std::size_t n) {
  std::size_t at = text.size();
  if (at > 0 && text[at - 1] == '\n') --at;
  for (std::size_t seen = 0; at > 0; --at)
    if (text[at - 1] == '\n' && ++seen == n) break;
  return text.substr(at);
}

// WatchdogUSec as systemctl shows it: "30s", "0", "infinity" or "".
bool watchdog_enabled(const std::map<std::string, std::string>& props) {
  auto it = props.find("WatchdogUSec");
  return it != props.end() && !it->second.empty() && it->second != "0" && it->second != "infinity";
}

// A numeric property ("123"), -1 when absent or not a number.
long long to_ll(const std::map<std::string, std::string>& props, const char* key) {
  auto it = props.find(key);
  if (it == props.end()) return -1;
  try {
    return std::stoll(it->second);
  } catch (const std::exception&) {
    return -1;
  }
}

std::string prop(const std::map<std::string, std::string>& props, const char* key) {
  auto it = props.find(key);
  return it == props.end() ? "" : it->second;
}

}  // namespace

std::string debian_job_env(const DebianJob& job) {
  std::string s;
  s += "export OOMLAB_GUARD=" + shell_quote(guard_name(job.guard)) + "\n";
  s += "export OOMLAB_GUARD_UNIT=" + shell_quote(guard_unit(job.guard)) + "\n";
  s += "export OOMLAB_GUARD_CONFIG=" + std::string(job.tuned ? "tuned" : "default") + "\n";
  s += "export OOMLAB_SLICE=" + std::string(kScenarioSlice) + "\n";
  return s;
}

std::string debian_job_archive(const DebianJob& job) {
  CpioWriter w;
  const std::string root = "oomlab-debian/root";
  std::vector<std::string> dirs = {"oomlab-debian", root, root + "/etc", root + "/etc/oomlab", root + "/etc/systemd",
                                   root + "/etc/systemd/system", root + "/usr", root + "/usr/lib",
                                   root + "/usr/lib/oomlab-vm"};
  for (const auto& d : dirs) w.add_dir(d);
  w.add_file(root + "/etc/oomlab/job.sh", job.generic_env + debian_job_env(job), 0644);
  w.add_file(root + "/usr/lib/oomlab-vm/job.sh", debian_job_script(), 0755);
  w.add_file(root + "/etc/systemd/system/oomlab-vm-job.service", kJobUnit, 0644);
  w.add_file(root + "/etc/systemd/system/" + std::string(kScenarioSlice), scenario_slice_unit(job.guard, job.tuned), 0644);
  for (const auto& f : guard_files(job.guard, job.tuned, job.act_after_s, job.watchdog_config)) {
    // Parent directories the archive does not have yet (cp -a creates them in the root).
    std::string acc = root;
    for (std::size_t i = 1, slash; (slash = f.path.find('/', i)) != std::string::npos; i = slash + 1) {
      acc = root + f.path.substr(0, slash);
      if (std::find(dirs.begin(), dirs.end(), acc) == dirs.end()) {
        dirs.push_back(acc);
        w.add_dir(acc);
      }
    }
    w.add_file(root + f.path, f.content, f.mode);
  }
  return w.finish();
}

std::string debian_kernel_append() {
  // No udev in the image: the gettys would wait 90 s for their device units.
  return "systemd.show_status=1 systemd.log_color=0 systemd.mask=serial-getty@ttyS0.service "
         "systemd.mask=getty@tty1.service systemd.mask=getty-static.service";
}

formats::VmSystemd debian_systemd_report(const GuestOutput& g, const DebianJob& job) {
  formats::VmSystemd r;
  r.guard = guard_name(job.guard), r.guard_unit = guard_unit(job.guard);
  r.guard_config = job.tuned ? "tuned" : "default";
  r.guard_settings = guard_settings(job.guard, job.tuned, job.act_after_s);
  auto file = [&](const char* name) -> const std::string* {
    auto it = g.files.find(name);
    return it == g.files.end() ? nullptr : &it->second;
  };
  if (const std::string* s = file("systemd.json")) {
    r.state = formats::decode_vm_systemd_state(*s);
    if (!r.state) r.state_unparsed = *s;
    if (r.state && !r.state->before.empty()) {
      const auto& before = r.state->before;
      const auto& after = r.state->after;
      r.guard_seen = true;
      // READY: systemctl start of a Type=notify unit returns 0 only after READY=1.
      r.guard_ready = r.state->enable_exit_code == 0 && prop(before, "ActiveState") == "active";
      r.guard_type = prop(before, "Type");
      // The service manager's time of the last WATCHDOG=1 moved on while the scenario ran.
      long long w0 = to_ll(before, "WatchdogTimestampMonotonic"), w1 = to_ll(after, "WatchdogTimestampMonotonic");
      if (watchdog_enabled(after)) r.watchdog_pings_seen = w1 > w0 && w0 > 0;
      r.watchdog_sec = prop(after, "WatchdogUSec");
      r.guard_status_text = prop(after, "StatusText");
      r.guard_active_after = prop(after, "ActiveState");
      r.guard_restarts = to_ll(after, "NRestarts");
      // CPUUsageNSec: the service's CPU since it started (cgroup accounting).
      if (long long ns = to_ll(after, "CPUUsageNSec"); ns >= 0) r.guard_cpu_ms = static_cast<double>(ns) / 1e6;
    }
  }
  if (const std::string* s = file("guard-status.txt")) r.guard_status = *s;
  if (const std::string* s = file("guard-journal.txt")) r.guard_journal_tail = tail_lines(*s, 60);
  return r;
}

}  // namespace oomlab::vm
