#include "rootfs.hpp"

#include <algorithm>
#include <filesystem>
#include <set>
#include <sys/stat.h>
#include <unistd.h>

#include "fs_util.hpp"
#include "initramfs.hpp"
#include "libdeps.hpp"
#include "oomlab/common/subprocess.hpp"

namespace fs = std::filesystem;

namespace oomlab::vm {
namespace {

// Bump when what goes into the tree or the image changes: old caches are then unused.
constexpr const char* kBaseLayout = "oomlab-debian-base/1";
constexpr const char* kImageLayout = "oomlab-debian-image/1";
constexpr std::size_t kKeepImages = 2;

std::string first_line(std::string_view s) {
  while (!s.empty() && (s.front() == '\n' || s.front() == ' ')) s.remove_prefix(1);
  return std::string(s.substr(0, s.find('\n')));
}

ProcessResult run(std::vector<std::string> argv, int timeout_s, std::vector<std::pair<std::string, std::string>> env = {}) {
  ProcessSpec spec(std::move(argv));
  spec.timeout = std::chrono::seconds(timeout_s);
  spec.env = std::move(env);
  try {
    return run_process(spec);
  } catch (const std::exception& e) {
    throw RootfsError("cannot run " + spec.argv[0] + ": " + e.what());
  }
}

void require_ok(const ProcessResult& r, const std::string& what, const std::string& hint) {
  if (r.exit_code == 0) return;
  std::string why = r.exit_code == 127 ? "program not found" : r.timed_out ? "timed out" : "";
  if (why.empty()) {
    // mmdebstrap and apt put the cause on the last "E:" line.
    std::string_view text = r.err.empty() ? r.out : r.err;
    auto e = text.rfind("\nE: ");
    why = first_line(e != std::string_view::npos ? text.substr(e + 1) : text);
  }
  throw RootfsError(what + " failed: " + why + (hint.empty() ? "" : " (" + hint + ")"));
}

struct RemoveOnExit {
  fs::path p;
  ~RemoveOnExit() {
    std::error_code ec;
    if (!p.empty()) fs::remove_all(p, ec);
  }
};

// Every file of a tree by relative path, type, mode, link target and content.
void hash_tree(Fnv64& key, const fs::path& root) {
  std::vector<fs::path> entries;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(root, ec); it != fs::recursive_directory_iterator(); it.increment(ec))
    entries.push_back(it->path());
  std::sort(entries.begin(), entries.end());
  for (const auto& p : entries) {
    struct stat st {};
    if (lstat(p.c_str(), &st) != 0) continue;
    key.add_field(fs::relative(p, root).string());
    key.add_field(std::to_string(st.st_mode));
    if (S_ISLNK(st.st_mode)) key.add_field(fs::read_symlink(p, ec).string());
    else if (S_ISREG(st.st_mode)) key.add_field(read_file_or_throw(p.string()));
  }
}

std::uint64_t tree_bytes(const fs::path& root) {
  std::uint64_t sum = 0;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(root, ec); it != fs::recursive_directory_iterator(); it.increment(ec)) {
    struct stat st {};
    if (lstat(it->path().c_str(), &st) == 0) sum += static_cast<std::uint64_t>(st.st_blocks) * 512 + 4096;
  }
  return sum;
}

void prune(const fs::path& dir, const std::string& prefix, const fs::path& keep, std::size_t keep_n) {
  std::vector<std::pair<fs::file_time_type, fs::path>> found;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec))
    if (e.path().filename().string().rfind(prefix, 0) == 0 && e.path() != keep)
      found.emplace_back(e.last_write_time(ec), e.path());
  if (found.size() < keep_n) return;
  std::sort(found.begin(), found.end());
  for (std::size_t i = 0; i + keep_n <= found.size(); ++i) fs::remove_all(found[i].second, ec);
}

// The packages of the shared libraries the oomlab binaries load on this host
// (same Debian release as the guest): the guest gets them from the archive.
std::vector<std::string> runtime_packages(const std::string& bin_dir) {
  std::vector<std::string> libs;
  try {
    libs = resolve_libraries(guest_binaries(bin_dir));
  } catch (const std::exception& e) {
    throw RootfsError(std::string("the libraries of the oomlab binaries: ") + e.what());
  }
  std::vector<std::string> argv = {"dpkg", "-S"};
  for (const auto& l : libs) {
    argv.push_back(l);
    std::error_code ec;
    auto canonical = fs::canonical(l, ec).string();
    if (!ec && canonical != l) argv.push_back(canonical);
  }
  if (argv.size() == 2) return {};
  ProcessResult r = run(argv, 120);  // exit 1 when some path is unknown: the others still print
  return packages_from_dpkg_search(r.out);
}

