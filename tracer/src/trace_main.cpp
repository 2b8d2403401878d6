// oomlab-trace: the stall tracer as a command. Prints finished episodes as they
// arrive, ongoing stalls every --interval (a livelocked wait never finishes,
// so it is only visible this way), and a summary at the end.
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <poll.h>

#include "oomlab/common/clock.hpp"
#include "oomlab/tracer/format.hpp"
#include "oomlab/tracer/tracer.hpp"
#include "oomlab/common/psi_trigger.hpp"
#include "trace_cli.hpp"

namespace {

using namespace oomlab::tracer;
using oomlab::PsiTrigger;
using std::chrono::milliseconds;

volatile std::sig_atomic_t g_stop = 0;
void on_signal(int) { g_stop = 1; }

class Printer {
 public:
  Printer(const Tracer& t, bool json) : tracer_(t), json_(json), prefix_(line_prefix()) {}

  void event(const Event& e) {
    if (auto* oom = std::get_if<OomEvent>(&e)) return victim_event(*oom);
    if (json_) return emit(to_json(e, tracer_.gfp()).dump());
    if (auto* r = std::get_if<ReclaimEpisode>(&e)) return emit(format_reclaim(*r, tracer_.gfp()));
    emit(format_lockwait(std::get<LockWait>(e)));
  }

  void ongoing(const Snapshot& s, nanoseconds reclaim_min, nanoseconds lockwait_min, nanoseconds victim_timeout) {
    if (victim_timeout.count())
      for (const auto& v : s.victims)
        if (v.overdue(s.taken_ns, victim_timeout))
          emit(json_ ? to_json_pending(v, s.taken_ns).dump() : format_pending_victim(v, tracer_.opened_ns(), s.taken_ns));
    for (const auto& w : s.lock_waits)
      if (w.wait >= lockwait_min) emit(json_ ? to_json(w).dump() : format_lockwait(w));
    for (const auto& r : s.reclaim) {
      if (!r.current || s.taken_ns - r.current->since_ns < reclaim_min.count()) continue;
      ReclaimEpisode ep{r.task, r.current->kind, r.current->gfp, r.current->order,
                        nanoseconds(s.taken_ns - r.current->since_ns), 0, s.taken_ns};
      if (json_) {
        auto j = to_json(ep, tracer_.gfp());
        j["ongoing"] = true;
        emit(j.dump());
      } else {
        emit(format_reclaim(ep, tracer_.gfp()) + " ongoing");
      }
    }
  }

  void summary(const Snapshot& s) {
    if (json_) return emit(to_json(s, tracer_.gfp()).dump());
    const Totals& t = s.totals;
    auto ms = [](nanoseconds d) { return std::to_string(d.count() / 1000000) + "ms"; };
    emit("summary: reclaim direct=" + std::to_string(t.reclaim_count[0]) + "/" + ms(t.reclaim_total[0]) +
         " memcg=" + std::to_string(t.reclaim_count[1]) + "/" + ms(t.reclaim_total[1]) +
         " lockwaits=" + std::to_string(t.lock_waits) + "/" + ms(t.lock_wait_total) +
         " victims=" + std::to_string(t.oom_victims) + " dropped=" + std::to_string(t.dropped) +
         " missed=" + std::to_string(t.missed));
  }

  void flush() { std::fflush(stdout); }

 private:
  void victim_event(const OomEvent& e) {
    auto timeline = tracer_.victim(e.victim.tid);
    if (!timeline) return;  // marked before we started
    // wake_reaper/start_task_reaping are intermediate: the line shows outcomes
    if (e.stage == OomStage::WakeReaper || e.stage == OomStage::StartReaping) {
      if (json_) emit(to_json(e).dump());
      return;
    }
    emit(json_ ? to_json(*timeline).dump() : format_victim(*timeline, tracer_.opened_ns()));
  }

