#include "initramfs.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <cstdlib>
#include <filesystem>
#include <set>
#include <string_view>
#include <stdexcept>
#include <sys/stat.h>
#include <unistd.h>

#include "cpio.hpp"
#include "fs_util.hpp"
#include "guest_init.hpp"
#include "libdeps.hpp"
#include "oomlab/common/subprocess.hpp"

namespace fs = std::filesystem;

namespace oomlab::vm {
namespace {

// Bump when the layout of the image changes: old cached images are then unused.
constexpr const char* kLayoutVersion = "oomlab-initramfs/2";  // 2: oomlab binaries stripped
constexpr std::size_t kKeepImages = 6;

std::uint32_t file_mode(const std::string& path) {
  std::error_code ec;
  auto perms = fs::status(path, ec).permissions();
  return (perms & fs::perms::owner_exec) != fs::perms::none ? 0755 : 0644;
}

// Adds every parent directory of PATH once.
void add_parents(CpioWriter& w, std::set<std::string>& dirs, const std::string& path) {
  std::string acc;
  for (std::size_t i = 0; (i = path.find('/', i + 1)) != std::string::npos;) {
    acc = path.substr(0, i);
    if (!acc.empty() && dirs.insert(acc).second) w.add_dir(acc);
  }
}

void prune_old_images(const fs::path& dir, const fs::path& keep) {
  std::vector<std::pair<fs::file_time_type, fs::path>> images;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec))
    if (e.path().extension() == ".cpio" && e.path() != keep) images.emplace_back(e.last_write_time(ec), e.path());
  if (images.size() < kKeepImages) return;
  std::sort(images.begin(), images.end());
  for (std::size_t i = 0; i + kKeepImages <= images.size(); ++i) fs::remove(images[i].second, ec);
}

// The binary without its debug sections (a RelWithDebInfo oomlab-repro is
// ~20 MiB, stripped ~2 MiB: every MiB is guest RAM and boot time under TCG).
// The unstripped content when `strip` is missing or fails.
std::string stripped(const std::string& path, std::string content, const fs::path& scratch) {
  fs::path out = scratch / ("strip." + std::to_string(getpid()) + "." + fs::path(path).filename().string());
  ProcessSpec spec({"strip", "--strip-debug", "-o", out.string(), path});
  spec.timeout = std::chrono::seconds(60);
  ProcessResult r;
  try {
    r = run_process(spec);
  } catch (const std::exception&) {
    return content;
  }
  if (r.exit_code == 0)
    if (auto small = read_file(out.string())) content = std::move(*small);
  std::error_code ec;
  fs::remove(out, ec);
  return content;
}

}  // namespace

std::vector<std::string> guest_binaries(const std::string& bin_dir) {
  std::vector<std::string> found;
  for (const char* name : {"oomlab-repro", "oomlab-watchdog", "oomlab-analyze", "oomlab-trace"}) {
    fs::path p = fs::path(bin_dir) / name;
    std::error_code ec;
    if (fs::is_regular_file(p, ec)) found.push_back(p.string());
  }
  // Extra host programs for the guest (e.g. peer OOM daemons for
  // bench/peers): OOMLAB_VM_EXTRA_BINARIES=/usr/bin/earlyoom:/path/tool,
  // packed as /oomlab/bin/NAME (in the guest's PATH) with their libraries.
  if (const char* extra = std::getenv("OOMLAB_VM_EXTRA_BINARIES"); extra && *extra) {
    std::string_view rest = extra;
    while (!rest.empty()) {
      auto colon = rest.find(':');
      std::string path(rest.substr(0, colon));
      rest = colon == std::string_view::npos ? std::string_view{} : rest.substr(colon + 1);
      if (path.empty()) continue;
      std::error_code ec;
      if (!fs::is_regular_file(path, ec))
        throw std::runtime_error("OOMLAB_VM_EXTRA_BINARIES: " + path + ": no such file");
      found.push_back(path);
    }
  }
  return found;
}

std::string find_busybox() {
  if (const char* env = std::getenv("OOMLAB_BUSYBOX"); env && *env) {
    if (!fs::is_regular_file(env)) throw std::runtime_error(std::string("OOMLAB_BUSYBOX=") + env + ": no such file");
    return env;
  }
  if (fs::is_regular_file("/bin/busybox")) return "/bin/busybox";
  if (const char* path = std::getenv("PATH"))
    for (std::string_view rest = path; !rest.empty();) {
      auto colon = rest.find(':');
      fs::path p = fs::path(std::string(rest.substr(0, colon))) / "busybox";
      if (fs::is_regular_file(p)) return p.string();
      rest = colon == std::string_view::npos ? std::string_view{} : rest.substr(colon + 1);
    }
  throw std::runtime_error("busybox not found: apt-get install busybox-static");
}

