// The BPF stall tracer as a second source (--bpf): where /proc shows a state,
// the tracer shows the cause. Tasks in direct/memcg reclaim right now (also
// the running ones, which have no wchan) become reclaim stalls with the
// allocation's gfp mask and order; ongoing mmap_lock waits get their mode;
// the kernel's mark_victim marks OOM victims before the log line arrives.
// mmap_lock tracing is costly, so it is attached only while memory PSI fires.
// Without root/BTF (or in a build without BPF) open() fails, the reason is
// logged once, and the watchdog runs on /proc alone.
#include "oomlab/common/clock.hpp"
#include "oomlab/watchdog/engine.hpp"

namespace oomlab::watchdog {

void Engine::open_tracer() {
  if (!opt_.bpf) return;
  tracer_ = std::make_unique<tracer::Tracer>();
  if (!tracer_->open()) {
    reporter_.note(kWarning, "BPF tracer unavailable (" + tracer_->error() + "): /proc sampling only");
    tracer_.reset();
    return;
  }
  reporter_.note(kInfo, "BPF tracer attached" + (tracer_->missing().empty() ? std::string() : " (missing: " + tracer_->missing() + ")"));
  int fd = ::dup(tracer_->fd());
  if (fd < 0) return;
  tracer_sd_ = std::make_unique<asio::posix::stream_descriptor>(io_, fd);
  arm_tracer();
}

void Engine::arm_tracer() {
  tracer_sd_->async_wait(asio::posix::stream_descriptor::wait_read, [this](const boost::system::error_code& ec) {
    if (ec || stopping_ || !tracer_) return;
    tracer_->consume([this](const tracer::Event& e) {
      if (auto* oom = std::get_if<tracer::OomEvent>(&e); oom && oom->stage == tracer::OomStage::MarkVictim) {
        pid_t pid = oom->victim.tgid ? oom->victim.tgid : oom->victim.tid;
        if (pid > 0 && !model_.is_victim(pid)) {
          model_.mark_victim(pid, monotonic_ms());
          wake_ticks();
        }
      }
    });
    arm_tracer();
  });
}

void Engine::fold_tracer(std::int64_t now, const tracer::Snapshot& snap) {
  if (!tracer_) return;
  // mmap_lock tracepoints only while there is memory pressure.
  bool pressure = now - last_psi_event_ms_ < 10000;
  if (pressure && !tracer_->lock_tracing()) tracer_->attach_lock_tracing();
  if (!pressure && tracer_->lock_tracing()) tracer_->detach_lock_tracing();
  const std::int64_t mono_now_ns = monotonic_us() * 1000;
  for (const auto& r : snap.reclaim) {
    if (!r.current) {
      // Not in reclaim now, but it was: a task the scan found stalled (a
      // page-in wait, a lock) gets the gfp/order of its longest episode.
      auto it = model_.stalls().find(r.task.tid);
      if (r.count > 0 && it != model_.stalls().end() && it->second.gfp.empty()) {
        it->second.gfp = tracer_->gfp().format(r.longest_gfp);
        it->second.order = r.longest_order;
      }
      continue;
    }
    std::int64_t age_ms = (mono_now_ns - r.current->since_ns) / 1000000;
    model_.note_reclaim(r.task.tid, r.task.tgid ? r.task.tgid : r.task.tid, r.task.comm, now - std::max<std::int64_t>(0, age_ms),
                        now, tracer_->gfp().format(r.current->gfp), r.current->order);
  }
  for (const auto& w : snap.lock_waits) {
    auto it = model_.stalls().find(w.task.tid);
    if (it != model_.stalls().end()) it->second.lock_mode = w.write ? "write" : "read";
  }
}

}  // namespace oomlab::watchdog
