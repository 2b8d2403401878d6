// oomlab-vm: boot a kernel in qemu with the oomlab binaries, run a scenario
// (or a shell command) inside, and write the serial log, the report and the
// analyzer's verdict to reports/<UTC>-vm-<name>/.
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <unistd.h>

#include "debian_guest.hpp"
#include "fs_util.hpp"
#include "guard.hpp"
#include "initramfs.hpp"
#include "kernel.hpp"
#include "kernel_series.hpp"
#include "matrix.hpp"
#include "oomlab/common/clock.hpp"
#include "oomlab/common/subprocess.hpp"
#include "oomlab/common/units.hpp"
#include "oomlab/formats/run_summary.hpp"
#include "oomlab/formats/scenario_list.hpp"
#include "oomlab/formats/vm_report.hpp"
#include "options.hpp"
#include "qemu.hpp"
#include "report.hpp"
#include "rootfs.hpp"
#include "serial_log.hpp"
#include "session.hpp"

namespace fs = std::filesystem;
using namespace oomlab;
using namespace oomlab::vm;

namespace {

constexpr int kExitIncomplete = 1, kExitUsage = 2, kExitEnvironment = 3;

const char* kUsage = R"(usage: oomlab-vm run SCENARIO [options] [-- scenario options]
       oomlab-vm run --guest-cmd 'SHELL COMMAND' [options]
       oomlab-vm fetch-kernel [--kernel-package NAME] [--cache-dir DIR]
       oomlab-vm matrix [--render-only] [...]   (scripts/kernel-matrix; matrix --help)
       oomlab-vm --help | run --help

Runs an oomlab scenario on a real kernel in qemu (a livelock cannot take the
host down there) and writes reports/<UTC>-vm-<name>/ with serial.log,
report.json (guest report + oomlab-analyze verdict + kernel + timing) and
report.html.
)";

void log(const std::string& msg) { std::fprintf(stderr, "oomlab-vm: %s\n", msg.c_str()); }

// An error the user can act on, with the exit code it deserves.
struct Failure {
  int code;
  std::string message;
};

std::string job_script(const RunOptions& o) {
  auto quoted_list = [](const std::vector<std::string>& v) {
    std::string s;
    for (const auto& a : v) s += (s.empty() ? "" : " ") + shell_quote(a);
    return s;
  };
  std::string s = "# written by oomlab-vm for this run\n";
  s += "export OOMLAB_MODE=" + std::string(o.guest_cmd.empty() ? "scenario" : "cmd") + "\n";
  s += "export OOMLAB_SCENARIO=" + shell_quote(o.scenario) + "\n";
  s += "export OOMLAB_SCENARIO_ARGS=" + shell_quote(quoted_list(o.scenario_args)) + "\n";
  s += "export OOMLAB_CMD=" + shell_quote(o.guest_cmd) + "\n";
  s += "export OOMLAB_CMD_LIMIT=" + (o.guest_limit_bytes ? std::to_string(o.guest_limit_bytes) : std::string()) + "\n";
  s += "export OOMLAB_WATCHDOG=" + std::string(o.watchdog ? "1" : "0") + "\n";
  s += "export OOMLAB_WATCHDOG_ARGS=" + shell_quote(quoted_list(o.watchdog_args)) + "\n";
  s += "export OOMLAB_DISK=" + std::string(o.disk ? "1" : "0") + "\n";
  return s;
}

Kernel get_kernel(const RunOptions& o) {
  if (!o.kernel_path.empty()) {
    try {
      return kernel_from_file(o.kernel_path);
    } catch (const KernelError& e) {
      throw Failure{kExitUsage, e.what()};
    }
  }
  try {
    std::string pkg = !o.kernel_package.empty()  ? o.kernel_package
                      : !o.kernel_series.empty() ? kernel_package_of_series(*find_kernel_series(o.kernel_series))
                                                 : default_kernel_package(o.cache_dir);
    return kernel_from_package(pkg, o.cache_dir, log);
  } catch (const KernelError& e) {
    throw Failure{kExitEnvironment, e.what()};
  }
}

