#include "vm_run.hpp"

#include <filesystem>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <stdlib.h>
#include <sstream>

#include "guard_wrap.hpp"
#include "oomlab/common/subprocess.hpp"

namespace fs = std::filesystem;

namespace oomlab::peers {

namespace {

// The guest's scenario parent: oomlab-repro's default --cgroup-parent. The
// run's own group (repro-<id>) is made by the runner after the guard has
// started, so the guard is pointed at this parent, which holds nothing else.
constexpr const char* kGuestParent = "/oomlab";

std::string shell_word(const std::string& w) {
  if (!w.empty() && w.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_=./:,%") ==
                        std::string::npos)
    return w;
  std::string q = "'";
  for (char ch : w) q += ch == '\'' ? std::string("'\\''") : std::string(1, ch);
  return q + "'";
}

std::string guard_line(GuardKind g) {
  switch (g) {
    case GuardKind::oomlab: {
      // The host's command (guard_command): scoped to the scenario's groups,
      // with the group PSI rule at nohang's level (some avg10 >= 25%). In the
      // guest the memory root is /sys/fs/cgroup (cgroup v2).
      Target t{kGuestParent, std::string("/sys/fs/cgroup") + kGuestParent + "/memory.pressure", "/tmp"};
      std::string line;
      for (const auto& w : guard_command(g, t, "oomlab-watchdog")) line += (line.empty() ? "" : " ") + shell_word(w);
      return line;
    }
    // earlyoom acts for real here (the guest is the scenario's machine);
    // on the host it runs with --dryrun.
    case GuardKind::earlyoom: return "earlyoom -r 0";
    default: return "";
  }
}

}  // namespace

// Why page-cache-thrash needs its own sizes in the guest (bench/peers/RESULTS.md,
// "the test VM thrashes", measured in the guest with /proc/vmstat and the
// group's memory.pressure): the defaults (ballast 50%, working set 100% of
// the limit) are sized against the limit, 384M here, but the guest gives the
// group only ~283 MiB (MemTotal 339 MiB; the initramfs lives in RAM). What is
// left for page cache (~90 MiB) is then a quarter of the 384 MiB file set, so
// every refault's distance exceeds the active file list: workingset_activate_file
// stayed 0, the kernel saw a streaming read and not a thrash, and memory PSI
// counted only direct reclaim (some 15-21%, under the 25% line). A throttled disk
// only made the same reads slow (io PSI, not memory). With ballast 37% (142M,
// half of what the guest gives) and a file set of 44% (169M, ~1.2x the
// ~137 MiB of cache left), the readers re-touch pages while they are resident,
// the active list forms, the refaults are activations, and memory PSI some
// holds 35-70% from ~11 s into the run to its end. Set for the 384M guest;
// --scenario-args replaces it.
std::vector<std::string> vm_scenario_args(const std::string& scenario, const std::vector<std::string>& given) {
  if (!given.empty() || scenario != "page-cache-thrash") return given;
  return {std::begin(kVmThrashArgs), std::end(kVmThrashArgs)};
}

std::string guest_script(const VmRunConfig& c) {
  std::string g = guard_line(c.guard);
  std::string s;
  s += "dmesg -n 1\n";  // kernel lines stay in /dev/kmsg (oomlab-repro reads them) and off the console
  // The harness (this shell, wrap, oomlab-repro) is the measuring instrument
  // and the group's limit is the whole guest: unprotected, the global OOM
  // killer (or earlyoom) took oomlab-repro or this shell in shmem-fill and
  // pipe-fill and the run gave no figures. The harness runs at -1000; the
  // workload and the guard start at 0 (drop_inherited_oom_protection).
  s += "echo -1000 > /proc/self/oom_score_adj\n";
  s += "w=\n";
  // The parent exists before the guard starts: the watchdog's PSI trigger
  // is opened on its memory.pressure at start-up.
  s += std::string("mkdir -p /sys/fs/cgroup") + kGuestParent + "\n";
  if (!g.empty()) s += "oomlab-bench-peers wrap --out /tmp/guard.json -- " + g + " & w=$!\nsleep 1\n";
  s += "oomlab-repro run " + c.scenario + " --limit " + c.mem + " --duration " + std::to_string(c.duration.count()) +
       "s --period 100ms --stall-threshold " + std::to_string(kActAfterSeconds) + "s --json --report-dir \"$TMPDIR/run\"";
  for (const auto& w : vm_scenario_args(c.scenario, c.scenario_args)) s += " " + shell_word(w);
  s += " > /tmp/sum.json 2>/tmp/repro.err\n";
  s += "echo \"PEERS-REPRO-EXIT $?\"\n";
  s += "[ -n \"$w\" ] && { kill $w; wait $w; }\n";
  // --report-dir named the report's directory: nothing to read out of the summary.
  s += "r=\"$TMPDIR/run/report.json\"\n";
  s += "[ -f \"$r\" ] || tail -n 5 /tmp/repro.err\n";
  s += "echo PEERS-REPORT-BEGIN; [ -f \"$r\" ] && cat \"$r\"; echo; echo PEERS-REPORT-END\n";
  s += "echo PEERS-GUARD-BEGIN; cat /tmp/guard.json 2>/dev/null; echo; echo PEERS-GUARD-END\n";
  return s;
}

std::string between_markers(const std::string& serial, const std::string& begin, const std::string& end) {
  std::istringstream in(serial);
  std::string line, out;
  bool inside = false;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line == begin) {
      inside = true;
      out.clear();
    } else if (line == end && inside) {
      return out;
    } else if (inside && line.rfind("oomlab-guest: ", 0) != 0) {
      out += line + "\n";
    }
  }
  return "";
}

