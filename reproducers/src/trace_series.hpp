// `oomlab-repro run ... --trace`: the BPF stall tracer (tracer/) restricted
// to the run's group, read once per sample into Sample::trace - reclaim in
// progress (gfp, order, how long) and mmap_lock waits (waiter, holders).
#pragma once
#include <memory>
#include <optional>
#include <string>

#include "oomlab/repro/timeline.hpp"

namespace oomlab::tracer {
class Tracer;
}

namespace oomlab::repro {

class TraceSeries {
 public:
  TraceSeries();
  ~TraceSeries();
  // Loads the tracer for tasks in `cgroup_dir` with mmap_lock tracing on.
  // false with *why ("needs root (CAP_BPF)", "built without BPF support").
  bool open(const std::string& cgroup_dir, std::string* why);
  // The state now (nullopt when not open). Drains the event ring buffer.
  std::optional<TraceSample> sample();
  // Tracepoints this kernel lacks ("" when none).
  std::string missing() const;

 private:
  std::unique_ptr<tracer::Tracer> tracer_;
  bool open_ = false;
};

}  // namespace oomlab::repro
