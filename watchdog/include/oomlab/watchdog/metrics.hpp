// Counters and gauges exported in the Prometheus text format on the control
// socket and in the --metrics-textfile. Plain numbers updated by the event
// loop thread only. The names are an interface: watchdog/prometheus/ has
// alerting rules over them, and `promtool check metrics` must accept the
// text (tests/watchdog: metrics_test, and the daemon's output in an e2e test).
#pragma once
#include <array>
#include <cstdint>
#include <map>
#include <string>

namespace oomlab::watchdog {

struct Metrics {
  std::uint64_t scans = 0;               // full and follow-up
  std::uint64_t full_scans = 0;          // of every task (the rest: the tracked tasks and their groups)
  std::uint64_t scan_overruns = 0;
  std::uint64_t probes = 0;              // idle looks at the watched groups' tasks (group_probe.hpp)
  std::uint64_t populated_changes = 0;   // wake-ups by a watched group's cgroup.events (populated_watch.cpp)
  double last_scan_seconds = 0;
  double scan_seconds_sum = 0;
  std::uint64_t tasks = 0;               // sampled in the last scan
  std::uint64_t tasks_dropped = 0;       // did not fit max_tasks
  int stalled = 0, dying = 0, exiting = 0, victims = 0;
  double longest_stall_seconds = 0;
  std::uint64_t oom_count = 0;
  std::uint64_t reports = 0;             // MemAlloc-Info lines
  std::uint64_t psi_events = 0;
  std::uint64_t group_psi_events = 0;  // of psi_events: from --watch-cgroup triggers
  std::uint64_t psi_events_settled = 0;  // events whose stall was over at the recheck: no scan
  bool delayacct = false;                // the last scan read delay accounting
  std::uint64_t delay_queries = 0;       // taskstats answers
  std::map<std::string, std::uint64_t> kills;  // by reason
  // kill -> memory freed latency
  static constexpr std::array<double, 9> kBuckets{0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30};
  std::array<std::uint64_t, kBuckets.size()> freed_buckets{};
  std::uint64_t freed_count = 0;
  double freed_sum = 0;

  void observe_freed(double seconds);
  std::string prometheus() const;
};

}  // namespace oomlab::watchdog
