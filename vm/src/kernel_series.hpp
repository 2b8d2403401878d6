// Kernel series by short name ("6.1", "6.12", "6.1-rt"): each is a Debian
// meta-package whose one dependency is today's kernel of that series, so
// `--kernel 6.12` follows the archive as new point releases land.
#pragma once
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace oomlab::vm {

struct KernelSeries {
  std::string_view name;         // "6.1-rt"
  std::string_view metapackage;  // "linux-image-rt-amd64"
  std::string_view description;  // for --help and the matrix table
};

// The series oomlab-vm knows, in matrix order.
const std::vector<KernelSeries>& kernel_series();

// The series called NAME, or nullopt.
std::optional<KernelSeries> find_kernel_series(std::string_view name);

// The kernel package named by the first "Depends: linux-image-..." line of
// `apt-cache depends META`, or "" when there is none.
std::string depends_kernel_package(std::string_view apt_cache_depends_output);

// Asks apt-cache which kernel package SERIES means today. Throws KernelError.
std::string kernel_package_of_series(const KernelSeries& series);

}  // namespace oomlab::vm
