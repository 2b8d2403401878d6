// oomlab-analyze: kernel logs in, "oomlab.verdict/1" JSON out.
// Exit status: 0 clean, 1 a finding, 2 bad input or usage.
#include <cstdio>
#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <stdexcept>
#include <string>
#include <system_error>
#include <unistd.h>
#include <vector>

#include "oomlab/analyzer/analyzer.hpp"
#include "oomlab/analyzer/output.hpp"
#include "oomlab/common/text.hpp"
#include "oomlab/common/units.hpp"
#include "oomlab/formats/watchdog_log.hpp"

namespace {

constexpr const char* kUsage = R"(usage: oomlab-analyze [options] [FILE...]
Reads kernel logs (dmesg, dmesg -T, journalctl -k, /dev/kmsg records, serial
console logs, mail-quoted logs) and prints a JSON verdict (schema
"oomlab.verdict/1"). Without FILE, or with "-", reads standard input.

options:
  --jsonl                  one compact JSON document per line, one per input
  --text                   a short human summary instead of JSON
  --stall-threshold DUR    stalling this long without an OOM kill is a silent
                           hang (default 30s)
  --victim-threshold DUR   an OOM victim still present this long after the kill
                           is a livelock (default 10s)
  --max-line BYTES         longer lines are cut and counted (default 8K)
  --name NAME              name of standard input in the output (default "-")
  --watchdog-log FILE      oomlab-watchdog's JSON lines (--json-log) of the same
                           time: merged into the one kernel log FILE by time, so
                           the verdict sees the reports the kernel's ratelimit
                           dropped from the log
  --watchdog-lines FILE    no verdict: print the text line of each record of
                           oomlab-watchdog's JSON lines FILE, one per line (as
                           it wrote them to stderr and the kernel log), read
                           through its codec; a record that does not decode
                           is an error (exit 2)
  --cgroup PATH            only what concerns memory cgroup PATH (as
                           oomlab-watchdog prints cgroup=, e.g. /oomlab/repro-1,
                           and below it): leaves out oomlab-watchdog's task,
                           warn, kill and escalate lines naming another cgroup,
                           the killed: lines of those kills, and with
                           --watchdog-log the lines of other oomlab-watchdog
                           processes; its MemAlloc-Info counts, machine-wide,
                           then count nothing (oomlab-repro passes its group)
  -h, --help               this text

Several files without --jsonl/--text give a JSON array of documents.
exit status: 0 clean, 1 at least one finding, 2 bad input or usage.
)";

int usage_error(const std::string& msg) {
  std::fprintf(stderr, "oomlab-analyze: %s (try --help)\n", msg.c_str());
  return 2;
}