// Scratch files of one run (the initrd with the job, the disk image): removed
// however the run ends.
struct Scratch {
  fs::path dir;
  ~Scratch() {
    std::error_code ec;
    if (!dir.empty()) fs::remove_all(dir, ec);
  }
};

// Scratch directories of harnesses that died by SIGKILL (their destructors
// never ran): removed when their pid no longer exists.
void remove_stale_scratch(const std::string& cache_dir) {
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(cache_dir, ec)) {
    std::string n = e.path().filename().string();
    if (n.rfind("run.", 0) != 0) continue;
    long pid = std::strtol(n.c_str() + 4, nullptr, 10);
    if (pid > 0 && kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH) fs::remove_all(e.path(), ec);
  }
}

std::string outcome_of(const SessionResult& s, const GuestOutput& g) {
  if (s.end == SessionEnd::interrupted) return "interrupted";
  if (g.exit_code) return "completed";
  if (!g.booted) return s.end == SessionEnd::exited ? "boot_failed" : "no_boot";
  if (s.end == SessionEnd::stalled) return "stalled";
  if (s.end == SessionEnd::timed_out) return "timed_out";
  return "guest_died";  // qemu exited without the guest finishing: panic, reboot
}

// The scenario's entry in `oomlab-repro list --json`: checks the name on the
// host (no VM boot for a typo) and says whether it needs a disk.
formats::ScenarioInfo scenario_entry(const std::string& bin_dir, const std::string& scenario) {
  ProcessSpec spec({bin_dir + "/oomlab-repro", "list", "--json"});
  spec.timeout = std::chrono::seconds(30);
  ProcessResult r = run_process(spec);
  std::string why;
  auto list = r.exit_code == 0 ? formats::decode_scenario_list(r.out, &why) : std::nullopt;
  if (!list)
    throw Failure{kExitEnvironment, "oomlab-repro list --json failed: " +
                                        (r.exit_code != 0 ? r.err.substr(0, r.err.find('\n')) : why)};
  std::string names;
  for (const auto& e : *list) {
    if (e.name == scenario) return e;
    names += (names.empty() ? "" : ", ") + e.name;
  }
  throw Failure{kExitUsage, "unknown scenario '" + scenario + "' (oomlab-repro list: " + names + ")"};
}

