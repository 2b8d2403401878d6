#include "run_metrics.hpp"

#include <algorithm>
#include <ctime>
#include <nlohmann/json.hpp>

#include "oomlab/facts/psi.hpp"
#include "oomlab/facts/stall.hpp"

namespace oomlab::peers {

std::vector<std::string> right_victims(std::string_view s) {
  if (s == "mmap-sem") return {"zero-hog", "mmap-victim"};  // the hog, or the kernel's own choice
  if (s == "mmap-lock-hold") return {"lock-holder", "anon-ballast", "cache-churn"};
  if (s == "page-cache-thrash") return {"anon-ballast", "cache-reader"};
  if (s == "memory-high") return {"high-alloc", "memory-high"};
  if (s == "shmem-fill") return {"shmem-fill"};  // the supervisor holds the memfd
  if (s == "pipe-fill") return {"pipe-holder"};
  if (s == "dying-competition") return {"alloc-racer", "dying-compet"};
  return {};
}

std::optional<std::int64_t> parse_iso8601_ms(std::string_view text) {
  std::tm tm{};
  int ms = 0;
  std::string s(text);
  if (std::sscanf(s.c_str(), "%d-%d-%dT%d:%d:%d.%3dZ", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour, &tm.tm_min,
                  &tm.tm_sec, &ms) != 7)
    return std::nullopt;
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  return static_cast<std::int64_t>(timegm(&tm)) * 1000 + ms;
}

namespace {

template <typename T>
std::optional<T> opt_num(const nlohmann::json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_number()) return std::nullopt;
  return it->get<T>();
}

int d_tasks(const nlohmann::json& sample) {
  auto t = sample.find("tasks");
  return t == sample.end() ? 0 : t->value("D", 0);
}

// The sample's PSI totals as the runner wrote them (report.json timeline
// psi.some_total_us/full_total_us); nullopt when the run had no PSI.
std::optional<facts::PsiPoint> psi_point(const nlohmann::json& sample) {
  auto p = sample.find("psi");
  if (p == sample.end() || !p->is_object()) return std::nullopt;
  auto some = opt_num<std::uint64_t>(*p, "some_total_us");
  if (!some) return std::nullopt;
  facts::PsiPoint pt;
  pt.t_ms = sample.value("t_ms", std::int64_t{0});
  pt.some_us = *some;
  if (auto full = opt_num<std::uint64_t>(*p, "full_total_us")) pt.full_us = *full, pt.has_full = true;
  return pt;
}

}  // namespace

std::vector<bool> stalled_samples(const nlohmann::json& timeline) {
  // The shared stall model (facts/stall.hpp), as oomlab-repro's outcome:
  // memory PSI, tasks blocked in the same memory wait for a second (the
  // cmdline readers of mmap-lock-hold, which show no PSI), a victim that
  // does not exit. Without PSI: D-state tasks in two consecutive samples
  // (mmap/munmap loops enter D for microseconds all the time, which is not
  // a stall).
  facts::StallRules rules;
  rules.psi_share = kStallShare;
  facts::ProgressModel model(rules);
  std::vector<bool> out(timeline.size(), false);
  for (std::size_t i = 0; i < timeline.size(); ++i) {
    facts::ProgressSample p;
    p.t_ms = timeline[i].value("t_ms", std::int64_t{0});
    // The share over the trailing second from the PSI totals, as the
    // runner's outcome computes it.
    p.psi_share = facts::psi_series_share(i, [&](std::size_t k) { return psi_point(timeline[k]); },
                                          facts::kStallPsiWindow).some;
    if (auto tasks = timeline[i].find("tasks"); tasks != timeline[i].end() && tasks->is_object())
      if (auto b = tasks->find("blocked"); b != tasks->end() && b->is_object())
        for (const auto& [name, count] : b->items())
          if (count.is_number_integer()) p.add_blocked(facts::wait_kind_from_name(name), count.get<int>());
    p.victim_alive = timeline[i].value("victim_alive", false);
    p.victim_killed_ms = opt_num<std::int64_t>(timeline[i], "victim_killed_ms").value_or(-1);
    p.limit_pressed = p.psi_share < 0 && i > 0 && d_tasks(timeline[i]) > 0 && d_tasks(timeline[i - 1]) > 0;
    out[i] = model.fold(p) != facts::StallCause::none;
  }
  return out;
}

