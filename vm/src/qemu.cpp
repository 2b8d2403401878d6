#include "qemu.hpp"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <unistd.h>

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
    a.push_back("file=" + c.disk + ",format=raw,if=virtio,cache=unsafe" + (c.disk_snapshot ? ",snapshot=on" : ""));
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

AccelChoice choose_accel(const std::string& qemu, bool want_kvm, bool want_tcg) {
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
  if (r.exit_code == 0 && r.err.find("rror") == std::string::npos && r.err.find("failed") == std::string::npos)
    return {true, "kvm"};
  std::string why = r.timed_out ? "probe timed out" : r.err.substr(0, r.err.find('\n'));
  if (want_kvm) return {true, "kvm (--accel kvm; the probe failed: " + why + ")"};
  return {false, "tcg (KVM probe failed: " + why + ")"};
}

}  // namespace oomlab::vm
