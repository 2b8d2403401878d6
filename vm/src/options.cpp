#include "options.hpp"

#include <cctype>
#include <filesystem>
#include <cstdlib>
#include <string_view>

#include "guard.hpp"
#include "kernel_series.hpp"
#include "oomlab/common/units.hpp"

namespace oomlab::vm {
namespace {

constexpr std::uint64_t kMinGuestMem = 128ull << 20;   // the Debian kernel + initramfs need ~100 MiB
constexpr std::uint64_t kMaxGuestMem = 64ull << 30;
constexpr std::uint64_t kMinDisk = 16ull << 20;

std::uint64_t size_arg(std::string_view flag, const std::string& value) {
  auto bytes = parse_size(value);
  if (!bytes) throw UsageError(std::string(flag) + ": not a size: '" + value + "' (e.g. 512M, 1G)");
  return *bytes;
}

std::chrono::milliseconds duration_arg(std::string_view flag, const std::string& value) {
  auto d = parse_duration(value);
  if (!d || d->count() <= 0)
    throw UsageError(std::string(flag) + ": not a positive duration: '" + value + "' (e.g. 90s, 5m)");
  return *d;
}

}  // namespace

const char* run_usage() {
  return R"(usage: oomlab-vm run SCENARIO [options] [-- scenario options]
       oomlab-vm run --guest-cmd 'SHELL COMMAND' [options]

Boots a kernel in qemu with a busybox initramfs carrying the oomlab binaries,
runs `oomlab-repro run SCENARIO ... --json` inside (or a shell command), and
writes reports/<UTC>-vm-<scenario>/{serial.log,report.json,report.html}.

kernel:
  --kernel FILE            boot this bzImage (no modules: --disk needs virtio_blk and ext4 built in)
  --kernel SERIES          6.1, 6.1-rt (PREEMPT_RT), 6.12 or 6.12-rt: today's Debian package of it
  --kernel-package NAME    Debian package to fetch, e.g. linux-image-6.1.0-56-amd64
                           (default: the one linux-image-amd64 depends on)
machine:
  --mem SIZE               guest memory, 128M..64G (default 512M); no swap
  --cpus N                 vCPUs, 1..64 (default 2)
  --accel auto|kvm|tcg     default auto: KVM when it works here, TCG otherwise
  --disk                   attach an ext4 virtio disk as the scenario's working
                           directory (page cache that can be reclaimed)
  --disk-size SIZE         default 2G (a sparse file: host disk is used only
                           for what the guest writes)
  --disk-iops N            hold the disk to N requests per second, --disk-bps SIZE to
                           SIZE bytes per second (qemu throttling; both imply --disk):
                           reads the host's page cache answers then cost the guest what
                           a real disk's would (page-cache-thrash; vm/README.md)
  --append ARGS            extra kernel command line
root file system:
  --rootfs debian          boot a Debian 12 disk with systemd as PID 1 (built once with
                           mmdebstrap as root, then cached) with oomlab installed
  --guard NAME             with --rootfs debian: enable this packaged service before the
                           scenario: oomlab-watchdog, systemd-oomd, earlyoom, nohang, none
  --guard-config default|tuned
                           the packages' own configuration (default), or each guard set to
                           act after 5 s of pressure where it has such a setting
  --rootfs-cache DIR       Debian trees and images (default $OOMLAB_ROOTFS_CACHE, else
                           CACHE_DIR/rootfs)
  --build-dir DIR          the CMake build tree to install (default: BIN_DIR/..)
  --oomlab-deb FILE        unpack this oomlab package into the root instead (dpkg-deb -x)
guest:
  --watchdog               run oomlab-watchdog in the guest next to the scenario
  --watchdog-arg ARG       pass ARG to oomlab-watchdog (repeatable)
  --guest-cmd CMD          run CMD with busybox sh instead of a scenario, in the
                           cgroup v2 group $OOMLAB_CGROUP
  --guest-limit SIZE       memory.max of that group (default: none)
time:
  --timeout T              hard limit for the whole VM (default 3m): then sysrq
                           t/w/m dumps and the VM is killed
  --stall-timeout T        no console output for T once init runs (default
                           30s): the same
output:
  --reports DIR            default ./reports
  --report-dir DIR         this run's directory itself, instead of
                           REPORTS/<UTC>-vm-NAME (must be absent or empty): a
                           caller knows where report.json is without reading
                           it out of the output
  --bin-dir DIR            oomlab binaries to pack (default: next to oomlab-vm)
  --cache-dir DIR          kernels and initramfs images (default ~/.cache/oomlab)
  --show-console           copy the serial console to stderr while it runs

exit: 0 the guest ran to the end and reported, 1 it did not (timeout, stall,
crash: see the report), 2 bad usage or input, 3 this machine cannot run the VM.
)";
}

