#include "kernel_series.hpp"

#include "kernel.hpp"
#include "oomlab/common/subprocess.hpp"

namespace oomlab::vm {

const std::vector<KernelSeries>& kernel_series() {
  // bookworm's own kernel, its PREEMPT_RT build (sleeping rwsems and
  // spinlocks: mmap_lock waiters behave differently), and the 6.12 series
  // bookworm carries (per-VMA locks, 6.4+).
  static const std::vector<KernelSeries> kSeries = {
      {"6.1", "linux-image-amd64", "Debian 12 kernel 6.1"},
      {"6.1-rt", "linux-image-rt-amd64", "Debian 12 kernel 6.1, PREEMPT_RT"},
      {"6.12", "linux-image-6.12-amd64", "Debian 12 kernel 6.12 (per-VMA locks)"},
      {"6.12-rt", "linux-image-6.12-rt-amd64", "Debian 12 kernel 6.12, PREEMPT_RT"},
  };
  return kSeries;
}

std::optional<KernelSeries> find_kernel_series(std::string_view name) {
  for (const auto& s : kernel_series())
    if (s.name == name) return s;
  return std::nullopt;
}

std::string depends_kernel_package(std::string_view text) {
  constexpr std::string_view kKey = "Depends: linux-image-";
  while (!text.empty()) {
    auto nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
    auto at = line.find(kKey);
    if (at == std::string_view::npos) continue;
    line.remove_prefix(at + 9);  // keep "linux-image-..."
    while (!line.empty() && (line.back() == ' ' || line.back() == '\r')) line.remove_suffix(1);
    if (line.find_first_of(" <>|") == std::string_view::npos) return std::string(line);
  }
  return {};
}

std::string kernel_package_of_series(const KernelSeries& series) {
  ProcessSpec spec({"apt-cache", "depends", std::string(series.metapackage)});
  spec.timeout = std::chrono::seconds(60);
  ProcessResult r;
  try {
    r = run_process(spec);
  } catch (const std::exception& e) {
    throw KernelError(std::string("cannot run apt-cache: ") + e.what());
  }
  std::string pkg = r.exit_code == 0 ? depends_kernel_package(r.out) : std::string();
  if (pkg.empty())
    throw KernelError("--kernel " + std::string(series.name) + ": apt-cache knows no kernel behind " +
                      std::string(series.metapackage) + " (run apt-get update, or give --kernel-package)");
  return pkg;
}

}  // namespace oomlab::vm