int run(RunOptions o) {
  std::string bin_dir = o.bin_dir.empty() ? self_exe_dir() : o.bin_dir;
  std::string qemu = find_qemu();
  if (qemu.empty()) throw Failure{kExitEnvironment, "qemu-system-x86_64 not found in PATH: apt-get install qemu-system-x86"};
  if (!o.scenario.empty() && !fs::is_regular_file(bin_dir + "/oomlab-repro"))
    throw Failure{kExitUsage, "oomlab-repro is not built in " + bin_dir + " (build the oomlab-repro target, or use --guest-cmd)"};
  const bool debian = o.rootfs == "debian";
  if (std::error_code ec; !o.report_dir.empty() && fs::exists(o.report_dir, ec) && !fs::is_empty(o.report_dir, ec))
    throw Failure{kExitUsage, "--report-dir " + o.report_dir + " exists and is not empty (it holds one run)"};
  if (!o.scenario.empty() && !o.disk && !debian && scenario_entry(bin_dir, o.scenario).needs_disk) {
    log(o.scenario + " needs reclaimable page cache: attaching an ext4 disk (--disk)");
    o.disk = true;
  }

  Kernel kernel = get_kernel(o);
  log("kernel " + (kernel.package.empty() ? kernel.vmlinuz : kernel.package) + " (" +
      (kernel.release.empty() ? "release unknown" : kernel.release) + ")");
  if (o.disk && kernel.modules.empty()) log("warning: no modules for --disk with --kernel: virtio_blk and ext4 must be built in");

  InitramfsInputs inputs;
  try {
    inputs.busybox = find_busybox();
  } catch (const std::exception& e) {
    throw Failure{kExitEnvironment, e.what()};
  }
  inputs.binaries = guest_binaries(bin_dir);
  inputs.modules = kernel.modules;
  // The Debian guest: oomlab is installed in its root disk; the initramfs only
  // loads the disk's modules and starts systemd from it.
  RootfsImage rootfs;
  DebianJob debian_job;
  if (debian) {
    if (!o.scenario.empty()) scenario_entry(bin_dir, o.scenario);  // a typo fails here, not after a boot
    if (kernel.modules.empty()) throw Failure{kExitUsage, "--rootfs debian needs the kernel's virtio and ext4 modules"};
    inputs.binaries.clear();
    inputs.init_script = std::string(debian_init_script());
    RootfsConfig rc;
    rc.cache_dir = o.rootfs_cache;
    rc.bin_dir = bin_dir;
    rc.build_dir = o.build_dir;
    rc.deb = o.oomlab_deb;
    try {
      rootfs = debian_rootfs(rc, log);
    } catch (const RootfsError& e) {
      throw Failure{kExitEnvironment, std::string("Debian root: ") + e.what()};
    }
    log("Debian root " + rootfs.image + (rootfs.from_cache ? " (cached, " : " (built, ") + format_size(rootfs.bytes) +
        " sparse; oomlab from " + rootfs.oomlab_source + ")");
    debian_job.guard = *parse_guard(o.guard);
    debian_job.tuned = o.guard_tuned;
    debian_job.watchdog_config = rootfs.watchdog_config;
  }
  Initramfs base;
  try {
    base = build_initramfs(inputs, o.cache_dir);
  } catch (const std::exception& e) {
    throw Failure{kExitEnvironment, std::string("initramfs: ") + e.what()};
  }
  std::string packed;
  for (const auto& b : inputs.binaries) packed += (packed.empty() ? "" : ", ") + fs::path(b).filename().string();
  log("initramfs " + base.path + (base.from_cache ? " (cached" : " (built") + ", " + format_size(base.bytes) + ", " +
      std::to_string(base.libraries.size()) + " libraries; " + (packed.empty() ? "no oomlab binaries" : packed) + ")");

  std::string name = o.guest_cmd.empty() ? o.scenario : "cmd";
  std::string started_at = utc_iso8601(realtime_ms());
  fs::path run_dir = o.report_dir.empty() ? fs::path(o.reports_dir) / (utc_stamp() + "-vm-" + name) : fs::path(o.report_dir);
  std::error_code ec;
  fs::create_directories(run_dir, ec);
  if (ec) throw Failure{kExitEnvironment, "cannot create " + run_dir.string() + ": " + ec.message()};

  remove_stale_scratch(o.cache_dir);
  Scratch scratch{fs::path(o.cache_dir) / ("run." + std::to_string(getpid()))};
  fs::create_directories(scratch.dir, ec);
  if (ec) throw Failure{kExitEnvironment, "cannot create " + scratch.dir.string() + ": " + ec.message()};
  QemuConfig qc;
  qc.qemu = qemu;
  qc.mem_bytes = o.mem_bytes;
  qc.cpus = o.cpus;
  qc.kernel = kernel.vmlinuz;
  qc.initrd = (scratch.dir / "initrd.cpio").string();
  // The base image followed by the job: the kernel unpacks both, in order.
  if (debian) {
    debian_job.generic_env = job_script(o);
    write_file_atomic(qc.initrd, read_file_or_throw(base.path) + debian_job_archive(debian_job));
    qc.disk = rootfs.image;
    qc.disk_snapshot = true;  // the cached image stays as built
  } else {
    write_file_atomic(qc.initrd, read_file_or_throw(base.path) + job_archive(job_script(o)));
  }
  if (o.disk) {
    fs::create_directories(scratch.dir / "disk-root" / "work");
    qc.disk = (scratch.dir / "disk.img").string();
    qc.disk_iops = o.disk_iops, qc.disk_bps = o.disk_bps;
    ProcessSpec mkfs({"mkfs.ext4", "-q", "-F", "-d", (scratch.dir / "disk-root").string(), qc.disk,
                      std::to_string(o.disk_bytes >> 10) + "k"});
    mkfs.timeout = std::chrono::seconds(60);
    ProcessResult r = run_process(mkfs);
    if (r.exit_code != 0)
      throw Failure{kExitEnvironment, "mkfs.ext4 -d failed (apt-get install e2fsprogs): " + r.err.substr(0, r.err.find('\n'))};
  }
  qc.append = "console=ttyS0,115200 panic=-1 loglevel=7 sysrq_always_enabled=1 oops=panic hung_task_panic=0 rdinit=/init";
  if (debian) qc.append += " " + debian_kernel_append();
  if (!o.append.empty()) qc.append += " " + o.append;

  AccelChoice accel = choose_accel(qemu, o.accel == Accel::kvm, o.accel == Accel::tcg, qc.kernel,
                                   (fs::path(o.cache_dir) / "accel-probe").string());
  qc.kvm = accel.kvm;
  log("accel " + accel.reason);

  SessionConfig sc;
  sc.argv = qemu_argv(qc);
  sc.serial_log_path = (run_dir / "serial.log").string();
  sc.stderr_path = (run_dir / "qemu.stderr").string();
  sc.timeout = o.timeout;
  sc.stall_timeout = o.stall_timeout;
  sc.boot_marker = std::string(kBootedMarker);
  sc.echo_console = o.show_console;
  log("booting (" + format_size(o.mem_bytes) + ", " + std::to_string(o.cpus) + " vCPU, timeout " +
      format_duration(o.timeout) + "); console in " + sc.serial_log_path);
  SessionResult s = run_session(sc);
  GuestOutput g = split_serial_log(s.serial);
  const std::string session = outcome_of(s, g);

  std::vector<std::string> guest_files;
  for (const auto& [file, body] : g.files) {
    write_file_atomic((run_dir / file).string(), body);
    guest_files.push_back(file);
  }
  formats::VmReport report;
  report.guest = guest_section(g, o.guest_cmd.empty());
  report.guest.files = guest_files;
  report.console_verdict = analyze_console(bin_dir, g.console, "serial.log");
  const RunStory story = run_story(session, report.guest.summary, report.console_verdict, guest_runner_report(g.files));
  const std::string& outcome = story.outcome;
  report.name = name, report.scenario = o.scenario, report.scenario_args = o.scenario_args;
  report.guest_cmd = o.guest_cmd, report.started_at = started_at;
  // One outcome: the guest runner's (its stall model saw PSI and task
  // states) when it reported one, else how the session ended.
  report.outcome = outcome, report.outcome_reason = story.reason, report.session = session;
  report.kernel = {g.kernel_release.empty() ? kernel.release : g.kernel_release, kernel.package, kernel.vmlinuz};
  report.machine = {accel.kvm ? "kvm" : "tcg", accel.reason, o.mem_bytes, o.cpus, o.disk || debian, o.watchdog, sc.argv};
  report.timing = {s.boot_ms, g.boot_uptime_s, s.elapsed_ms, o.timeout.count(), o.stall_timeout.count()};
  report.end = {to_string(s.end), s.exit_code, s.sysrq_sent, s.qemu_stderr};
  report.initramfs = {base.path, base.from_cache, base.bytes, packed, base.libraries};
  // One verdict, agreeing with the outcome (run_story); the serial
  // console's own analysis is kept whole beside it.
  report.verdict = {story.verdict, story.verdict_title, story.verdict_from, story.verdict_note};
  if (debian) {
    report.rootfs = formats::VmRootfs{"debian", rootfs.image, rootfs.from_cache, rootfs.bytes, rootfs.base_dir,
                                      rootfs.base_from_cache, rootfs.packages, rootfs.oomlab_source,
                                      rootfs.watchdog_unit, rootfs.watchdog_config,
                                      rootfs.watchdog_config_from_example};
    report.systemd = debian_systemd_report(g, debian_job);
  }
  write_file_atomic((run_dir / "report.json").string(), formats::encode_vm_report(report));
  write_file_atomic((run_dir / "report.html").string(), render_report_html(report, g.console));
  if (s.qemu_stderr.empty()) fs::remove(run_dir / "qemu.stderr", ec);

  if (!story.reason.empty()) std::printf("outcome: %s - %s\n", outcome.c_str(), story.reason.c_str());
  std::string how = session;
  if (g.exit_code) how += " (guest exit " + std::to_string(*g.exit_code) + ")";
  if (!s.sysrq_sent.empty()) how += ", sysrq t/w/m dumps taken";
  std::printf("%s: %s in %s, boot %s, %s\n", story.reason.empty() ? "outcome" : "vm session", how.c_str(),
              format_duration(std::chrono::milliseconds(s.elapsed_ms)).c_str(),
              s.boot_ms < 0 ? "never" : format_duration(std::chrono::milliseconds(s.boot_ms)).c_str(),
              accel.kvm ? "kvm" : "tcg");
  if (!story.verdict.empty()) {
    std::string v = story.verdict;
    const std::string& t = story.verdict_title;
    if (!t.empty() && t != story.verdict && t != story.reason) v += " - " + t;  // the reason is printed above
    std::printf("verdict: %s (from the %s)\n", v.c_str(), story.verdict_from.c_str());
  }
  else
    std::printf("verdict: none (%s)\n", report.console_verdict.error.empty() ? "?" : report.console_verdict.error.c_str());
  if (!story.verdict_note.empty()) std::printf("         %s\n", story.verdict_note.c_str());
  if (report.systemd) {
    const formats::VmSystemd& sd = *report.systemd;
    std::string line = o.guard;
    if (sd.guard_seen)
      line += std::string(sd.guard_ready ? " ready (" : " NOT ready (") + sd.guard_type + ")" +
              (sd.watchdog_pings_seen ? (*sd.watchdog_pings_seen ? ", watchdog pings seen" : ", no watchdog ping seen")
                                      : "") +
              ", " + (sd.guard_active_after.empty() ? "?" : sd.guard_active_after) + " after the scenario";
    std::printf("systemd: %s; guard: %s\n",
                sd.state ? (sd.state->system_state.empty() ? "?" : sd.state->system_state.c_str()) : "no state came back",
                line.c_str());
  }
  std::printf("report: %s\n", (run_dir / "report.json").c_str());
  if (session == "boot_failed" && !s.qemu_stderr.empty())
    log("qemu: " + s.qemu_stderr.substr(0, s.qemu_stderr.find('\n')));
  if (s.end == SessionEnd::interrupted) return 128 + s.signal;
  if (session == "boot_failed" && s.serial.empty() && !s.qemu_stderr.empty()) return kExitEnvironment;
  return session == "completed" ? 0 : kExitIncomplete;
}

