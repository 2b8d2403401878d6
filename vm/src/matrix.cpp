#include "matrix.hpp"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <regex>
#include <set>
#include <stdexcept>
#include <unistd.h>

#include "fs_util.hpp"
#include "oomlab/common/subprocess.hpp"

namespace fs = std::filesystem;

namespace oomlab::vm {

const std::vector<std::string>& matrix_kernels() {
  static const std::vector<std::string> k = {"6.1", "6.1-rt", "6.12"};
  return k;
}

const std::vector<std::string>& matrix_scenarios() {
  static const std::vector<std::string> s = {"mmap-sem",   "mmap-lock-hold", "page-cache-thrash", "memory-high",
                                             "shmem-fill", "pipe-fill",      "dying-competition"};
  return s;
}

std::vector<std::string> matrix_scenario_args(const std::string& scenario) {
  // The guest's disk reads come from the host's page cache: the lock holder
  // needs slow reads (--io-delay) to hold the lock long enough.
  if (scenario == "mmap-lock-hold") return {"--limit", "160M", "--io-delay", "6s"};
  return {};
}

std::vector<std::string> merged_args(const std::vector<std::string>& common, const std::vector<std::string>& own) {
  std::set<std::string> own_opts;
  for (std::size_t i = 0; i < own.size(); i += 2) own_opts.insert(own[i]);
  std::vector<std::string> out;
  for (std::size_t i = 0; i + 1 < common.size(); i += 2)
    if (!own_opts.count(common[i])) out.insert(out.end(), {common[i], common[i + 1]});
  out.insert(out.end(), own.begin(), own.end());
  return out;
}

namespace {

std::string join(const std::vector<std::string>& v, const char* sep = " ") {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : sep) + x;
  return s;
}

std::string quoted(const std::string& s) { return "`" + s + "`"; }

}  // namespace

std::string matrix_cell_text(const formats::MatrixRun& c) {
  const formats::RunSummary* g = c.guest ? &*c.guest : nullptr;
  const std::string& verdict = c.verdict;
  const std::string analyzer = !verdict.empty() && verdict != "clean" ? "; analyzer " + quoted(verdict) : "";
  if (c.vm_outcome == "stalled") {
    // The guest's own heartbeat (outside the limited group) stopped: the whole machine stalled.
    std::string before;
    if (g && !g->outcome.empty())  // the runner's report came back first: the silence began after it
      before = " after the runner finished (" + quoted(g->outcome) + ", " + std::to_string(g->oom_kills) +
               " OOM kills, teardown " + (g->teardown.empty() ? "?" : g->teardown) + ")";
    return "**whole guest stalled**" + before + " (console silent 30 s, sysrq dumps, killed)" + analyzer;
  }
  if (c.vm_outcome != "completed" || !g || g->outcome.empty())
    return "VM " + (c.vm_outcome.empty() ? std::string("None") : c.vm_outcome);
  std::string text = quoted(g->outcome);
  if (g->oom_kills) {
    text += ", " + std::to_string(g->oom_kills) + " OOM kill" + (g->oom_kills == 1 ? "" : "s");
    if (g->kill_to_freed_ms) text += ", freed " + std::to_string(*g->kill_to_freed_ms) + " ms after the first";
  } else if (g->outcome != "oom_resolved") {
    text += ", no OOM kill";
  }
  // The stall's length as the runner's line says it (older summaries carry no
  // other field for it): "no progress for 14.4 s" (older runners), "no
  // progress from +0.5s for 10.3 s" (the shared stall model's; the Python
  // script this replaces missed that form).
  static const std::regex stall_re(R"(no progress (?:from \S+ )?for ([\d.]+ ?s))");
  if (std::smatch m; std::regex_search(g->reason, m, stall_re)) text += ", no progress for " + m[1].str();
  return text + analyzer;
}

namespace {

std::pair<std::string, std::string> outcome_key(const formats::MatrixRun& r) {
  return {r.vm_outcome, r.guest ? r.guest->outcome : ""};
}

}  // namespace

