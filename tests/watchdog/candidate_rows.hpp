// One way to write a synthetic Candidate row for the tests of victim choice
// (policy_test) and of the kill policy (kill_policy_test): the same five facts
// the sampler fills in from /proc, nothing else.
#pragma once

#include <cstdint>
#include <sys/types.h>

#include "oomlab/watchdog/policy.hpp"

namespace wdtest {

inline oomlab::watchdog::Candidate cand(pid_t pid, const char* comm, std::uint64_t rss_kb, int adj = 0,
                                        const char* cg = "/job") {
  oomlab::watchdog::Candidate c;
  c.pid = pid;
  c.comm = comm;
  c.rss_kb = rss_kb;
  c.oom_score_adj = adj;
  c.cgroup = cg;
  return c;
}

}  // namespace wdtest