int fetch_kernel(const std::vector<std::string>& args) {
  std::string pkg, cache = default_cache_dir();
  for (std::size_t i = 0; i < args.size(); ++i) {
    if ((args[i] == "--kernel-package" || args[i] == "--cache-dir") && i + 1 < args.size())
      (args[i] == "--cache-dir" ? cache : pkg) = args[i + 1], ++i;
    else throw UsageError("fetch-kernel: unexpected argument " + args[i]);
  }
  try {
    Kernel k = kernel_from_package(pkg.empty() ? default_kernel_package(cache) : pkg, cache, log);
    std::printf("%s %s %s\n", k.package.c_str(), k.release.c_str(), k.vmlinuz.c_str());
    return 0;
  } catch (const KernelError& e) {
    throw Failure{kExitEnvironment, e.what()};
  }
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  try {
    if (args.empty()) throw UsageError("give a command: run, fetch-kernel or matrix (see --help)");
    if (args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
      std::fputs(kUsage, stdout);
      std::printf("\n%s", run_usage());
      return 0;
    }
    std::vector<std::string> rest(args.begin() + 1, args.end());
    if (args[0] == "fetch-kernel") return fetch_kernel(rest);
    if (args[0] == "matrix") return matrix_main(rest);
    if (args[0] != "run") throw UsageError("unknown command '" + args[0] + "' (run, fetch-kernel, matrix)");
    for (const auto& a : rest) {
      if (a == "--") break;
      if (a == "--help" || a == "-h") {
        std::fputs(run_usage(), stdout);
        return 0;
      }
    }
    return run(parse_run_options(rest));
  } catch (const UsageError& e) {
    std::fprintf(stderr, "oomlab-vm: %s\n", e.what());
    return kExitUsage;
  } catch (const Failure& f) {
    std::fprintf(stderr, "oomlab-vm: %s\n", f.message.c_str());
    return f.code;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "oomlab-vm: %s\n", e.what());
    return kExitEnvironment;
  }
}