std::string matrix_runs_text(const std::vector<formats::MatrixRun>& runs) {
  if (runs.empty()) return "not run";
  if (runs.size() == 1) return matrix_cell_text(runs[0]);
  const auto last = outcome_key(runs.back());
  if (std::all_of(runs.begin(), runs.end(), [&](const auto& r) { return outcome_key(r) == last; }))
    return matrix_cell_text(runs.back()) + " (latest of " + std::to_string(runs.size()) + " runs, all alike)";
  std::string s = "runs differ: ";
  for (std::size_t i = 0; i < runs.size(); ++i)
    s += (i ? "; " : "") + std::string("run ") + std::to_string(i + 1) + ": " + matrix_cell_text(runs[i]);
  return s;
}

std::string render_matrix_table(const MatrixData& d) {
  static const std::vector<formats::MatrixRun> none;
  auto runs_of = [&](const std::string& k, const std::string& s) -> const std::vector<formats::MatrixRun>& {
    auto it = d.runs.find({k, s});
    return it == d.runs.end() ? none : it->second;
  };
  std::map<std::string, std::string> releases;
  std::string newest, args = "-";
  bool any = false;
  for (const auto& k : d.kernels)
    for (const auto& s : d.scenarios)
      for (const auto& r : runs_of(k, s)) {
        if (!releases.count(k)) releases[k] = r.kernel.release;
        newest = std::max(newest, r.measured_at.substr(0, 10));
        any = true;
        if (!r.own_args || r.own_args->empty()) args = join(r.scenario_args);  // the common arguments
      }
  std::vector<std::string> cols = {"host " + d.host.kernel + " (v1, by hand)"};
  for (const auto& k : d.kernels)
    cols.push_back("VM " + k + (releases.count(k) && !releases[k].empty() ? " (" + releases[k] + ")" : ""));
  std::string out = std::string(kMatrixBegin) + "\n\n";
  out += "VM columns: `scripts/kernel-matrix` (busybox guest, TCG, cgroup v2, no swap, `" + (any ? args : "-") +
         "`; a scenario's own arguments beside its name), raw results in [docs/kernel-matrix/](docs/kernel-matrix/), "
         "measured " + (any ? newest : "-") + " on a shared, loaded host. Host column: " +
         (d.host.note.empty() ? "-" : d.host.note) + ".\n\n";
  out += "| scenario | " + join(cols, " | ") + " |\n|---|";
  for (std::size_t i = 0; i < cols.size(); ++i) out += "---|";
  out += "\n";
  for (const auto& s : d.scenarios) {
    std::string host = "-";
    for (const auto& [name, text] : d.host.cells)
      if (name == s) host = text;
    std::vector<std::string> cells = {host};
    std::set<std::string> own;
    for (const auto& k : d.kernels) {
      const auto& runs = runs_of(k, s);
      cells.push_back(matrix_runs_text(runs));
      if (!runs.empty() && runs.back().own_args && !runs.back().own_args->empty()) own.insert(join(*runs.back().own_args));
    }
    std::string name = quoted(s);
    for (const auto& o : own) name += " " + quoted(o);
    for (auto& c : cells) std::replace(c.begin(), c.end(), '|', '/');  // a cell's text cannot end the cell
    out += "| " + name + " | " + join(cells, " | ") + " |\n";
  }
  return out + "\n" + kMatrixEnd;
}

std::optional<std::string> replace_matrix_table(const std::string& readme, const std::string& table) {
  const auto b = readme.find(kMatrixBegin);
  if (b == std::string::npos) return std::nullopt;
  const auto e = readme.find(kMatrixEnd, b);
  if (e == std::string::npos) return std::nullopt;
  return readme.substr(0, b) + table + readme.substr(e + std::string(kMatrixEnd).size());
}

namespace {

fs::path raw_dir(const std::string& root) { return fs::path(root) / "docs" / "kernel-matrix"; }
fs::path cell_path(const std::string& root, const std::string& k, const std::string& s) {
  return raw_dir(root) / k / (s + ".json");
}

}  // namespace

std::optional<MatrixData> load_matrix(const std::string& root, std::string* why) {
  MatrixData d;
  d.kernels = matrix_kernels(), d.scenarios = matrix_scenarios();
  for (const auto& k : d.kernels)
    for (const auto& s : d.scenarios) {
      const fs::path p = cell_path(root, k, s);
      auto text = read_file(p.string());
      if (!text) continue;  // never run
      std::string bad;
      auto cell = formats::decode_matrix_cell(*text, &bad);
      if (!cell) {
        if (why) *why = p.string() + ": " + bad;
        return std::nullopt;
      }
      d.runs[{k, s}] = std::move(cell->runs);
    }
  if (auto text = read_file((raw_dir(root) / "host.json").string())) {
    std::string bad;
    auto host = formats::decode_matrix_host(*text, &bad);
    if (!host) {
      if (why) *why = (raw_dir(root) / "host.json").string() + ": " + bad;
      return std::nullopt;
    }
    d.host = *host;
  }
  return d;
}

