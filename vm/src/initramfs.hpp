// The guest's root file system: static busybox, the guest init, the oomlab
// binaries with every shared library they load (and the loader), and the disk
// modules. The image is cached under a hash of its inputs - the init script
// and each file's identity (inode, size, mtime), so a cached image costs a few
// stat() calls, not reading 50 MiB - and gets a second tiny archive per run
// with the job to do (the kernel unpacks concatenated cpio archives in turn).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace oomlab::vm {

struct InitramfsInputs {
  std::string busybox;                // host path of a busybox binary
  std::vector<std::string> binaries;  // oomlab binaries, packed as /oomlab/bin/NAME
  std::vector<std::string> modules;   // .ko files, packed as /lib/modules/oomlab/ with load.order
  std::string init_script;            // /init; empty: vm/guest/init.sh (the busybox guest)
};

struct Initramfs {
  std::string path;     // the cached base image
  bool from_cache = false;
  std::size_t entries = 0;
  std::uint64_t bytes = 0;
  std::vector<std::string> libraries;  // host paths of the libraries packed
};

// The oomlab binaries of BIN_DIR that go into the guest (those that exist),
// then the files named in $OOMLAB_VM_EXTRA_BINARIES (colon-separated; throws
// std::runtime_error for one that does not exist).
std::vector<std::string> guest_binaries(const std::string& bin_dir);

// Finds busybox: $OOMLAB_BUSYBOX, then /bin/busybox, then PATH. Throws
// std::runtime_error naming the package (busybox-static) when there is none.
std::string find_busybox();

// Builds or reuses CACHE_DIR/initramfs/HASH.cpio. Throws std::runtime_error.
Initramfs build_initramfs(const InitramfsInputs& in, const std::string& cache_dir);

// The per-run archive holding /etc/oomlab/job.sh.
std::string job_archive(const std::string& job_script);

}  // namespace oomlab::vm
