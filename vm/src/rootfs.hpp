// The Debian root file system of `oomlab-vm run --rootfs debian`: a Debian 12
// minbase tree with systemd as PID 1, the peer OOM daemons (systemd-oomd,
// earlyoom, nohang: installed, disabled) and the libraries oomlab links,
// made once with mmdebstrap and cached; then oomlab installed into it
// (`cmake --install` of the build tree with DESTDIR, or an oomlab .deb) and
// the whole turned into an ext4 image with `mkfs.ext4 -d` (no loop mounts).
// Both steps are cached: the tree under a key of its package list, the image
// under that key plus the content of what oomlab installs. The guest boots a
// copy-on-write snapshot of the image, so a run never changes the cache.
#pragma once
#include <cstdint>
#include <functional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace oomlab::vm {

struct RootfsError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct RootfsConfig {
  std::string cache_dir;   // trees and images (oomlab-vm --rootfs-cache)
  std::string bin_dir;     // the built oomlab binaries: the packages of their libraries go into the root
  std::string build_dir;   // the CMake build tree to `cmake --install` (default: bin_dir/..)
  std::string deb;         // an oomlab .deb to unpack instead of cmake --install
  std::string suite = "bookworm";
  std::uint64_t free_bytes = 2048ull << 20;  // room in the image for the scenarios' files
};

struct RootfsImage {
  std::string image;              // the cached ext4 image
  bool from_cache = false;
  std::uint64_t bytes = 0;        // its apparent size (the file is sparse)
  std::string base_dir;           // the cached Debian tree
  bool base_from_cache = false;
  std::vector<std::string> packages;  // what mmdebstrap was asked to include
  std::string oomlab_source;      // "cmake --install DIR" or "dpkg-deb -x FILE"
  std::string watchdog_unit;      // guest path of oomlab-watchdog.service, "" when not installed
  std::string watchdog_config;    // the --config path its ExecStart names
  bool watchdog_config_from_example = false;  // the install ships only the .example: copied into place
};

// Builds or reuses the tree and the image. Progress lines go to LOG. Throws
// RootfsError with a one-line reason (no mmdebstrap, no network to the
// Debian archive, not root when something must be built, mkfs failures).
RootfsImage debian_rootfs(const RootfsConfig& config, const std::function<void(const std::string&)>& log);

// The packages the tree includes, beyond minbase: systemd, the peers, and
// RUNTIME (the packages of oomlab's libraries), sorted, each once.
std::vector<std::string> debian_packages(const std::vector<std::string>& runtime);

// Package names from `dpkg -S PATH...` output ("libfoo1:amd64: /usr/lib/...";
// "diversion by" lines and errors skipped), without the ":arch" suffix.
std::vector<std::string> packages_from_dpkg_search(std::string_view output);

// The --config path in a unit's ExecStart= line, "" when there is none.
std::string config_path_of_unit(std::string_view unit_text);

// VALUE of "KEY:TYPE=VALUE" in a CMakeCache.txt, "" when absent.
std::string cmake_cache_value(std::string_view cache_text, std::string_view key);

}  // namespace oomlab::vm