Initramfs build_initramfs(const InitramfsInputs& in, const std::string& cache_dir) {
  std::vector<std::string> executables = in.binaries;
  executables.push_back(in.busybox);
  Initramfs result;
  result.libraries = resolve_libraries(executables);

  // Key: layout, init script, and every packed file's guest path and content.
  Fnv64 key;
  key.add_field(kLayoutVersion);
  const std::string init = in.init_script.empty() ? std::string(guest_init_script()) : in.init_script;
  key.add_field(init);
  std::vector<std::pair<std::string, std::string>> files;  // guest path -> host path
  files.emplace_back("bin/busybox", in.busybox);
  for (const auto& b : in.binaries) files.emplace_back("oomlab/bin/" + fs::path(b).filename().string(), b);
  for (const auto& lib : result.libraries) files.emplace_back(lib.substr(1), lib);
  std::string load_order;
  for (const auto& m : in.modules) {
    files.emplace_back("lib/modules/oomlab/" + fs::path(m).filename().string(), m);
    load_order += fs::path(m).filename().string() + "\n";
  }
  // Each file by identity (device, inode, size, mtime) like make: a rebuilt
  // binary changes its mtime, and nothing is read when the image is cached.
  for (const auto& [guest, host] : files) {
    struct stat st{};
    if (stat(host.c_str(), &st) != 0) throw std::runtime_error("cannot read " + host + ": " + std::strerror(errno));
    key.add_field(guest);
    key.add_field(host);
    for (long long v : {static_cast<long long>(st.st_dev), static_cast<long long>(st.st_ino),
                        static_cast<long long>(st.st_size), static_cast<long long>(st.st_mtim.tv_sec),
                        static_cast<long long>(st.st_mtim.tv_nsec)})
      key.add_field(std::to_string(v));
  }

  fs::path dir = fs::path(cache_dir) / "initramfs";
  fs::path image = dir / (key.hex() + ".cpio");
  result.path = image.string();
  std::error_code ec;
  if (fs::is_regular_file(image, ec)) {
    result.from_cache = true;
    result.bytes = fs::file_size(image, ec);
    fs::last_write_time(image, fs::file_time_type::clock::now(), ec);  // recently used: pruned last
    return result;
  }

  fs::create_directories(dir, ec);
  if (ec) throw std::runtime_error("cannot create " + dir.string() + ": " + ec.message());
  std::vector<std::string> contents;
  contents.reserve(files.size());
  for (const auto& [guest, host] : files) {
    contents.push_back(read_file_or_throw(host));
    if (guest.rfind("oomlab/bin/", 0) == 0) contents.back() = stripped(host, std::move(contents.back()), dir);
  }

  CpioWriter w;
  std::set<std::string> dirs;
  for (const char* d : {"bin", "sbin", "dev", "proc", "sys", "tmp", "run", "etc", "etc/oomlab", "mnt", "mnt/disk",
                        "oomlab", "oomlab/bin", "lib", "lib/modules", "lib/modules/oomlab", "usr", "usr/bin", "usr/sbin"}) {
    w.add_dir(d);
    dirs.insert(d);
  }
  // The kernel opens /dev/console before init runs; devtmpfs replaces /dev later.
  w.add_char_device("dev/console", 5, 1);
  w.add_char_device("dev/null", 1, 3, 0666);
  w.add_file("init", init, 0755);
  for (std::size_t i = 0; i < files.size(); ++i) {
    add_parents(w, dirs, "/" + files[i].first);
    w.add_file(files[i].first, contents[i], file_mode(files[i].second));
  }
  w.add_file("lib/modules/oomlab/load.order", load_order);
  result.entries = w.entries();
  std::string archive = w.finish();
  result.bytes = archive.size();
  write_file_atomic(image.string(), archive);
  prune_old_images(dir, image);
  return result;
}

std::string job_archive(const std::string& job_script) {
  CpioWriter w;
  w.add_file("etc/oomlab/job.sh", job_script, 0644);
  return w.finish();
}

}  // namespace oomlab::vm