namespace {

// Kill to "memory freed" from the timeline: the first sample after the kill
// whose usage is at least 10% of the limit (else of the usage) below the
// usage at the kill. nullopt: never within the run.
std::optional<std::int64_t> freed_from_timeline(const nlohmann::json& timeline, std::int64_t kill_ms) {
  std::optional<std::uint64_t> at_kill;
  std::uint64_t drop = 0;
  for (const auto& s : timeline) {
    std::int64_t t = s.value("t_ms", std::int64_t{0});
    std::uint64_t usage = s.value("usage_bytes", std::uint64_t{0});
    if (t <= kill_ms) {
      at_kill = usage;
      auto limit = opt_num<std::uint64_t>(s, "limit_bytes");
      drop = (limit ? *limit : usage) / 10;
      continue;
    }
    if (!at_kill) return std::nullopt;
    if (usage + drop <= *at_kill) return t - kill_ms;
  }
  return std::nullopt;
}

}  // namespace

RunResult measure_run(const nlohmann::json& report, GuardKind guard, const std::vector<GuardKill>& guard_kills,
                      std::optional<std::int64_t> guard_started_realtime_ms, const GuardCost& cost) {
  RunResult r;
  r.scenario = report.value("scenario", "");
  r.guard = std::string(guard_name(guard));
  r.cost = cost;
  r.guard_blocked = cost.longest_d_ms >= kBlockedMs;
  const nlohmann::json& outcome = report.contains("outcome") ? report["outcome"] : nlohmann::json::object();
  r.outcome = outcome.value("class", "");
  const nlohmann::json timeline = report.value("timeline", nlohmann::json::array());
  if (!timeline.empty()) r.duration_ms = timeline.back().value("t_ms", std::int64_t{0});
  auto start = parse_iso8601_ms(report.value("started_at", ""));
  if (start && guard_started_realtime_ms) r.guard_ready_ms = *guard_started_realtime_ms - *start;

  std::vector<bool> stalled = stalled_samples(timeline);
  for (std::size_t i = 0; i < stalled.size(); ++i) {
    if (!stalled[i]) continue;
    std::int64_t t = timeline[i].value("t_ms", std::int64_t{0});
    if (!r.first_stall_ms) r.first_stall_ms = t;
    if (i > 0) r.no_progress_ms += t - timeline[i - 1].value("t_ms", std::int64_t{0});
  }
  r.stalled_at_end = !stalled.empty() && stalled.back();

  const auto right = right_victims(r.scenario);
  auto is_right = [&](const std::string& comm) { return std::find(right.begin(), right.end(), comm) != right.end(); };
  for (const auto& k : report.value("oom_kills", nlohmann::json::array())) {
    KillEvent e;
    e.t_ms = k.value("t_ms", std::int64_t{0});
    e.by = "kernel";
    e.pid = k.value("pid", 0);
    e.comm = k.value("comm", "");
    e.right = is_right(e.comm);
    e.freed_ms = opt_num<std::int64_t>(k, "freed_ms");
    r.kills.push_back(e);
  }
  for (const GuardKill& g : guard_kills) {
    if (!start) break;
    KillEvent e;
    e.t_ms = g.realtime_ms - *start;
    e.by = r.guard;
    e.pid = g.pid;
    e.comm = g.whole_group ? "(whole group)" : g.comm;
    e.right = g.whole_group || is_right(e.comm);
    e.freed_ms = freed_from_timeline(timeline, e.t_ms);
    r.kills.push_back(e);
  }
  std::stable_sort(r.kills.begin(), r.kills.end(), [](const KillEvent& a, const KillEvent& b) { return a.t_ms < b.t_ms; });
  if (!r.kills.empty()) {
    const KillEvent& first = r.kills.front();
    r.first_kill_ms = first.t_ms;
    r.kill_to_freed_ms = first.freed_ms;
    r.right_victim = first.right;
    // A kill before any stall was seen has no reaction time (it is counted
    // in the kill and victim columns only).
    if (r.first_stall_ms && *r.first_stall_ms <= first.t_ms) r.stall_to_kill_ms = first.t_ms - *r.first_stall_ms;
  }
  r.hit = r.right_victim && !r.stalled_at_end;
  return r;
}

