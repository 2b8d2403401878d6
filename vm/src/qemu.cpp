#include "qemu.hpp"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <optional>
#include <unistd.h>

#include "fs_util.hpp"
#include "oomlab/common/subprocess.hpp"

namespace oomlab::vm {

std::vector<std::string> qemu_argv(const QemuConfig& c) {
  std::vector<std::string> a = {c.qemu,
                                "-accel", c.kvm ? "kvm" : "tcg",
                                "-m", std::to_string(c.mem_bytes >> 20) + "M",
                                "-smp", std::to_string(c.cpus),
                                "-kernel", c.kernel,
                                "-initrd", c.initrd,
                                "-append", c.append,
                                "-display", "none",
                                "-nodefaults",
                                "-no-reboot",
                                "-chardev", "stdio,id=con,mux=on,signal=off",
                                "-serial", "chardev:con",
                                "-mon", "chardev=con,mode=readline"};
  // TCG keeps qemu's default CPU model: the one PLATFORM.md measured boot times with.
  if (c.kvm) a.insert(a.begin() + 3, {"-cpu", "host"});
  if (!c.disk.empty()) {
    a.push_back("-drive");
    std::string drive = "file=" + c.disk + ",format=raw,if=virtio,cache=unsafe" + (c.disk_snapshot ? ",snapshot=on" : "");
    if (c.disk_iops) drive += ",throttling.iops-total=" + std::to_string(c.disk_iops);
    if (c.disk_bps) drive += ",throttling.bps-total=" + std::to_string(c.disk_bps);
    a.push_back(drive);
  }
  return a;
}

std::string find_qemu() {
  if (const char* env = std::getenv("OOMLAB_QEMU"); env && *env) return access(env, X_OK) == 0 ? env : "";
  const char* path = std::getenv("PATH");
  for (std::string_view rest = path ? path : ""; !rest.empty();) {
    auto colon = rest.find(':');
    std::string p = std::string(rest.substr(0, colon)) + "/qemu-system-x86_64";
    if (access(p.c_str(), X_OK) == 0) return p;
    rest = colon == std::string_view::npos ? std::string_view{} : rest.substr(colon + 1);
  }
  return {};
}

namespace {

// What the boot probe answered, as "KEY\n1|0\nREASON", keyed by this boot
// of the host, the qemu binary and the kernel.
std::string probe_key(const std::string& qemu, const std::string& kernel) {
  std::string boot_id = read_file("/proc/sys/kernel/random/boot_id").value_or("");
  while (!boot_id.empty() && boot_id.back() == '\n') boot_id.pop_back();
  return boot_id + " " + qemu + " " + kernel;
}

std::optional<AccelChoice> cached_probe(const std::string& cache_file, const std::string& key) {
  if (cache_file.empty()) return std::nullopt;
  auto text = read_file(cache_file);
  if (!text) return std::nullopt;
  const std::size_t a = text->find('\n'), b = a == std::string::npos ? a : text->find('\n', a + 1);
  if (b == std::string::npos || text->substr(0, a) != key) return std::nullopt;
  AccelChoice c;
  c.kvm = text->substr(a + 1, b - a - 1) == "1";
  c.reason = text->substr(b + 1) + " (cached for this boot)";
  return c;
}

AccelChoice remember_probe(const std::string& cache_file, const std::string& key, AccelChoice c) {
  if (!cache_file.empty()) {
    try {
      write_file_atomic(cache_file, key + "\n" + (c.kvm ? "1" : "0") + "\n" + c.reason);
    } catch (const std::exception&) {
      // Not cached: the next run probes again.
    }
  }
  return c;
}

}  // namespace

AccelChoice choose_accel(const std::string& qemu, bool want_kvm, bool want_tcg, const std::string& kernel,
                         const std::string& cache_file) {
  if (want_tcg) return {false, "tcg (--accel tcg)"};
  int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
  if (fd < 0) {
    std::string why = std::string("/dev/kvm: ") + std::strerror(errno);
    return {false, "tcg (" + why + ")"};
  }
  close(fd);
  // The device opens: try a real (paused) KVM machine, then quit from the monitor.
  ProcessSpec probe({qemu, "-accel", "kvm", "-cpu", "host", "-m", "64M", "-display", "none", "-nodefaults", "-S",
                     "-monitor", "stdio"});
  probe.stdin_data = "quit\n";
  probe.timeout = std::chrono::seconds(20);
  ProcessResult r = run_process(probe);
  std::string why;
  if (r.exit_code == 0 && r.err.find("rror") == std::string::npos && r.err.find("failed") == std::string::npos) {
    if (kernel.empty()) return {true, "kvm"};
    const std::string key = probe_key(qemu, kernel);
    if (auto cached = cached_probe(cache_file, key); cached && (cached->kvm || !want_kvm)) return *cached;
    // The kernel itself, no initrd: under a working KVM it prints its banner
    // at once (earlyprintk), then panics without a root and qemu exits
    // (-no-reboot). Only the banner counts; a loaded host may be slow to
    // reach the panic, so the timeout is not a failure by itself.
    ProcessSpec boot({qemu, "-accel", "kvm", "-cpu", "host", "-m", "128M", "-kernel", kernel, "-append",
                      "console=ttyS0 earlyprintk=ttyS0 panic=-1", "-display", "none", "-nodefaults", "-no-reboot",
                      "-serial", "stdio"});
    boot.timeout = std::chrono::seconds(15);
    ProcessResult b = run_process(boot);
    if (b.out.find("Linux version") != std::string::npos) return remember_probe(cache_file, key, {true, "kvm"});
    why = "the kernel printed nothing under KVM in 15 s";
    if (!want_kvm) return remember_probe(cache_file, key, {false, "tcg (KVM probe failed: " + why + ")"});
  } else {
    why = r.timed_out ? "probe timed out" : r.err.substr(0, r.err.find('\n'));
  }
  if (want_kvm) return {true, "kvm (--accel kvm; the probe failed: " + why + ")"};
  return {false, "tcg (KVM probe failed: " + why + ")"};
}

}  // namespace oomlab::vm