RunResult run_in_vm(const VmRunConfig& c, std::string& log) {
  RunResult failed;
  failed.scenario = c.scenario;
  failed.guard = std::string(guard_name(c.guard));
  const fs::path dir = fresh_report_dir(c.work_dir);
  ProcessSpec spec;
  spec.argv = {c.bin_dir + "/oomlab-vm", "run", "--guest-cmd", guest_script(c), "--mem", c.mem, "--timeout", "240s",
               "--stall-timeout", "60s", "--report-dir", dir.string(), "--bin-dir", c.bin_dir,
               // TCG on a loaded host: the boot-time IO-APIC timer check can fail and panic.
               "--append", "no_timer_check"};
  // Page cache the guest can reclaim needs a disk: the initramfs is RAM. mmap-lock-hold's churn reads a
  // sparse file, which on tmpfs holds no pages at all, so without a disk it makes no pressure.
  if (c.scenario == "page-cache-thrash" || c.scenario == "mmap-lock-hold") {
    spec.argv.push_back("--disk");
    // qemu answers the guest's reads from the host's page cache: a refault
    // costs microseconds and the guest never thrashes. Throttled, each read
    // costs what a real disk's would (vm/README.md).
    if (!c.disk_iops.empty()) spec.argv.insert(spec.argv.end(), {"--disk-iops", c.disk_iops});
  }
  std::string extra = c.bin_dir + "/oomlab-bench-peers";
  if (c.guard == GuardKind::earlyoom) extra += ":/usr/bin/earlyoom";
  spec.env = {{"OOMLAB_VM_EXTRA_BINARIES", extra}};
  spec.timeout = std::chrono::seconds(300);
  if (!run_oomlab_vm(spec, dir, log, failed.error)) {
    std::error_code ec;
    if (fs::is_empty(dir, ec)) fs::remove(dir, ec);
    return failed;
  }
  const std::string serial = read_text(dir / "serial.log");
  auto report = formats::decode_report(between_markers(serial, "PEERS-REPORT-BEGIN", "PEERS-REPORT-END"));
  if (!report) {
    // The group's limit is the whole guest, so a fill the group limit never
    // stops (shmem) ends in a global OOM kill, which can pick oomlab-repro.
    const bool killed = serial.find("PEERS-REPRO-EXIT 137") != std::string::npos;
    failed.error = std::string(killed ? "oomlab-repro was SIGKILLed in the guest (global OOM kill)"
                                      : "no oomlab-repro report on the console") +
                   " (" + (dir / "serial.log").string() + ")";
    return failed;
  }
  WrappedGuard w;
  std::optional<std::int64_t> started;
  if (c.guard != GuardKind::none) {
    auto gw = formats::decode_wrapped_guard(between_markers(serial, "PEERS-GUARD-BEGIN", "PEERS-GUARD-END"));
    if (!gw) {
      failed.error = "no guard record on the console (" + (dir / "serial.log").string() + ")";
      return failed;
    }
    w = std::move(*gw);
    started = w.started_realtime_ms;
  }
  RunResult r = measure_run(*report, c.guard, parse_guard_kills(c.guard, w.lines), started, w.cost);
  for (std::size_t i = w.lines.size() > 15 ? w.lines.size() - 15 : 0; i < w.lines.size(); ++i)
    r.guard_tail.push_back(w.lines[i].text);
  std::error_code ec;
  fs::remove_all(dir, ec);  // serial logs of every run would be large; the figures are kept
  return r;
}

fs::path fresh_report_dir(const std::string& work_dir) {
  const fs::path parent = fs::path(work_dir) / "vm-reports";
  fs::create_directories(parent);
  std::string tmpl = (parent / "run-XXXXXX").string();
  if (!mkdtemp(tmpl.data())) throw std::runtime_error("cannot create a directory in " + parent.string());
  return tmpl;
}

std::optional<formats::VmReport> run_oomlab_vm(const ProcessSpec& spec, const fs::path& dir, std::string& log,
                                               std::string& error) {
  ProcessResult p = run_process(spec);
  log = p.err.size() > 2000 ? p.err.substr(p.err.size() - 2000) : p.err;
  std::string why;
  const std::string text = read_text(dir / "report.json");
  auto report = text.empty() ? std::nullopt : formats::decode_vm_report(text, &why);
  if (!report)
    error = "oomlab-vm gave no report (exit " + std::to_string(p.exit_code) + (why.empty() ? "" : ", " + why) + ")";
  return report;
}

std::string read_text(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream buf;
  buf << in.rdbuf();
  return buf.str();
}

}  // namespace oomlab::peers