namespace {

struct MatrixOptions {
  bool render_only = false, add_runs = false;
  std::vector<std::string> kernels = matrix_kernels(), scenarios = matrix_scenarios();
  std::string limit = "256M", duration = "20s", accel = "tcg", root = ".";
  std::map<std::string, std::vector<std::string>> own;  // --scenario-args
  int runs = 1;
};

constexpr const char* kMatrixUsage = R"(usage: oomlab-vm matrix [--render-only] [--kernels 6.1,6.1-rt,6.12] [--scenarios A,B]
                        [--limit 256M] [--duration 20s] [--accel tcg|auto|kvm] [--runs N] [--add-runs]
                        [--scenario-args NAME='ARGS']... [--root DIR]
Runs every scenario on every Debian kernel series in the busybox guest, keeps every run of a
cell in DIR/docs/kernel-matrix/SERIES/SCENARIO.json and renders README.md's table (between
its kernel-matrix markers) from them and docs/kernel-matrix/host.json. --render-only only
renders. --runs N measures each cell N times; --add-runs keeps the cell's earlier runs made
with the same arguments. --root: the checkout (default: the current directory).
)";

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::size_t at = 0;
  for (std::size_t next; (next = s.find(sep, at)) != std::string::npos; at = next + 1)
    if (next > at) out.push_back(s.substr(at, next - at));
  if (at < s.size()) out.push_back(s.substr(at));
  return out;
}

// Thrown for a bad command line: one line, exit 2.
struct MatrixUsage : std::runtime_error {
  using std::runtime_error::runtime_error;
};

MatrixOptions parse(const std::vector<std::string>& args) {
  MatrixOptions o;
  auto known = [](const std::vector<std::string>& all, const std::string& what, const std::vector<std::string>& given) {
    for (const auto& g : given)
      if (std::find(all.begin(), all.end(), g) == all.end())
        throw MatrixUsage("unknown " + what + " " + g + " (" + join(all, ", ") + ")");
    return given;
  };
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= args.size()) throw MatrixUsage(a + " needs a value");
      return args[++i];
    };
    if (a == "--render-only") o.render_only = true;
    else if (a == "--add-runs") o.add_runs = true;
    else if (a == "--kernels") o.kernels = known(matrix_kernels(), "kernel series", split(value(), ','));
    else if (a == "--scenarios") o.scenarios = known(matrix_scenarios(), "scenario", split(value(), ','));
    else if (a == "--limit") o.limit = value();
    else if (a == "--duration") o.duration = value();
    else if (a == "--root") o.root = value();
    else if (a == "--accel") {
      o.accel = value();
      if (o.accel != "tcg" && o.accel != "auto" && o.accel != "kvm") throw MatrixUsage("--accel: tcg, auto or kvm");
    } else if (a == "--runs") {
      const std::string v = value();
      char* end = nullptr;
      long n = std::strtol(v.c_str(), &end, 10);
      if (v.empty() || *end || n < 1 || n > 20) throw MatrixUsage("--runs: expected 1..20, not '" + v + "'");
      o.runs = static_cast<int>(n);
    } else if (a == "--scenario-args") {
      const std::string item = value();
      const auto eq = item.find('=');
      const std::string name = item.substr(0, eq);
      if (eq == std::string::npos ||
          std::find(matrix_scenarios().begin(), matrix_scenarios().end(), name) == matrix_scenarios().end())
        throw MatrixUsage("--scenario-args NAME=ARGS with NAME one of " + join(matrix_scenarios(), ", ") + ", not '" +
                          item + "'");
      o.own[name] = split(item.substr(eq + 1), ' ');
      if (o.own[name].size() % 2) throw MatrixUsage("--scenario-args " + item + ": expected option/value pairs");
    } else {
      throw MatrixUsage("unexpected argument " + a);
    }
  }
  return o;
}

void say(const std::string& s) { std::fprintf(stderr, "kernel-matrix: %s\n", s.c_str()); }

