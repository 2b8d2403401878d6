#include "kernel.hpp"

#include <algorithm>
#include <filesystem>
#include <functional>
#include <optional>
#include <map>
#include <set>
#include <unistd.h>

#include "fs_util.hpp"
#include "oomlab/common/subprocess.hpp"

namespace fs = std::filesystem;

namespace oomlab::vm {
namespace {

std::string first_line(std::string_view s) {
  while (!s.empty() && (s.front() == '\n' || s.front() == ' ')) s.remove_prefix(1);
  return std::string(s.substr(0, s.find('\n')));
}

// "kernel/fs/ext4/ext4.ko.xz" -> "ext4"; '-' normalised to '_'.
std::string module_name(std::string_view path) {
  if (auto slash = path.rfind('/'); slash != std::string_view::npos) path.remove_prefix(slash + 1);
  path = path.substr(0, path.find(".ko"));
  std::string name(path);
  for (char& c : name)
    if (c == '-') c = '_';
  return name;
}

ProcessResult run(std::vector<std::string> argv, const std::string& cwd = {}, int timeout_s = 600) {
  ProcessSpec spec(std::move(argv));
  spec.cwd = cwd;
  spec.timeout = std::chrono::seconds(timeout_s);
  try {
    return run_process(spec);
  } catch (const std::exception& e) {
    throw KernelError(std::string("cannot run ") + spec.argv[0] + ": " + e.what());
  }
}

void require_ok(const ProcessResult& r, const std::string& what, const std::string& hint) {
  if (r.exit_code == 0) return;
  std::string why = r.timed_out ? "timed out" : first_line(r.err.empty() ? r.out : r.err);
  if (r.exit_code == 127) why = "program not found";
  throw KernelError(what + " failed: " + why + (hint.empty() ? "" : " (" + hint + ")"));
}

}  // namespace

std::string bzimage_release(std::string_view image) {
  // Setup header (Documentation/arch/x86/boot.rst): "HdrS" at 0x202, the
  // kernel_version pointer at 0x20E, relative to 0x200.
  if (image.size() < 0x210 || image.substr(0x202, 4) != "HdrS") return {};
  unsigned ptr = static_cast<unsigned char>(image[0x20E]) | (static_cast<unsigned char>(image[0x20F]) << 8);
  std::size_t at = std::size_t{ptr} + 0x200;
  if (ptr == 0 || at >= image.size()) return {};
  std::string_view version = image.substr(at, 256);
  version = version.substr(0, version.find_first_of(std::string_view(" \0", 2)));
  for (char c : version)
    if (c < 0x21 || c > 0x7e) return {};  // not a version string: a damaged or foreign image
  return std::string(version);
}

Kernel kernel_from_file(const std::string& path) {
  std::error_code ec;
  if (!fs::exists(path, ec)) throw KernelError("--kernel " + path + ": no such file");
  if (!fs::is_regular_file(path, ec)) throw KernelError("--kernel " + path + ": not a regular file");
  auto image = read_file(path);
  if (!image) throw KernelError("--kernel " + path + ": cannot read it");
  if (image->size() < 0x210 || image->substr(0x202, 4) != "HdrS")
    throw KernelError("--kernel " + path + ": not an x86 bzImage (no HdrS setup header)");
  Kernel k;
  k.vmlinuz = fs::absolute(path).string();
  k.release = bzimage_release(*image);
  return k;
}

std::string default_kernel_package(const std::string& cache_dir) {
  // apt-cache takes seconds on a busy machine: the answer is remembered
  // until apt's package lists change (apt-get update touches their directory).
  std::error_code ec;
  auto lists_time = fs::last_write_time("/var/lib/apt/lists", ec);
  std::string stamp = ec ? std::string() : std::to_string(lists_time.time_since_epoch().count());
  fs::path memo = fs::path(cache_dir) / "kernels" / "default-package";
  if (auto text = read_file(memo.string()); text && !stamp.empty()) {
    auto nl = text->find('\n');
    if (nl != std::string::npos && text->substr(0, nl) == stamp) return first_line(text->substr(nl + 1));
  }
  std::string pkg = query_default_kernel_package();
  if (!stamp.empty()) {
    fs::create_directories(memo.parent_path(), ec);
    try {
      write_file_atomic(memo.string(), stamp + "\n" + pkg + "\n");
    } catch (const std::exception&) {
      // Only a memo: the next run asks apt again.
    }
  }
  return pkg;
}

std::string query_default_kernel_package() {
  ProcessResult r = run({"apt-cache", "depends", "linux-image-amd64"}, {}, 60);
  require_ok(r, "apt-cache depends linux-image-amd64", "run apt-get update, or give --kernel-package/--kernel");
  for (std::string_view rest = r.out; !rest.empty();) {
    auto nl = rest.find('\n');
    std::string_view line = rest.substr(0, nl);
    rest = nl == std::string_view::npos ? std::string_view{} : rest.substr(nl + 1);
    if (auto at = line.find("Depends: linux-image-"); at != std::string_view::npos) {
      std::string pkg(line.substr(at + 9));
      while (!pkg.empty() && (pkg.back() == ' ' || pkg.back() == '\r')) pkg.pop_back();
      return pkg;
    }
  }
  throw KernelError("apt-cache knows no kernel behind linux-image-amd64: run apt-get update, or give --kernel-package/--kernel");
}

const std::vector<std::string>& disk_modules() {
  // crc32c_generic is only a soft dependency of ext4 (the crypto API), so
  // modules.dep does not name it.
  // fuse: the mmap-lock-hold scenario's slow FUSE mount.
  static const std::vector<std::string> kModules = {"virtio_pci", "virtio_blk", "crc32c_generic", "ext4", "fuse"};
  return kModules;
}

std::vector<std::string> module_load_order(std::string_view modules_dep, const std::vector<std::string>& wanted,
                                           std::vector<std::string>& missing) {
  std::map<std::string, std::pair<std::string, std::vector<std::string>>> by_name;  // name -> (path, dep paths)
  for (std::string_view rest = modules_dep; !rest.empty();) {
    auto nl = rest.find('\n');
    std::string_view line = rest.substr(0, nl);
    rest = nl == std::string_view::npos ? std::string_view{} : rest.substr(nl + 1);
    auto colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    std::string path(line.substr(0, colon));
    std::vector<std::string> deps;
    std::string_view tail = line.substr(colon + 1);
    while (!tail.empty()) {
      while (!tail.empty() && tail.front() == ' ') tail.remove_prefix(1);
      auto sp = tail.find(' ');
      if (!tail.empty()) deps.emplace_back(tail.substr(0, sp));
      tail = sp == std::string_view::npos ? std::string_view{} : tail.substr(sp);
    }
    by_name[module_name(path)] = {path, std::move(deps)};
  }
  std::vector<std::string> order;
  std::set<std::string> visiting;
  std::function<void(const std::string&)> visit = [&](const std::string& name) {
    auto it = by_name.find(name);
    if (it == by_name.end() || visiting.count(name)) return;
    visiting.insert(name);
    for (const auto& dep : it->second.second) visit(module_name(dep));
    if (std::find(order.begin(), order.end(), it->second.first) == order.end()) order.push_back(it->second.first);
  };
  for (const auto& w : wanted) {
    std::string name = module_name(w);
    if (!by_name.count(name)) missing.push_back(name);
    else visit(name);
  }
  return order;
}

Kernel kernel_from_package(const std::string& package, const std::string& cache_dir,
                           void (*log)(const std::string&)) {
  if (package.rfind("linux-image-", 0) != 0 || package.find('/') != std::string::npos)
    throw KernelError("--kernel-package " + package + ": expected a Debian kernel package such as linux-image-6.1.0-56-amd64");
  fs::path dir = fs::path(cache_dir) / "kernels" / package;
  std::string wanted;
  for (const auto& m : disk_modules()) wanted += m + "\n";
  auto load = [&]() -> std::optional<Kernel> {
    auto release = read_file((dir / "release").string());
    if (!release || !fs::exists(dir / "vmlinuz")) return std::nullopt;
    if (read_file((dir / "modules.wanted").string()) != wanted) return std::nullopt;  // cached by an older harness
    Kernel k{(dir / "vmlinuz").string(), first_line(*release), package, {}};
    if (auto order = read_file((dir / "modules.order").string()))
      for (std::string_view rest = *order; !rest.empty();) {
        auto nl = rest.find('\n');
        if (nl != 0) k.modules.push_back((dir / "modules" / std::string(rest.substr(0, nl))).string());
        rest = nl == std::string_view::npos ? std::string_view{} : rest.substr(nl + 1);
      }
    return k;
  };
  if (auto cached = load()) return *cached;

  std::error_code ec;
  fs::create_directories(dir.parent_path(), ec);
  if (ec) throw KernelError("cannot create the cache " + dir.parent_path().string() + ": " + ec.message());
  fs::path work = dir.parent_path() / ("." + package + ".tmp." + std::to_string(getpid()));
  fs::remove_all(work, ec);
  fs::create_directories(work / "out" / "modules");
  struct Cleanup {
    fs::path p;
    ~Cleanup() { std::error_code e; fs::remove_all(p, e); }
  } cleanup{work};

  log("fetching " + package + " with apt-get download");
  require_ok(run({"apt-get", "download", "-q", package}, work.string()), "apt-get download " + package,
             "run apt-get update, or check the name with apt-cache search --names-only '^linux-image-[0-9]'");
  fs::path deb;
  for (const auto& e : fs::directory_iterator(work))
    if (e.path().extension() == ".deb") deb = e.path();
  if (deb.empty()) throw KernelError("apt-get download " + package + " left no .deb");
  log("unpacking " + deb.filename().string());
  require_ok(run({"dpkg-deb", "-x", deb.string(), (work / "root").string()}), "dpkg-deb -x", "");
  fs::remove(deb, ec);

  fs::path vmlinuz, moddir;
  for (const auto& e : fs::directory_iterator(work / "root" / "boot", ec))
    if (e.path().filename().string().rfind("vmlinuz-", 0) == 0) vmlinuz = e.path();
  if (vmlinuz.empty()) throw KernelError(package + " has no boot/vmlinuz-*: not a kernel image package");
  std::string release = vmlinuz.filename().string().substr(8);
  moddir = work / "root" / "lib" / "modules" / release;

  Kernel k{(dir / "vmlinuz").string(), release, package, {}};
  std::string order_file;
  if (fs::exists(moddir)) {
    require_ok(run({"depmod", "-b", (work / "root").string(), release}), "depmod -b", "apt-get install kmod");
    std::vector<std::string> missing;
    auto order = module_load_order(read_file_or_throw((moddir / "modules.dep").string()), disk_modules(), missing);
    for (const auto& m : missing) log("module " + m + " is not a module of " + release + " (built in?)");
    for (const auto& rel : order) {
      fs::path src = moddir / rel;
      std::string name = src.filename().string();
      std::string plain = name.substr(0, name.find(".ko")) + ".ko";
      fs::path dst = work / "out" / "modules" / plain;
      // busybox insmod takes plain .ko files: decompress .ko.xz/.ko.zst here.
      if (name.size() > 3 && name.substr(name.size() - 3) == ".ko") {
        fs::copy_file(src, dst, ec);
        if (ec) throw KernelError("cannot copy " + src.string() + ": " + ec.message());
      } else {
        std::string tool = name.ends_with(".xz") ? "xz" : name.ends_with(".zst") ? "zstd" : name.ends_with(".gz") ? "gzip" : "";
        if (tool.empty()) throw KernelError("unknown module compression: " + name);
        ProcessResult r = run({tool, "-dc", src.string()});
        require_ok(r, tool + " -dc " + name, "apt-get install " + (tool == "xz" ? std::string("xz-utils") : tool));
        write_file_atomic(dst.string(), r.out);
      }
      order_file += plain + "\n";
    }
  }
  fs::rename(vmlinuz, work / "out" / "vmlinuz");
  write_file_atomic((work / "out" / "release").string(), release + "\n");
  write_file_atomic((work / "out" / "modules.order").string(), order_file);
  write_file_atomic((work / "out" / "modules.wanted").string(), wanted);
  if (fs::exists(dir) && !load()) fs::remove_all(dir, ec);  // an outdated cache entry
  fs::rename(work / "out", dir, ec);
  if (ec && !fs::exists(dir / "release")) throw KernelError("cannot fill the cache " + dir.string() + ": " + ec.message());
  // (Another harness may have filled it first: then ours is dropped with `work`.)
  auto cached = load();
  if (!cached) throw KernelError("the kernel cache " + dir.string() + " is unreadable");
  log("cached " + package + " (" + release + ", " + std::to_string(cached->modules.size()) + " modules) in " + dir.string());
  return *cached;
}

}  // namespace oomlab::vm
