// Userspace OOM killers' own lines in a journal or syslog (the lines
// themselves are parsed in facts/guard_kills.hpp):
//   earlyoom[700]: sending SIGTERM to process 4242 uid 1000 "chrome": oom_score 666, VmRSS 9120 MiB
//   earlyoom[700]: process exited after 0.2 seconds
//   earlyoom[700]: dryrun, not actually sending any signal          (--dryrun: no kill)
//   systemd-oomd[612]: Killed /user.slice/.../app-firefox.scope due to memory pressure for ... being 71.23% > 50.00% for > 20s ...
//   nohang[900]:   PID:       4242, name: cache-reader, state: D, EUID: 0,   ...   nohang[900]:   Sending SIGTERM to the victim
// Each kill is memory trouble a guard ended, told like oomlab-watchdog's
// own kills (oom_verdict.cpp).
#include "../state.hpp"
#include "../text.hpp"

namespace oomlab::analyzer {

namespace {

void add_kill(State& st, const Line& l, std::string_view killer, facts::GuardKill k) {
  GuardKillSeen g;
  g.killer.assign(killer);
  g.kill = std::move(k);
  g.first = g.last = Where{l.no, l.ts};
  g.evidence.push_back(l.no);
  st.push_capped(st.guard_kills, std::move(g), st.opt.limits.misc, st.misc_dropped);
}

// The latest kill of `killer` still waiting for its victim's exit.
GuardKillSeen* open_kill(State& st, std::string_view killer) {
  for (auto it = st.guard_kills.rbegin(); it != st.guard_kills.rend(); ++it)
    if (it->killer == killer) return it->exited_ms ? nullptr : &*it;
  return nullptr;
}

bool earlyoom(State& st, const Line& l) {
  auto tag = facts::split_syslog_tag(l.msg);
  if (!tag || tag->ident != "earlyoom") return false;
  if (auto k = facts::parse_earlyoom_kill(tag->body)) {
    // SIGKILL after SIGTERM to the same process: one kill, escalated.
    if (GuardKillSeen* g = open_kill(st, "earlyoom"); g && g->kill.pid == k->pid) {
      g->kill.signal = k->signal;
      g->last = Where{l.no, l.ts};
      g->evidence.push_back(l.no);
      return true;
    }
    add_kill(st, l, "earlyoom", std::move(*k));
  } else if (facts::is_earlyoom_dry_run(tag->body)) {
    // --dryrun: the kill line just before it sent nothing.
    if (GuardKillSeen* g = open_kill(st, "earlyoom")) g->dry_run = true;
  } else if (auto ms = facts::parse_earlyoom_exited_ms(tag->body)) {
    if (GuardKillSeen* g = open_kill(st, "earlyoom")) {
      g->exited_ms = *ms;
      g->last = Where{l.no, l.ts};
      g->evidence.push_back(l.no);
    }
  }
  return true;
}

bool systemd_oomd(State& st, const Line& l) {
  auto tag = facts::split_syslog_tag(l.msg);
  if (!tag || tag->ident != "systemd-oomd") return false;
  if (auto k = facts::parse_systemd_oomd_kill(tag->body)) add_kill(st, l, "systemd-oomd", std::move(*k));
  return true;
}

bool nohang(State& st, const Line& l) {
  auto tag = facts::split_syslog_tag(l.msg);
  if (!tag || tag->ident != "nohang") return false;
  if (auto k = st.nohang.feed(tag->body)) add_kill(st, l, "nohang", std::move(*k));
  return true;
}

constexpr Pattern kPatterns[] = {
    {"earlyoom", "earlyoom[", Pattern::Anchor::start, earlyoom},
    {"systemd-oomd", "systemd-oomd[", Pattern::Anchor::start, systemd_oomd},
    {"nohang", "nohang[", Pattern::Anchor::start, nohang},
};

}  // namespace

std::span<const Pattern> guard_line_patterns() { return kPatterns; }

}  // namespace oomlab::analyzer
