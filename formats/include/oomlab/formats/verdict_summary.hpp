// The analyzer's verdict (oomlab-analyze's document, schema
// "oomlab.verdict/1", analyzer/README.md and its JSON schema) as the other
// tools read it: the runner (its one-line summary), the VM harness (its
// printout and page), the report codec. The document is kept whole in
// `raw`; the fields below are what those readers need, decoded in one place.
// Wrong types and missing fields decode as defaults.
#pragma once
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace oomlab::formats {

// A stall finding's episode (`details` of silent_hang / allocation_stall,
// docs/FORMATS.md "Stall verdicts"), on the log's clock in seconds.
struct VerdictStall {
  std::string source;          // "kernel", "oomlab-watchdog", "task_dumps"
  double start_ts = 0, end_ts = 0, duration_s = 0;
  std::string cause, wait, description;
  int max_blocked = 0;
  std::string ended_by;        // watchdog_kill, oom_kill, recovered, end_of_log, unknown
  std::int64_t ended_by_pid = 0;
  std::string ended_by_comm, ended_by_reason;
  std::optional<double> ended_by_ts;
};
struct VerdictFinding {
  std::string cls, title;  // "class", "title"
  std::optional<VerdictStall> stall;  // when its details carry start_ts and duration_s
};
struct VerdictSuppressed {
  std::string who;  // "oomlab-watchdog", a kernel function...
  std::uint64_t lines = 0;
};
struct VerdictDoc {
  std::string verdict;  // the most severe class: "clean", "silent_hang", ...; "" when error is set
  std::string title;
  std::vector<VerdictFinding> findings;
  std::vector<VerdictSuppressed> suppressed;  // input.suppressed: lines the printk ratelimit dropped
  bool watchdog_log_merged = false;           // input.watchdog_log: the watchdog's JSON lines were read
  // input.cgroup (oomlab-analyze --cgroup): the group analyzed ("" when
  // none) and how many oomlab-watchdog lines were left out as another's.
  std::string cgroup;
  std::uint64_t other_cgroup_lines = 0;
  std::size_t oom_events = 0;                 // how many OOM events (oom_events[]) the log showed
  std::string error;  // {"error": "..."}: why there is no verdict (the VM harness writes this)
  std::string raw;    // the whole document, compact JSON
};

// nullopt with *why for text that is not a JSON object.
std::optional<VerdictDoc> decode_verdict(std::string_view text, std::string* why = nullptr);
// A document for a reader that has only the fields (raw empty): the
// summary fields; otherwise raw itself.
std::string encode_verdict(const VerdictDoc& v);

}  // namespace oomlab::formats
