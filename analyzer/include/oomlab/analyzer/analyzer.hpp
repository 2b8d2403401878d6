// oomlab analyzer: kernel log in, verdict out. One pass, streaming, memory
// bounded by Options::limits whatever the input size.
//
//   oomlab::analyzer::Analyzer a;
//   for (each line) a.feed(line);
//   Report r = a.finish("dmesg.txt");
#pragma once
#include <memory>
#include <string>
#include <string_view>

#include "oomlab/analyzer/model.hpp"

namespace oomlab::analyzer {

class State;
class Joiner;
struct Line;

class Analyzer {
 public:
  explicit Analyzer(Options opt = {});
  ~Analyzer();
  Analyzer(const Analyzer&) = delete;
  Analyzer& operator=(const Analyzer&) = delete;

  // One raw line without its trailing newline (any transport prefix).
  void feed(std::string_view raw_line);
  // Input accounting the line splitter knows about (bytes, truncation, NULs).
  void note_input(std::uint64_t bytes, std::uint64_t truncated_lines, std::uint64_t nul_bytes);
  // The watchdog's JSON log merged into the fed lines (analyze_with_watchdog_log):
  // its reports are complete, so a silence between them is progress, up to
  // its last record (last_ts, seconds on the kernel log's clock: the
  // watchdog was watching until then, notes included).
  void note_watchdog_log(std::string name, std::optional<double> last_ts = std::nullopt);
  // Runs the verdict engine. The analyzer is spent afterwards.
  Report finish(std::string input_name);

 private:
  void process(const Line& l);

  std::unique_ptr<State> st_;
  std::unique_ptr<Joiner> join_;   // wrapped-line rejoining, one line of look-ahead
  std::uint64_t line_no_ = 0;
  std::uint64_t stamp_counts_[6] = {};
  bool host_tag_seen_ = false;
};

// Whole-input helpers. analyze_fd reads to EOF and throws std::system_error
// on a read error; analyze_file also throws std::runtime_error with a
// one-line reason for paths that cannot be opened or are directories.
Report analyze_fd(int fd, std::string name, const Options& opt = {});
Report analyze_file(const std::string& path, const Options& opt = {});
Report analyze_text(std::string_view text, std::string name = "<text>", const Options& opt = {});

// One timeline from two sources: a kernel log with dmesg stamps
// ("[  12.345678] ...", CLOCK_MONOTONIC seconds) and oomlab-watchdog's JSON
// lines (--json-log, read through formats/watchdog_log.hpp). Each watchdog
// record becomes its text line at its mono_ms, merged in time order; a
// record whose line the kernel log already has is not repeated. This is
// how a verdict sees the watchdog's reports that /dev/kmsg's ratelimit
// dropped. Throws std::runtime_error with a one-line reason when a file
// cannot be read or the watchdog log has no record at all.
Report analyze_with_watchdog_log(const std::string& kernel_log, const std::string& watchdog_log,
                                 const Options& opt = {});

}  // namespace oomlab::analyzer