RunOptions parse_run_options(const std::vector<std::string>& args) {
  RunOptions o;
  bool have_limit = false, have_guard = false, have_timeout = false, have_disk = false;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--") {
      o.scenario_args.assign(args.begin() + static_cast<long>(i) + 1, args.end());
      break;
    }
    auto value = [&]() -> const std::string& {
      if (i + 1 >= args.size()) throw UsageError(a + ": missing value");
      return args[++i];
    };
    if (a == "--kernel") {
      const std::string& v = value();
      std::error_code ec;
      if (find_kernel_series(v) && !std::filesystem::exists(v, ec)) o.kernel_series = v;
      else o.kernel_path = v;
    }
    else if (a == "--rootfs") {
      o.rootfs = value();
      if (o.rootfs != "debian") throw UsageError("--rootfs: only 'debian' (the default guest is the busybox initramfs), not '" + o.rootfs + "'");
    } else if (a == "--guard") {
      o.guard = value();
      if (!parse_guard(o.guard)) throw UsageError("--guard: oomlab-watchdog, systemd-oomd, earlyoom, nohang or none, not '" + o.guard + "'");
      have_guard = true;
    } else if (a == "--guard-config") {
      const std::string& v = value();
      if (v != "default" && v != "tuned") throw UsageError("--guard-config: default or tuned, not '" + v + "'");
      o.guard_tuned = v == "tuned";
      have_guard = true;
    } else if (a == "--rootfs-cache") o.rootfs_cache = value();
    else if (a == "--build-dir") o.build_dir = value();
    else if (a == "--oomlab-deb") o.oomlab_deb = value();
    else if (a == "--kernel-package") o.kernel_package = value();
    else if (a == "--mem") o.mem_bytes = size_arg(a, value());
    else if (a == "--cpus") {
      const std::string& v = value();
      char* end = nullptr;
      long n = std::strtol(v.c_str(), &end, 10);
      if (v.empty() || *end != '\0' || n < 1 || n > 64) throw UsageError("--cpus: not 1..64: '" + v + "'");
      o.cpus = static_cast<int>(n);
    } else if (a == "--accel") {
      const std::string& v = value();
      if (v == "auto") o.accel = Accel::automatic;
      else if (v == "kvm") o.accel = Accel::kvm;
      else if (v == "tcg") o.accel = Accel::tcg;
      else throw UsageError("--accel: auto, kvm or tcg, not '" + v + "'");
    } else if (a == "--watchdog") o.watchdog = true;
    else if (a == "--watchdog-arg") o.watchdog_args.push_back(value());
    else if (a == "--disk") o.disk = have_disk = true;
    else if (a == "--disk-size") { o.disk_bytes = size_arg(a, value()); o.disk = have_disk = true; }
    else if (a == "--disk-iops") {
      const std::string& v = value();
      char* end = nullptr;
      long n = std::strtol(v.c_str(), &end, 10);
      if (v.empty() || *end != '\0' || n < 1 || n > 10000000) throw UsageError("--disk-iops: not 1..10000000: '" + v + "'");
      o.disk_iops = static_cast<std::uint64_t>(n);
      o.disk = have_disk = true;
    } else if (a == "--disk-bps") {
      o.disk_bps = size_arg(a, value());
      if (o.disk_bps < 4096) throw UsageError("--disk-bps: at least 4K (bytes per second)");
      o.disk = have_disk = true;
    }
    else if (a == "--guest-cmd") o.guest_cmd = value();
    else if (a == "--guest-limit") { o.guest_limit_bytes = size_arg(a, value()); have_limit = true; }
    else if (a == "--timeout") { o.timeout = duration_arg(a, value()); have_timeout = true; }
    else if (a == "--stall-timeout") o.stall_timeout = duration_arg(a, value());
    else if (a == "--append") o.append = value();
    else if (a == "--reports") o.reports_dir = value();
    else if (a == "--report-dir") o.report_dir = value();
    else if (a == "--bin-dir") o.bin_dir = value();
    else if (a == "--cache-dir") o.cache_dir = value();
    else if (a == "--show-console") o.show_console = true;
    else if (a.size() > 1 && a[0] == '-') throw UsageError("unknown option " + a);
    else if (o.scenario.empty()) o.scenario = a;
    else throw UsageError("unexpected argument '" + a + "' (scenario options go after --)");
  }
  if (o.scenario.empty() == o.guest_cmd.empty())
    throw UsageError(o.scenario.empty() ? "run: give a SCENARIO or --guest-cmd" : "run: SCENARIO and --guest-cmd exclude each other");
  if (!o.guest_cmd.empty() && !o.scenario_args.empty())
    throw UsageError("run: options after -- are for a scenario, not --guest-cmd");
  if (have_limit && o.guest_cmd.empty()) throw UsageError("--guest-limit goes with --guest-cmd (scenarios take -- --limit)");
  if ((!o.kernel_path.empty() || !o.kernel_series.empty()) && !o.kernel_package.empty())
    throw UsageError("--kernel and --kernel-package exclude each other");
  if (o.rootfs.empty()) {
    if (have_guard) throw UsageError("--guard and --guard-config go with --rootfs debian (the busybox guest takes --watchdog)");
    for (const std::string* s : {&o.rootfs_cache, &o.build_dir, &o.oomlab_deb})
      if (!s->empty()) throw UsageError("--rootfs-cache, --build-dir and --oomlab-deb go with --rootfs debian");
  } else {
    if (o.watchdog || !o.watchdog_args.empty())
      throw UsageError("--rootfs debian runs the watchdog as its service: --guard oomlab-watchdog, not --watchdog");
    if (have_disk) throw UsageError("--rootfs debian: the root is on a disk already (no --disk)");
    if (!o.kernel_path.empty()) throw UsageError("--rootfs debian boots a Debian kernel package (it needs its modules), not --kernel FILE");
    if (!o.build_dir.empty() && !o.oomlab_deb.empty()) throw UsageError("--build-dir and --oomlab-deb exclude each other");
    if (!have_timeout) o.timeout = std::chrono::minutes(8);  // systemd boots in tens of seconds under TCG
  }
  if (!o.kernel_package.empty() &&
      (o.kernel_package.rfind("linux-image-", 0) != 0 || o.kernel_package.find('/') != std::string::npos))
    throw UsageError("--kernel-package " + o.kernel_package + ": expected a Debian kernel package such as linux-image-6.1.0-56-amd64");
  if (o.mem_bytes < kMinGuestMem || o.mem_bytes > kMaxGuestMem)
    throw UsageError("--mem: " + format_size(o.mem_bytes) + " is outside 128M..64G");
  if (o.disk_bytes < kMinDisk) throw UsageError("--disk-size: at least 16M");
  if (o.guest_limit_bytes != 0 && o.guest_limit_bytes < (1u << 20)) throw UsageError("--guest-limit: at least 1M");
  if (o.stall_timeout >= o.timeout) o.stall_timeout = o.timeout;  // the hard limit comes first anyway
  for (char c : o.scenario)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.'))
      throw UsageError("run: scenario name '" + o.scenario + "' has characters outside [A-Za-z0-9._-]");
  if (o.cache_dir.empty()) o.cache_dir = default_cache_dir();
  if (!o.rootfs.empty() && o.rootfs_cache.empty()) {
    const char* env = std::getenv("OOMLAB_ROOTFS_CACHE");
    o.rootfs_cache = env && *env ? env : o.cache_dir + "/rootfs";
  }
  return o;
}

std::string default_cache_dir() {
  if (const char* d = std::getenv("OOMLAB_CACHE_DIR"); d && *d) return d;
  if (const char* d = std::getenv("XDG_CACHE_HOME"); d && *d) return std::string(d) + "/oomlab";
  if (const char* h = std::getenv("HOME"); h && *h) return std::string(h) + "/.cache/oomlab";
  return "/var/cache/oomlab";
}

}  // namespace oomlab::vm
