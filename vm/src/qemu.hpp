// The qemu command line and the choice of accelerator.
//
// The serial console and the qemu monitor share qemu's stdin/stdout through a
// mux chardev: the harness reads the console from a pipe, and sends a serial
// BREAK with the mux escape "Ctrl-A b" - the kernel takes the next character
// as a sysrq command (PLATFORM.md: sysrq over the serial console works).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace oomlab::vm {

struct QemuConfig {
  std::string qemu = "qemu-system-x86_64";
  bool kvm = false;
  std::uint64_t mem_bytes = 512ull << 20;
  int cpus = 2;
  std::string kernel, initrd, append;
  std::string disk;  // raw image attached as virtio (/dev/vda), empty for none
  bool disk_snapshot = false;  // the guest's writes go to a temporary overlay, the image stays as it was
  // qemu's block throttling (0 = none): the guest's disk requests are held to
  // this many per second / bytes per second, whatever serves them on the host
  // (a read the host's page cache answers costs the guest as much as one from
  // a slow disk). See vm/README.md "A disk that costs like a disk".
  std::uint64_t disk_iops = 0, disk_bps = 0;
};

std::vector<std::string> qemu_argv(const QemuConfig& c);

// The bytes that make the mux chardev send a BREAK on the serial line.
inline constexpr const char* kSerialBreak = "\x01" "b";
// ... and that make qemu quit at once.
inline constexpr const char* kQemuQuit = "\x01" "x";

struct AccelChoice {
  bool kvm = false;
  std::string reason;  // "kvm" / "tcg: /dev/kvm: No such file or directory" ...
};

// KVM when /dev/kvm opens, a paused KVM machine can be created and - given
// `kernel` - that kernel gets as far as its first console line under KVM;
// TCG otherwise. Nested virtualisation can expose a /dev/kvm that fails
// (PLATFORM.md): on one such host a paused machine starts fine but the
// kernel hangs right after the real-mode setup ("Probing EDD"), so only a
// real boot tells. With `cache_file`, the boot probe's answer is kept there
// for this boot of the host, qemu and kernel (a KVM that fails stays failed
// until the host reboots): the probe costs up to 15 s on such a host.
AccelChoice choose_accel(const std::string& qemu, bool want_kvm, bool want_tcg, const std::string& kernel = "",
                         const std::string& cache_file = "");

// Finds the qemu binary in PATH ($OOMLAB_QEMU overrides). Empty when missing.
std::string find_qemu();

}  // namespace oomlab::vm
