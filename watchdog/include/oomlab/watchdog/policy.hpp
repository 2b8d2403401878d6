// Who to kill. Pure functions over candidate facts (so the rules are unit
// tested with synthetic processes) plus the libproc2 reader that collects
// those facts for real pids.
//
// The rules, in order: never pid 1, kernel threads, the watchdog itself,
// oom_score_adj -1000, --protect matches, or a process already killed in this
// incident. Processes already dying are not chosen again. Among the rest, --prefer matches first, --avoid matches last;
// within a tier the highest badness wins, computed like the kernel's
// oom_badness: rss + oom_score_adj * total / 1000 (total = the group's limit,
// or RAM for a system-wide stall).
#pragma once
#include <cstdint>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <sys/types.h>
#include <vector>

#include "oomlab/watchdog/options.hpp"

namespace oomlab::watchdog {

struct Candidate {
  pid_t pid = 0;
  std::string comm;
  std::string cgroup;
  std::uint64_t rss_kb = 0;
  std::uint64_t shmem_kb = 0;  // RssShmem: part of rss_kb that a kill does not free (tmpfs, memfd, SysV)
  int oom_score_adj = 0;
  bool kernel_thread = false;
  std::uint64_t starttime = 0;  // stat start_time: checked again through the pidfd
  // SIGKILL pending or already exiting: killed before (by us, an earlier
  // instance of us that was itself killed mid-kill, or anyone). Choosing it
  // again frees nothing new and spends a victim: choose() passes it over.
  bool dying = false;
};

// A --prefer/--avoid/--protect comm pattern: a POSIX extended regex that
// must match the whole comm (regcomp, the C library's; std::regex would link
// the C++ locale machinery, ~330 kB of text, into the mlocked daemon).
class CommPattern {
 public:
  // The compiled pattern, or nullopt with the C library's reason in *error.
  static std::optional<CommPattern> compile(const std::string& pattern, std::string* error = nullptr);
  bool matches(const std::string& comm) const;

 private:
  struct Compiled;
  std::shared_ptr<const Compiled> re_;
};

class VictimRules {
 public:
  VictimRules(const Options& o, pid_t self);
  bool never_kill(const Candidate& c) const;  // pid 1, kthread, self, -1000, protected
  int tier(const Candidate& c) const;         // 0 prefer, 1 normal, 2 avoid
  static std::int64_t badness(const Candidate& c, std::uint64_t total_kb);

  // The victim among cands (minus `exclude`), or nullopt.
  std::optional<Candidate> choose(const std::vector<Candidate>& cands, std::uint64_t total_kb,
                                  const std::set<pid_t>& exclude = {}) const;

 private:
  struct Rule {
    std::string cgroup;                // prefix match on path boundaries, or
    std::optional<CommPattern> comm;   // a whole-comm regex
    bool is_cgroup;
  };
  static std::vector<Rule> compile(const std::vector<Matcher>& ms);
  static bool matches(const std::vector<Rule>& rules, const Candidate& c);

  std::vector<Rule> prefer_, avoid_, protect_;
  pid_t self_;
};

// Facts for these pids from libproc2 (stat/status/oom_score_adj items only:
// none of them takes the target's mmap lock) plus /proc/PID/cgroup. Pids that
// vanished are skipped.
std::vector<Candidate> collect_candidates(const std::vector<pid_t>& pids, const std::string& proc_root);

}  // namespace oomlab::watchdog
