#include "oomlab/cgroups/hierarchy.hpp"

#include "oomlab/common/procfs.hpp"

namespace oomlab::cgroups {

const Hierarchy& host_hierarchy() {
  static const Hierarchy h =
      facts::detect_hierarchy([](const std::string& path) { return read_proc_file(path, 1 << 20).value_or(""); });
  return h;
}

}  // namespace oomlab::cgroups