// Where oomlab's files come from: a .deb, or the build tree's install rules.
std::string stage_oomlab(const RootfsConfig& c, const fs::path& stage) {
  fs::create_directories(stage);
  if (!c.deb.empty()) {
    if (!fs::is_regular_file(c.deb)) throw RootfsError("--oomlab-deb " + c.deb + ": no such file");
    require_ok(run({"dpkg-deb", "-x", c.deb, stage.string()}, 300), "dpkg-deb -x " + c.deb, "");
    return "dpkg-deb -x " + fs::absolute(c.deb).string();
  }
  std::string build = c.build_dir.empty() ? (fs::path(c.bin_dir) / "..").lexically_normal().string() : c.build_dir;
  if (!fs::is_regular_file(fs::path(build) / "cmake_install.cmake"))
    throw RootfsError("no CMake build tree to install oomlab from at " + build +
                      " (give --build-dir, or --oomlab-deb with a package)");
  // The configured prefix stays: the unit's ExecStart and --config paths were filled in with it.
  require_ok(run({"cmake", "--install", build, "--strip"}, 600, {{"DESTDIR", stage.string()}}),
             "cmake --install " + build, "build the project first");
  return "cmake --install " + fs::absolute(build).lexically_normal().string();
}

// tar keeps the tree's symlinked directories (/lib -> usr/lib on merged /usr)
// where cp -a would refuse to put a directory over them.
void copy_tree_into(const fs::path& from, const fs::path& to) {
  std::string cmd = "tar -C " + shell_quote(from.string()) + " -cf - . | tar -C " + shell_quote(to.string()) +
                    " -xpf - --keep-directory-symlink";
  require_ok(run({"sh", "-c", cmd}, 600), "copying " + from.string(), "");
}

// Peers installed, not enabled (their postinst enabled them): a run enables
// the one it compares. What `systemctl disable` does, without needing the
// host's systemctl: the symlinks in *.wants/ and the D-Bus alias go.
void disable_peers(const fs::path& tree) {
  static const std::set<std::string> kUnits = {"earlyoom.service", "nohang.service", "nohang-desktop.service",
                                               "systemd-oomd.service", "systemd-oomd.socket",
                                               "dbus-org.freedesktop.oom1.service"};
  std::error_code ec;
  std::vector<fs::path> links;
  for (auto it = fs::recursive_directory_iterator(tree / "etc" / "systemd" / "system", ec);
       it != fs::recursive_directory_iterator(); it.increment(ec))
    if (it->is_symlink(ec) && kUnits.count(it->path().filename().string())) links.push_back(it->path());
  for (const auto& l : links) fs::remove(l, ec);
}

}  // namespace

std::vector<std::string> debian_packages(const std::vector<std::string>& runtime) {
  std::set<std::string> all = {"systemd", "systemd-sysv", "systemd-oomd", "earlyoom", "nohang", "procps"};
  all.insert(runtime.begin(), runtime.end());
  return {all.begin(), all.end()};
}

std::vector<std::string> packages_from_dpkg_search(std::string_view text) {
  std::set<std::string> out;
  while (!text.empty()) {
    auto nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
    if (line.rfind("diversion by", 0) == 0 || line.rfind("dpkg-query:", 0) == 0) continue;
    auto sep = line.find(": /");
    if (sep == std::string_view::npos) continue;
    std::string_view names = line.substr(0, sep);  // "a:amd64, b:amd64" when several own the path
    while (!names.empty()) {
      auto comma = names.find(", ");
      std::string_view n = names.substr(0, comma);
      names = comma == std::string_view::npos ? std::string_view{} : names.substr(comma + 2);
      n = n.substr(0, n.find(':'));
      if (!n.empty() && n.find(' ') == std::string_view::npos) out.emplace(n);
    }
  }
  return {out.begin(), out.end()};
}

std::string config_path_of_unit(std::string_view unit) {
  while (!unit.empty()) {
    auto nl = unit.find('\n');
    std::string_view line = unit.substr(0, nl);
    unit = nl == std::string_view::npos ? std::string_view{} : unit.substr(nl + 1);
    if (line.rfind("ExecStart=", 0) != 0) continue;
    auto at = line.find(" --config ");
    if (at == std::string_view::npos) continue;
    std::string_view rest = line.substr(at + 10);
    return std::string(rest.substr(0, rest.find(' ')));
  }
  return {};
}

std::string cmake_cache_value(std::string_view text, std::string_view key) {
  while (!text.empty()) {
    auto nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
    if (line.size() > key.size() && line.substr(0, key.size()) == key && line[key.size()] == ':') {
      auto eq = line.find('=');
      if (eq != std::string_view::npos) return std::string(line.substr(eq + 1));
    }
  }
  return {};
}

