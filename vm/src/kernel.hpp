// The guest kernel: a bzImage the user gives, or a Debian linux-image package
// fetched with apt-get download, unpacked with dpkg-deb and cached with only
// what the guest needs (vmlinuz and the modules of the virtio ext4 disk).
#pragma once
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace oomlab::vm {

struct Kernel {
  std::string vmlinuz;   // path of the bzImage
  std::string release;   // "6.1.0-56-amd64" (uname -r); from the bzImage header when not packaged
  std::string package;   // "linux-image-6.1.0-56-amd64", empty for --kernel
  std::vector<std::string> modules;  // .ko files the guest loads, in load order (empty for --kernel)
};

// Raised when the kernel cannot be had: missing file, not a bzImage, apt
// failures. The message is one line for the user.
struct KernelError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// The kernel release stored in a bzImage's setup header (the "kernel_version"
// string), or "" when the file is not a bzImage.
std::string bzimage_release(std::string_view image);

// Checks that FILE is a readable bzImage. Throws KernelError.
Kernel kernel_from_file(const std::string& path);

// The package linux-image-amd64 depends on (`apt-cache depends`), remembered
// in CACHE_DIR until apt's lists change. Throws KernelError.
std::string default_kernel_package(const std::string& cache_dir);
std::string query_default_kernel_package();  // always asks apt-cache

// Fetches (or finds in CACHE_DIR/kernels/PACKAGE) the package. Progress lines
// go to LOG. Throws KernelError.
Kernel kernel_from_package(const std::string& package, const std::string& cache_dir,
                           void (*log)(const std::string&));

// The modules the guest loads at boot (PLATFORM.md): the ext4 virtio disk's
// and fuse, by name; their dependencies come from the package's modules.dep.
const std::vector<std::string>& disk_modules();

// Parses modules.dep ("kernel/fs/ext4/ext4.ko: kernel/lib/crc16.ko ...") and
// returns the load order (dependencies first, each once) of WANTED, given by
// module name ("virtio_blk"; '-' and '_' are the same). Names that are not
// modules are returned in MISSING (built in, or absent).
std::vector<std::string> module_load_order(std::string_view modules_dep, const std::vector<std::string>& wanted,
                                           std::vector<std::string>& missing);

}  // namespace oomlab::vm
