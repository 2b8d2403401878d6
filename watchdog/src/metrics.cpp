#include "oomlab/watchdog/metrics.hpp"

#include "oomlab/facts/vocabulary.hpp"

#include <cstdio>
#include <string>
#include <type_traits>

namespace oomlab::watchdog {

void Metrics::observe_freed(double seconds) {
  for (std::size_t i = 0; i < kBuckets.size(); ++i)
    if (seconds <= kBuckets[i]) ++freed_buckets[i];
  ++freed_count;
  freed_sum += seconds;
}

namespace {

// The exposition text, written like an ostream (same %g for doubles) without
// <sstream>: the daemon links no C++ stream or locale code (policy.hpp's
// CommPattern says why).
struct PromText {
  std::string s;
  PromText& operator<<(const char* v) {
    s += v;
    return *this;
  }
  PromText& operator<<(const std::string& v) {
    s += v;
    return *this;
  }
  PromText& operator<<(char c) {
    s += c;
    return *this;
  }
  template <typename T>
  std::enable_if_t<std::is_arithmetic_v<T>, PromText&> operator<<(T v) {
    if constexpr (std::is_floating_point_v<T>) {
      char buf[32];
      std::snprintf(buf, sizeof buf, "%g", static_cast<double>(v));
      s += buf;
    } else {
      s += std::to_string(v);
    }
    return *this;
  }
};

}  // namespace

std::string Metrics::prometheus() const {
  PromText s;
  auto metric = [&s](const char* name, const char* type, const char* help, auto value) {
    s << "# HELP " << name << ' ' << help << "\n# TYPE " << name << ' ' << type << '\n' << name << ' ' << value << '\n';
  };
  metric("oomlab_watchdog_scans_total", "counter", "Task scans completed.", scans);
  metric("oomlab_watchdog_full_scans_total", "counter",
         "Scans of every task (the other scans follow the tracked tasks and their groups only).", full_scans);
  metric("oomlab_watchdog_group_probes_total", "counter",
         "Idle samplings of the watched groups' own tasks (--scope, --watch-cgroup).", probes);
  metric("oomlab_watchdog_group_populated_changes_total", "counter",
         "Changes of a watched group's cgroup.events (a group gained its first or lost its last task).", populated_changes);
  metric("oomlab_watchdog_scan_overruns_total", "counter", "Periods that found the previous scan still running.", scan_overruns);
  metric("oomlab_watchdog_last_scan_duration_seconds", "gauge", "Duration of the last scan.", last_scan_seconds);
  // A summary without quantiles: rate(_sum) / rate(_count) is the mean scan
  // time. (A counter named _sum next to a gauge of the base name is what
  // promtool rejected before.)
  s << "# HELP oomlab_watchdog_scan_duration_seconds Duration of the task scans.\n"
       "# TYPE oomlab_watchdog_scan_duration_seconds summary\n"
       "oomlab_watchdog_scan_duration_seconds_sum "
    << scan_seconds_sum << "\noomlab_watchdog_scan_duration_seconds_count " << scans << '\n';
  metric("oomlab_watchdog_tasks", "gauge", "Tasks sampled by the last scan.", tasks);
  metric("oomlab_watchdog_tasks_dropped", "gauge", "Tasks beyond --max-tasks in the last scan.", tasks_dropped);
  metric("oomlab_watchdog_stalled_tasks", "gauge", "Tasks stalled for at least --warn-after.", stalled);
  metric("oomlab_watchdog_dying_tasks", "gauge", "Tasks with SIGKILL pending.", dying);
  metric("oomlab_watchdog_exiting_tasks", "gauge", "Tasks with PF_EXITING set.", exiting);
  metric("oomlab_watchdog_victims", "gauge", "OOM victims still alive.", victims);
  metric("oomlab_watchdog_longest_stall_seconds", "gauge", "Longest current continuous stall.", longest_stall_seconds);
  metric("oomlab_watchdog_oom_kills_total", "counter", "OOM kills seen (kernel log) or made.", oom_count);
  metric("oomlab_watchdog_reports_total", "counter", "MemAlloc-Info reports written.", reports);
  metric("oomlab_watchdog_psi_events_total", "counter", "PSI trigger wake-ups.", psi_events);
  metric("oomlab_watchdog_group_psi_events_total", "counter",
         "PSI trigger wake-ups from the watched groups' triggers (--watch-cgroup); the rest are the system's.",
         group_psi_events);
  metric("oomlab_watchdog_psi_events_settled_total", "counter",
         "PSI events whose stall was over when the watchdog looked again a moment later (no scan).",
         psi_events_settled);
  metric("oomlab_watchdog_delayacct", "gauge", "1 when the last scan read taskstats delay accounting.", delayacct ? 1 : 0);
  metric("oomlab_watchdog_delay_queries_total", "counter", "Taskstats delay-accounting queries answered.", delay_queries);
  s << "# HELP oomlab_watchdog_kills_total Processes killed, by reason.\n# TYPE oomlab_watchdog_kills_total counter\n";
  for (const char* reason : facts::kKillReasons) {
    auto it = kills.find(reason);
    s << "oomlab_watchdog_kills_total{reason=\"" << reason << "\"} " << (it == kills.end() ? 0 : it->second) << '\n';
  }
  s << "# HELP oomlab_watchdog_kill_to_freed_seconds Kill to memory freed latency.\n"
       "# TYPE oomlab_watchdog_kill_to_freed_seconds histogram\n";
  for (std::size_t i = 0; i < kBuckets.size(); ++i)
    s << "oomlab_watchdog_kill_to_freed_seconds_bucket{le=\"" << kBuckets[i] << "\"} " << freed_buckets[i] << '\n';
  s << "oomlab_watchdog_kill_to_freed_seconds_bucket{le=\"+Inf\"} " << freed_count << '\n'
    << "oomlab_watchdog_kill_to_freed_seconds_sum " << freed_sum << '\n'
    << "oomlab_watchdog_kill_to_freed_seconds_count " << freed_count << '\n';
  return std::move(s.s);
}

}  // namespace oomlab::watchdog