// One `oomlab-vm run` of a cell, through its VM report; nullopt when none came back.
std::optional<formats::MatrixRun> run_cell(const MatrixOptions& o, const std::string& series,
                                           const std::string& scenario, const std::vector<std::string>& own) {
  std::string tmpl = (fs::temp_directory_path() / "kernel-matrix-XXXXXX").string();
  if (!mkdtemp(tmpl.data())) throw std::runtime_error("cannot create a directory in " + fs::temp_directory_path().string());
  const fs::path dir = tmpl;
  struct Cleanup {
    fs::path p;
    ~Cleanup() {
      std::error_code ec;
      fs::remove_all(p, ec);
    }
  } cleanup{dir};
  // no_timer_check: under TCG on a loaded host the boot-time IO-APIC timer check can fail and panic.
  std::vector<std::string> argv = {self_exe_dir() + "/oomlab-vm", "run", scenario, "--kernel", series,
                                   "--report-dir", (dir / "run").string(), "--timeout", "5m",
                                   "--append", "no_timer_check"};
  if (o.accel != "auto") argv.insert(argv.end(), {"--accel", o.accel});
  argv.push_back("--");
  for (const auto& a : merged_args({"--limit", o.limit, "--duration", o.duration}, own)) argv.push_back(a);
  say(join(argv));
  ProcessSpec spec(argv);
  spec.timeout = std::chrono::seconds(420);
  ProcessResult p = run_process(spec);
  auto text = read_file((dir / "run" / "report.json").string());
  std::string why = text ? "" : "no report.json";
  auto vm = text ? formats::decode_vm_report(*text, &why) : std::nullopt;
  if (!vm) {
    std::string err = p.err.size() > 400 ? p.err.substr(p.err.size() - 400) : p.err;
    say("no report (exit " + std::to_string(p.exit_code) + ", " + why + "): " + err);
    return std::nullopt;
  }
  return formats::matrix_run_of(*vm, series, own);
}

int render(const std::string& root) {
  std::string why;
  auto data = load_matrix(root, &why);
  if (!data) {
    say(why);
    return 2;
  }
  const std::string readme_path = (fs::path(root) / "README.md").string();
  auto readme = read_file(readme_path);
  auto updated = readme ? replace_matrix_table(*readme, render_matrix_table(*data)) : std::nullopt;
  if (!updated) {
    say(readme_path + (readme ? " has no kernel-matrix markers" : ": cannot read it"));
    return 2;
  }
  write_file_atomic(readme_path, *updated);
  say("README.md table rendered from " + raw_dir(root).string());
  return 0;
}

}  // namespace

int matrix_main(const std::vector<std::string>& args) {
  MatrixOptions o;
  try {
    for (const auto& a : args)
      if (a == "--help" || a == "-h") {
        std::fputs(kMatrixUsage, stdout);
        return 0;
      }
    o = parse(args);
  } catch (const MatrixUsage& e) {
    std::fprintf(stderr, "oomlab-vm matrix: %s\n", e.what());
    return 2;
  }
  if (!o.render_only) {
    std::string why;
    auto data = load_matrix(o.root, &why);  // a cell that does not decode stops us before hours of runs
    if (!data) {
      say(why);
      return 2;
    }
    for (const auto& k : o.kernels)
      for (const auto& s : o.scenarios) {
        const std::vector<std::string> own = o.own.count(s) ? o.own.at(s) : matrix_scenario_args(s);
        std::vector<formats::MatrixRun> runs;
        if (o.add_runs)
          for (const auto& r : data->runs[{k, s}])
            if (r.own_args.value_or(std::vector<std::string>{}) == own) runs.push_back(r);
        for (int n = 0; n < o.runs; ++n) {
          auto run = run_cell(o, k, s, own);
          if (run && (run->vm_outcome == "boot_failed" || run->vm_outcome == "no_boot"))
            run = run_cell(o, k, s, own);  // a guest that never booted: once more
          if (!run) continue;
          runs.push_back(*run);
          formats::MatrixCell cell;
          cell.series = k, cell.scenario = s, cell.runs = runs;
          fs::create_directories(raw_dir(o.root) / k);
          // After every run: an interrupted session keeps what it measured.
          write_file_atomic(cell_path(o.root, k, s).string(), formats::encode_matrix_cell(cell));
          say(k + " " + s + " run " + std::to_string(runs.size()) + ": " + matrix_cell_text(*run));
        }
      }
  }
  return render(o.root);
}

}  // namespace oomlab::vm
