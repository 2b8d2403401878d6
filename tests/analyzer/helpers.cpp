#include "helpers.hpp"

#include <filesystem>
#include <stdexcept>

namespace oomlab::analyzer::test {

std::string seed_path(const std::string& prefix) {
  for (const auto& e : std::filesystem::directory_iterator(OOMLAB_SEEDS_DIR))
    if (e.path().filename().string().rfind(prefix, 0) == 0) return e.path().string();
  throw std::runtime_error("no seed " + prefix + "* in " OOMLAB_SEEDS_DIR);
}

}  // namespace oomlab::analyzer::test
