// What a Debian guest gets per run (oomlab-vm run --rootfs debian) and what
// it sends back: the initramfs /init that mounts the root disk and starts
// systemd, the job unit and script, the scenario slice and the guard's
// configuration (all in the small per-run archive), the kernel command line,
// and the systemd part of report.json.
#pragma once
#include "oomlab/formats/vm_report.hpp"
#include <string>
#include <string_view>

#include "guard.hpp"
#include "serial_log.hpp"

namespace oomlab::vm {

// vm/guest/debian-init.sh and vm/guest/debian-job.sh, compiled in.
std::string_view debian_init_script();
std::string_view debian_job_script();

struct DebianJob {
  std::string generic_env;   // the job.sh lines every guest gets (mode, scenario, args)
  Guard guard = Guard::none;
  bool tuned = false;
  int act_after_s = 5;
  std::string watchdog_config;  // from the image (RootfsImage::watchdog_config)
};

// The shell lines of /etc/oomlab/job.sh that only the Debian job reads.
std::string debian_job_env(const DebianJob& job);

// The per-run cpio archive: /oomlab-debian/root/... copied into the root at boot.
std::string debian_job_archive(const DebianJob& job);

// Kernel command line of a Debian guest (after the harness's console options).
std::string debian_kernel_append();

// report.json's "systemd" object from the files the job sent back
// (systemd.json, guard-status.txt, guard-journal.txt): the system state, the
// guard's unit properties before and after the scenario, whether it reached
// READY and pinged the watchdog, and the tails of its status and journal.
formats::VmSystemd debian_systemd_report(const GuestOutput& guest, const DebianJob& job);

}  // namespace oomlab::vm
