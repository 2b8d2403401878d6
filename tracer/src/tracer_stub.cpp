// The tracer in a build without BPF (OOMLAB_BPF=OFF, or clang/bpftool/libbpf
// missing at configure time): open() fails with the reason, so the watchdog
// and the runner link and run the same way and fall back to /proc sampling.
#include "kernel_btf.hpp"
#include "oomlab/common/clock.hpp"
#include "oomlab/tracer/tracer.hpp"

#ifndef OOMLAB_TRACER_STUB_REASON
#define OOMLAB_TRACER_STUB_REASON "built without BPF support"
#endif

namespace oomlab::tracer {

struct Tracer::Impl {
  std::string error = OOMLAB_TRACER_STUB_REASON;
  std::string missing;
  GfpTable gfp = GfpTable::for_release(running_kernel_release());
};

GfpTable GfpTable::for_running_kernel() { return for_release(running_kernel_release()); }

bool Tracer::compiled_in() { return false; }
Tracer::Tracer() : impl_(std::make_unique<Impl>()) {}
Tracer::~Tracer() = default;
bool Tracer::open(const TracerOptions&) { return false; }
bool Tracer::available() const { return false; }
const std::string& Tracer::error() const { return impl_->error; }
const std::string& Tracer::missing() const { return impl_->missing; }
const GfpTable& Tracer::gfp() const { return impl_->gfp; }
std::int64_t Tracer::opened_ns() const { return 0; }
bool Tracer::attach_lock_tracing() { return false; }
void Tracer::detach_lock_tracing() {}
bool Tracer::lock_tracing() const { return false; }
void Tracer::set_thresholds(std::chrono::nanoseconds, std::chrono::nanoseconds) {}
int Tracer::fd() const { return -1; }
std::size_t Tracer::consume(const std::function<void(const Event&)>&) { return 0; }
std::size_t Tracer::poll(std::chrono::milliseconds, const std::function<void(const Event&)>&) { return 0; }
std::optional<VictimTimeline> Tracer::victim(pid_t) const { return std::nullopt; }
std::optional<TaskReclaim> Tracer::reclaim_of(pid_t) const { return std::nullopt; }
std::optional<LockWait> Tracer::lock_wait_of(pid_t) const { return std::nullopt; }
Snapshot Tracer::snapshot() const {
  Snapshot s;
  s.taken_ns = monotonic_us() * 1000;
  return s;
}

}  // namespace oomlab::tracer
