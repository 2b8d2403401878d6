#include "libdeps.hpp"

#include <algorithm>
#include <chrono>
#include <stdexcept>

#include "oomlab/common/subprocess.hpp"

namespace oomlab::vm {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

// "/path (0x...)" -> "/path"
std::string_view strip_address(std::string_view s) {
  if (auto paren = s.rfind(" ("); paren != std::string_view::npos) s = s.substr(0, paren);
  return trim(s);
}

void add_unique(std::vector<std::string>& v, std::string_view s) {
  if (std::find(v.begin(), v.end(), s) == v.end()) v.emplace_back(s);
}

}  // namespace

LibraryDeps parse_ldd_output(std::string_view text) {
  LibraryDeps deps;
  while (!text.empty()) {
    auto nl = text.find('\n');
    std::string_view line = trim(text.substr(0, nl));
    text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
    if (line.empty()) continue;
    if (line.find("not a dynamic executable") != std::string_view::npos ||
        line.find("statically linked") != std::string_view::npos) {
      deps.is_static = true;
      continue;
    }
    if (auto arrow = line.find(" => "); arrow != std::string_view::npos) {
      std::string_view target = strip_address(line.substr(arrow + 4));
      if (target == "not found") add_unique(deps.missing, trim(line.substr(0, arrow)));
      else if (!target.empty() && target.front() == '/') add_unique(deps.paths, target);
      // "libfoo => (0x...)": a vDSO-style entry with no file.
      continue;
    }
    std::string_view path = strip_address(line);
    if (!path.empty() && path.front() == '/') add_unique(deps.paths, path);  // the loader
  }
  return deps;
}

std::vector<std::string> resolve_libraries(const std::vector<std::string>& executables) {
  std::vector<std::string> all;
  for (const auto& exe : executables) {
    ProcessSpec spec({"ldd", exe});
    spec.timeout = std::chrono::seconds(30);
    ProcessResult r = run_process(spec);
    if (r.exit_code == 127 && r.out.empty())
      throw std::runtime_error("ldd not found (Debian package libc-bin): cannot resolve the libraries of " + exe);
    LibraryDeps deps = parse_ldd_output(r.out + r.err);
    if (!deps.missing.empty())
      throw std::runtime_error(exe + " needs " + deps.missing.front() + ", which the host's loader cannot find");
    if (r.exit_code != 0 && !deps.is_static)
      throw std::runtime_error("ldd " + exe + " failed: " + std::string(trim(r.err)));
    for (auto& p : deps.paths) add_unique(all, p);
  }
  return all;
}

}  // namespace oomlab::vm
