#include "oomlab/watchdog/policy.hpp"

#include <libproc2/pids.h>

#include <cstdlib>
#include <regex.h>

#include "oomlab/watchdog/cgroup_view.hpp"
#include "oomlab/watchdog/task_sample.hpp"

namespace oomlab::watchdog {

struct CommPattern::Compiled {
  regex_t re{};
  bool ok = false;  // regfree only what regcomp built
  ~Compiled() {
    if (ok) ::regfree(&re);
  }
};

std::optional<CommPattern> CommPattern::compile(const std::string& pattern, std::string* error) {
  auto c = std::make_shared<Compiled>();
  // Anchored: the whole comm, as std::regex_match did.
  const std::string whole = "^(" + pattern + ")$";
  if (int rc = ::regcomp(&c->re, whole.c_str(), REG_EXTENDED | REG_NOSUB); rc != 0) {
    char buf[128];
    ::regerror(rc, &c->re, buf, sizeof buf);
    if (error) *error = buf;
    return std::nullopt;
  }
  c->ok = true;
  CommPattern p;
  p.re_ = std::move(c);
  return p;
}

bool CommPattern::matches(const std::string& comm) const {
  return re_ && ::regexec(&re_->re, comm.c_str(), 0, nullptr, 0) == 0;
}

VictimRules::VictimRules(const Options& o, pid_t self)
    : prefer_(compile(o.prefer)), avoid_(compile(o.avoid)), protect_(compile(o.protect)), self_(self) {}

std::vector<VictimRules::Rule> VictimRules::compile(const std::vector<Matcher>& ms) {
  std::vector<Rule> out;
  for (const auto& m : ms) {
    if (m.is_cgroup) out.push_back({m.text, std::nullopt, true});
    else out.push_back({"", CommPattern::compile(m.text), false});  // checked by the option parser
  }
  return out;
}

bool VictimRules::matches(const std::vector<Rule>& rules, const Candidate& c) {
  for (const auto& r : rules) {
    if (r.is_cgroup) {
      std::string prefix = r.cgroup;
      while (prefix.size() > 1 && prefix.back() == '/') prefix.pop_back();
      if (c.cgroup == prefix || prefix == "/" ||
          (c.cgroup.size() > prefix.size() && c.cgroup.compare(0, prefix.size(), prefix) == 0 &&
           c.cgroup[prefix.size()] == '/'))
        return true;
    } else if (r.comm && r.comm->matches(c.comm)) {
      return true;
    }
  }
  return false;
}

bool VictimRules::never_kill(const Candidate& c) const {
  return c.pid <= 1 || c.pid == self_ || c.kernel_thread || c.oom_score_adj <= -1000 || matches(protect_, c);
}

int VictimRules::tier(const Candidate& c) const {
  if (matches(prefer_, c)) return 0;
  if (matches(avoid_, c)) return 2;
  return 1;
}

std::int64_t VictimRules::badness(const Candidate& c, std::uint64_t total_kb) {
  return static_cast<std::int64_t>(c.rss_kb) +
         static_cast<std::int64_t>(c.oom_score_adj) * static_cast<std::int64_t>(total_kb) / 1000;
}

std::optional<Candidate> VictimRules::choose(const std::vector<Candidate>& cands, std::uint64_t total_kb,
                                             const std::set<pid_t>& exclude) const {
  const Candidate* best = nullptr;
  int best_tier = 3;
  std::int64_t best_score = 0;
  for (const auto& c : cands) {
    if (never_kill(c) || c.dying || exclude.count(c.pid)) continue;
    int t = tier(c);
    std::int64_t score = badness(c, total_kb);
    if (!best || t < best_tier || (t == best_tier && (score > best_score || (score == best_score && c.pid > best->pid)))) {
      best = &c;
      best_tier = t;
      best_score = score;
    }
  }
  return best ? std::optional(*best) : std::nullopt;
}

std::vector<Candidate> collect_candidates(const std::vector<pid_t>& pids, const std::string& proc_root) {
  std::vector<Candidate> out;
  if (pids.empty()) return out;
  enum pids_item items[] = {PIDS_ID_PID, PIDS_CMD, PIDS_VM_RSS, PIDS_OOM_ADJ, PIDS_FLAGS, PIDS_TICS_BEGAN,
                            PIDS_VM_RSS_SHARED, PIDS_SIGPENDING, PIDS_SIGNALS};
  enum rel { rel_pid, rel_cmd, rel_rss, rel_adj, rel_flags, rel_began, rel_shmem, rel_sigpnd, rel_shdpnd };
  struct pids_info* info = nullptr;
  if (procps_pids_new(&info, items, sizeof items / sizeof items[0]) < 0) return out;
  std::vector<unsigned> these(pids.begin(), pids.end());
  // libproc2 selects at most FILL_ID_MAX pids per call: go in chunks.
  constexpr std::size_t kChunk = 32;
  CgroupView view(proc_root, "");
  for (std::size_t at = 0; at < these.size(); at += kChunk) {
    int n = static_cast<int>(std::min(kChunk, these.size() - at));
    struct pids_fetch* f = procps_pids_select(info, these.data() + at, n, PIDS_SELECT_PID);
    if (!f) continue;
    for (int i = 0; i < f->counts->total; ++i) {
      struct pids_stack* s = f->stacks[i];
      Candidate c;
      c.pid = PIDS_VAL(rel_pid, s_int, s, info);
      const char* cmd = PIDS_VAL(rel_cmd, str, s, info);
      c.comm = cmd ? cmd : "?";
      c.rss_kb = PIDS_VAL(rel_rss, ul_int, s, info);
      c.oom_score_adj = PIDS_VAL(rel_adj, s_int, s, info);
      const unsigned long flags = PIDS_VAL(rel_flags, ul_int, s, info);
      c.kernel_thread = flags & kPfKthread;
      // SigPnd (the main thread's) and ShdPnd (the process's), hex: a
      // SIGKILL from kill(2) or a pidfd shows in both until it is taken.
      auto has_sigkill = [](const char* hex) { return hex && (std::strtoull(hex, nullptr, 16) & kSigkillBit); };
      c.dying = (flags & kPfExiting) || has_sigkill(PIDS_VAL(rel_sigpnd, str, s, info)) ||
                has_sigkill(PIDS_VAL(rel_shdpnd, str, s, info));
      c.starttime = PIDS_VAL(rel_began, ull_int, s, info);
      c.shmem_kb = PIDS_VAL(rel_shmem, ul_int, s, info);
      c.cgroup = view.cgroup_of(c.pid);
      out.push_back(std::move(c));
    }
  }
  procps_pids_unref(&info);
  return out;
}

}  // namespace oomlab::watchdog