RootfsImage debian_rootfs(const RootfsConfig& c, const std::function<void(const std::string&)>& log) {
  RootfsImage img;
  const fs::path cache = c.cache_dir;
  std::error_code ec;
  fs::create_directories(cache, ec);
  if (ec) throw RootfsError("cannot create the rootfs cache " + cache.string() + ": " + ec.message());
  const bool root = geteuid() == 0;

  // 1. The Debian tree, keyed by suite and package list.
  img.packages = debian_packages(runtime_packages(c.bin_dir));
  Fnv64 base_key;
  base_key.add_field(kBaseLayout);
  base_key.add_field(c.suite);
  for (const auto& p : img.packages) base_key.add_field(p);
  const fs::path base = cache / ("debian-" + c.suite + "-tree-" + base_key.hex());
  img.base_dir = base.string();
  if (fs::is_regular_file(base / "etc" / "debian_version", ec)) {
    img.base_from_cache = true;
  } else {
    if (!root) throw RootfsError("building the Debian root needs root (mmdebstrap, file ownership); later runs reuse " + cache.string());
    std::string include;
    for (const auto& p : img.packages) include += (include.empty() ? "" : ",") + p;
    fs::path tmp = cache / (".base.tmp." + std::to_string(getpid()));
    fs::remove_all(tmp, ec);
    RemoveOnExit cleanup{tmp};
    log("building the Debian " + c.suite + " root with mmdebstrap (" + std::to_string(img.packages.size()) +
        " packages beyond minbase) in " + tmp.string());
    require_ok(run({"mmdebstrap", "--quiet", "--variant=minbase", "--include=" + include, c.suite, tmp.string()}, 1800),
               "mmdebstrap", "apt-get install mmdebstrap; it needs the Debian archive");
    disable_peers(tmp);
    write_file_atomic((tmp / "etc" / "hostname").string(), "oomlab-guest\n");
    fs::rename(tmp, base, ec);
    if (ec && !fs::is_regular_file(base / "etc" / "debian_version"))
      throw RootfsError("cannot fill the rootfs cache " + base.string() + ": " + ec.message());
    cleanup.p = ec ? tmp : fs::path();  // another harness filled it first: ours goes
    prune(cache, "debian-" + c.suite + "-tree-", base, 1);
  }

  // 2. oomlab staged apart, so its content keys the image.
  fs::path scratch = cache / (".stage." + std::to_string(getpid()));
  fs::remove_all(scratch, ec);
  RemoveOnExit cleanup_stage{scratch};
  const fs::path stage = scratch / "oomlab";
  img.oomlab_source = stage_oomlab(c, stage);
  for (auto it = fs::recursive_directory_iterator(stage, ec); it != fs::recursive_directory_iterator(); it.increment(ec))
    if (it->path().filename() == "oomlab-watchdog.service" && it->is_regular_file())
      img.watchdog_unit = "/" + fs::relative(it->path(), stage).string();
  if (!img.watchdog_unit.empty()) {
    img.watchdog_config = config_path_of_unit(read_file_or_throw((stage / img.watchdog_unit.substr(1)).string()));
    fs::path conf = stage / img.watchdog_config.substr(img.watchdog_config.empty() ? 0 : 1);
    if (!img.watchdog_config.empty() && !fs::exists(conf) && fs::exists(conf.string() + ".example")) {
      // cmake --install ships the example only: the packaged default it stands for.
      fs::copy_file(conf.string() + ".example", conf, ec);
      img.watchdog_config_from_example = !ec;
    }
  }
  Fnv64 key;
  key.add_field(kImageLayout);
  key.add_field(base_key.hex());
  key.add_field(std::to_string(c.free_bytes));
  hash_tree(key, stage);
  const fs::path image = cache / ("debian-" + c.suite + "-image-" + key.hex() + ".ext4");
  img.image = image.string();
  if (fs::is_regular_file(image, ec)) {
    img.from_cache = true;
    img.bytes = fs::file_size(image, ec);
    fs::last_write_time(image, fs::file_time_type::clock::now(), ec);
    return img;
  }
  if (!root) throw RootfsError("building the Debian image needs root (it copies a root-owned tree); later runs reuse " + cache.string());

  // 3. Tree + oomlab -> ext4.
  const fs::path tree = scratch / "root";
  fs::create_directories(tree);
  log("making the ext4 image: Debian tree + " + img.oomlab_source);
  copy_tree_into(base, tree);
  copy_tree_into(stage, tree);
  std::uint64_t bytes = tree_bytes(tree) * 5 / 4 + c.free_bytes;
  bytes = (bytes + (1u << 20) - 1) & ~std::uint64_t{(1u << 20) - 1};
  const fs::path tmp_image = scratch / "image.ext4";
  require_ok(run({"mkfs.ext4", "-q", "-F", "-L", "oomlab-root", "-d", tree.string(), tmp_image.string(),
                  std::to_string(bytes >> 10) + "k"}, 900),
             "mkfs.ext4 -d", "apt-get install e2fsprogs");
  fs::rename(tmp_image, image, ec);
  if (ec && !fs::exists(image)) throw RootfsError("cannot move the image into " + image.string() + ": " + ec.message());
  img.bytes = bytes;
  prune(cache, "debian-" + c.suite + "-image-", image, kKeepImages);
  return img;
}

}  // namespace oomlab::vm
