// The shared libraries a dynamic executable needs, including the dynamic
// loader, so that it runs in an initramfs that has nothing else. Resolved with
// the host's own loader (`ldd`), which applies exactly the search rules the
// binary will meet (RUNPATH, ld.so.cache, multiarch directories).
#pragma once
#include <string>
#include <string_view>
#include <vector>

namespace oomlab::vm {

struct LibraryDeps {
  bool is_static = false;          // "not a dynamic executable": nothing to add
  std::vector<std::string> paths;  // absolute paths, loader included, no duplicates
  std::vector<std::string> missing;  // "libfoo.so.1 => not found"
};

// Parses the output of `ldd FILE`. Lines look like
//   libstdc++.so.6 => /lib/x86_64-linux-gnu/libstdc++.so.6 (0x00007f...)
//   /lib64/ld-linux-x86-64.so.2 (0x00007f...)
//   linux-vdso.so.1 (0x00007ffd...)            <- in the kernel, skipped
//   libfoo.so.1 => not found
LibraryDeps parse_ldd_output(std::string_view text);

// Runs ldd on each file and merges the results. Throws std::runtime_error
// naming the file and the library when one cannot be found.
std::vector<std::string> resolve_libraries(const std::vector<std::string>& executables);

}  // namespace oomlab::vm