// --watchdog-lines: the watchdog's JSON log back to its text lines, through
// formats/watchdog_log.hpp, so a script comparing them with the daemon's
// stderr (bench/reliability/vm_memory_exhaustion.sh) reads no JSON itself.
int print_watchdog_lines(const std::string& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    std::fprintf(stderr, "oomlab-analyze: %s: is a directory\n", path.c_str());
    return 2;
  }
  std::string text;
  std::ifstream in(path, std::ios::binary);
  try {
    text.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  } catch (const std::exception&) {
    in.setstate(std::ios::badbit);  // a read error (libstdc++ throws from underflow)
  }
  if (!in && !in.eof()) {
    std::fprintf(stderr, "oomlab-analyze: %s: cannot be read\n", path.c_str());
    return 2;
  }
  std::size_t n = 0, records = 0;
  int status = 0;
  oomlab::for_each_line(text, [&](std::string_view line) {
    ++n;
    if (line.empty()) return true;
    std::string why;
    auto r = oomlab::formats::decode_watchdog_record(line, &why);
    if (!r) {
      std::fprintf(stderr, "oomlab-analyze: %s:%zu: %s\n", path.c_str(), n, why.c_str());
      status = 2;
      return false;
    }
    ++records;
    std::fwrite(r->line.data(), 1, r->line.size(), stdout);
    std::fputc('\n', stdout);
    return true;
  });
  if (status == 0 && records == 0) {
    std::fprintf(stderr, "oomlab-analyze: %s: no oomlab-watchdog JSON record\n", path.c_str());
    status = 2;
  }
  if (std::fflush(stdout) != 0) {
    std::fprintf(stderr, "oomlab-analyze: cannot write the output\n");
    return 2;
  }
  return status;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace oomlab::analyzer;
  Options opt;
  enum class Mode { pretty, jsonl, text } mode = Mode::pretty;
  std::string stdin_name = "-";
  std::string watchdog_log;
  std::vector<std::string> files;
  bool only_files = false;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&](const char* name) -> const char* {
      if (i + 1 >= argc) return nullptr;
      (void)name;
      return argv[++i];
    };
    if (only_files || a == "-" || a.empty() || a[0] != '-') {
      files.push_back(a);
    } else if (a == "--") {
      only_files = true;
    } else if (a == "-h" || a == "--help") {
      std::fputs(kUsage, stdout);
      return 0;
    } else if (a == "--jsonl") {
      mode = Mode::jsonl;
    } else if (a == "--text") {
      mode = Mode::text;
    } else if (a == "--stall-threshold" || a == "--victim-threshold") {
      const char* v = value(a.c_str());
      auto d = v ? oomlab::parse_duration(v) : std::nullopt;
      if (!d || d->count() <= 0) return usage_error(a + " needs a duration like 30s");
      (a == "--stall-threshold" ? opt.stall_threshold_s : opt.victim_threshold_s) = static_cast<double>(d->count()) / 1000.0;
    } else if (a == "--max-line") {
      const char* v = value(a.c_str());
      auto n = v ? oomlab::parse_size(v) : std::nullopt;
      if (!n || *n < 64 || *n > (64u << 20)) return usage_error("--max-line needs a size between 64 and 64M");
      opt.limits.max_line = *n;
    } else if (a == "--watchdog-log") {
      const char* v = value(a.c_str());
      if (!v || !*v) return usage_error("--watchdog-log needs a file");
      watchdog_log = v;
    } else if (a == "--watchdog-lines") {
      const char* v = value(a.c_str());
      if (!v || !*v) return usage_error("--watchdog-lines needs a file");
      return print_watchdog_lines(v);
    } else if (a == "--cgroup") {
      const char* v = value(a.c_str());
      std::string path = v ? v : "";
      while (path.size() > 1 && path.back() == '/') path.pop_back();
      if (path.empty() || path[0] != '/' || path.find('\n') != std::string::npos)
        return usage_error("--cgroup needs a cgroup path starting with '/', like /oomlab/repro-1");
      opt.cgroup = path;
    } else if (a == "--name") {
      const char* v = value(a.c_str());
      if (!v) return usage_error("--name needs a value");
      stdin_name = v;
    } else {
      return usage_error("unknown option " + a);
    }
  }
  if (files.empty()) files.push_back("-");
  if (!watchdog_log.empty() && (files.size() != 1 || files[0] == "-"))
    return usage_error("--watchdog-log needs exactly one kernel log FILE (not standard input)");

  int status = 0;
  bool write_ok = true;
  std::vector<Report> pretty_array;   // several files, pretty: one JSON array at the end
  for (const std::string& f : files) {
    Report r;
    try {
      if (!watchdog_log.empty()) r = analyze_with_watchdog_log(f, watchdog_log, opt);
      else r = f == "-" ? analyze_fd(STDIN_FILENO, stdin_name, opt) : analyze_file(f, opt);
    } catch (const std::system_error& e) {
      std::fprintf(stderr, "oomlab-analyze: %s: %s\n", f.c_str(), e.code().message().c_str());
      status = 2;
      continue;
    } catch (const std::exception& e) {
      std::fprintf(stderr, "oomlab-analyze: %s\n", e.what());
      status = 2;
      continue;
    }
    if (status != 2) status = std::max(status, exit_code(r));
    if (mode == Mode::text) {
      std::fputs(to_text(r).c_str(), stdout);
    } else if (mode == Mode::jsonl || files.size() == 1) {
      write_ok = write_json(r, stdout, mode == Mode::pretty) && std::fputc('\n', stdout) != EOF && write_ok;
    } else {
      pretty_array.push_back(std::move(r));
    }
  }
  if (mode == Mode::pretty && files.size() > 1)
    write_ok = write_json_array(pretty_array, stdout) && std::fputc('\n', stdout) != EOF && write_ok;
  if (std::fflush(stdout) != 0 || !write_ok) {
    std::fprintf(stderr, "oomlab-analyze: cannot write the output\n");
    return 2;
  }
  return status;
}