namespace {
nlohmann::json opt(const std::optional<std::int64_t>& v) { return v ? nlohmann::json(*v) : nlohmann::json(nullptr); }
std::optional<std::int64_t> get_opt(const nlohmann::json& j, const char* k) { return opt_num<std::int64_t>(j, k); }
}  // namespace

nlohmann::json to_json(const RunResult& r) {
  nlohmann::json kills = nlohmann::json::array();
  for (const auto& k : r.kills)
    kills.push_back({{"t_ms", k.t_ms}, {"by", k.by}, {"pid", k.pid}, {"comm", k.comm}, {"right", k.right},
                     {"freed_ms", opt(k.freed_ms)}});
  return {{"scenario", r.scenario},
          {"guard", r.guard},
          {"run", r.run},
          {"outcome", r.outcome},
          {"duration_ms", r.duration_ms},
          {"guard_ready_ms", opt(r.guard_ready_ms)},
          {"first_stall_ms", opt(r.first_stall_ms)},
          {"first_kill_ms", opt(r.first_kill_ms)},
          {"stall_to_kill_ms", opt(r.stall_to_kill_ms)},
          {"kill_to_freed_ms", opt(r.kill_to_freed_ms)},
          {"no_progress_ms", r.no_progress_ms},
          {"stalled_at_end", r.stalled_at_end},
          {"right_victim", r.right_victim},
          {"hit", r.hit},
          {"kills", kills},
          {"guard_cpu_ms", r.cost.cpu_ms},
          {"guard_peak_rss_kb", r.cost.peak_rss_kb},
          {"guard_longest_d_ms", r.cost.longest_d_ms},
          {"guard_d_wchan", r.cost.d_wchan},
          {"guard_blocked", r.guard_blocked},
          {"error", r.error},
          {"guard_tail", r.guard_tail}};
}

RunResult run_from_json(const nlohmann::json& j) {
  RunResult r;
  r.scenario = j.value("scenario", "");
  r.guard = j.value("guard", "");
  r.run = j.value("run", 0);
  r.outcome = j.value("outcome", "");
  r.duration_ms = j.value("duration_ms", std::int64_t{0});
  r.guard_ready_ms = get_opt(j, "guard_ready_ms");
  r.first_stall_ms = get_opt(j, "first_stall_ms");
  r.first_kill_ms = get_opt(j, "first_kill_ms");
  r.stall_to_kill_ms = get_opt(j, "stall_to_kill_ms");
  r.kill_to_freed_ms = get_opt(j, "kill_to_freed_ms");
  r.no_progress_ms = j.value("no_progress_ms", std::int64_t{0});
  r.stalled_at_end = j.value("stalled_at_end", false);
  r.right_victim = j.value("right_victim", false);
  r.hit = j.value("hit", false);
  for (const auto& k : j.value("kills", nlohmann::json::array()))
    r.kills.push_back({k.value("t_ms", std::int64_t{0}), k.value("by", ""), k.value("pid", 0), k.value("comm", ""),
                       k.value("right", false), get_opt(k, "freed_ms")});
  r.cost.cpu_ms = j.value("guard_cpu_ms", 0.0);
  r.cost.peak_rss_kb = j.value("guard_peak_rss_kb", std::uint64_t{0});
  r.cost.longest_d_ms = j.value("guard_longest_d_ms", std::int64_t{0});
  r.cost.d_wchan = j.value("guard_d_wchan", "");
  r.guard_blocked = j.value("guard_blocked", false);
  r.error = j.value("error", "");
  for (const auto& l : j.value("guard_tail", nlohmann::json::array()))
    if (l.is_string()) r.guard_tail.push_back(l.get<std::string>());
  return r;
}

}  // namespace oomlab::peers