  void emit(const std::string& body) {
    if (json_) std::printf("%s\n", body.c_str());
    else std::printf("%s%s\n", prefix_.c_str(), body.c_str());
  }

  const Tracer& tracer_;
  bool json_;
  std::string prefix_;
};

int decode_gfp(const std::string& text) {
  char* end = nullptr;
  unsigned long v = std::strtoul(text.c_str(), &end, 0);
  if (text.empty() || *end || v > 0xffffffffUL) {
    std::fprintf(stderr, "oomlab-trace: bad gfp mask: %s\n", text.c_str());
    return 2;
  }
  GfpTable t = GfpTable::for_running_kernel();
  std::printf("%s (layout: %s)\n", t.format(static_cast<std::uint32_t>(v)).c_str(), t.source().c_str());
  return 0;
}

int run(const TraceCliOptions& o) {
  if (o.no_bpf) {
    std::fprintf(stderr, "oomlab-trace: BPF tracing disabled (--no-bpf)\n");
    return 0;
  }
  Tracer tracer;
  TracerOptions topts{o.reclaim_min, o.lockwait_min, o.lock_tracing, o.cgroup};
  if (!tracer.open(topts)) {
    std::fprintf(stderr, "oomlab-trace: BPF tracer unavailable: %s\n", tracer.error().c_str());
    return 1;
  }
  if (!tracer.missing().empty())
    std::fprintf(stderr, "oomlab-trace: this kernel lacks tracepoints: %s\n", tracer.missing().c_str());

  std::optional<PsiTrigger> psi;
  if (o.lock_on_pressure) {
    psi.emplace(std::chrono::milliseconds(150), std::chrono::seconds(2));
    if (!psi->ok()) {
      std::fprintf(stderr, "oomlab-trace: %s\n", psi->error().c_str());
      return 1;
    }
  }
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);

  Printer printer(tracer, o.json);
  auto sink = [&](const Event& e) { printer.event(e); };
  const std::int64_t start = oomlab::monotonic_ms();
  std::int64_t next_report = start + o.interval.count(), last_pressure = 0;
  while (!g_stop) {
    const std::int64_t now = oomlab::monotonic_ms();
    if (o.duration.count() && now - start >= o.duration.count()) break;
    if (psi && tracer.lock_tracing() && now - last_pressure > 10000) {
      tracer.detach_lock_tracing();
      std::fprintf(stderr, "oomlab-trace: mmap_lock tracing detached (no memory pressure for 10s)\n");
    }
    if (o.interval.count() && now >= next_report) {
      printer.ongoing(tracer.snapshot(), o.reclaim_min, o.lockwait_min, o.victim_timeout);
      next_report = now + o.interval.count();
    }
    pollfd fds[2] = {{tracer.fd(), POLLIN, 0}, {psi ? psi->fd() : -1, POLLPRI, 0}};
    ::poll(fds, 2, 100);
    if (fds[1].revents & POLLPRI) {
      last_pressure = oomlab::monotonic_ms();
      if (!tracer.lock_tracing()) {
        if (tracer.attach_lock_tracing())
          std::fprintf(stderr, "oomlab-trace: mmap_lock tracing attached (memory pressure)\n");
        else
          std::fprintf(stderr, "oomlab-trace: %s\n", tracer.error().c_str());
      }
    }
    tracer.consume(sink);
    printer.flush();
  }
  tracer.consume(sink);
  printer.summary(tracer.snapshot());
  printer.flush();
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  auto parsed = parse_trace_cli(std::vector<std::string>(argv + 1, argv + argc));
  if (!parsed.error.empty()) {
    std::fprintf(stderr, "oomlab-trace: %s (see --help)\n", parsed.error.c_str());
    return 2;
  }
  if (parsed.options.help) {
    std::fputs(trace_cli_usage(), stdout);
    return 0;
  }
  if (parsed.options.decode_gfp) return decode_gfp(*parsed.options.decode_gfp);
  return run(parsed.options);
}
