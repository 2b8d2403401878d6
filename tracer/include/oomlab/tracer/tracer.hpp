// The BPF stall tracer as a library: the watchdog and the runner open one,
// add fd() to their epoll/asio loop, call consume() when it is readable and
// snapshot() on their sampling tick. Without BPF (not root, no BTF, load
// fails, or built without it) open() returns false and error() says why in
// one line; everything else is then a no-op that returns empty results.
// One thread drives a Tracer; snapshot(), victim(), reclaim_of() and
// lock_wait_of() may also be called from a second thread while it consumes.
#pragma once
#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>

#include "oomlab/tracer/events.hpp"
#include "oomlab/tracer/gfp.hpp"

namespace oomlab::tracer {

struct TracerOptions {
  // Episodes/waits at least this long become events; shorter ones only count
  // in the snapshot's totals (a reclaim storm makes thousands a second).
  std::chrono::nanoseconds reclaim_min{std::chrono::milliseconds(1)};
  std::chrono::nanoseconds lockwait_min{std::chrono::milliseconds(1)};
  // Attach mmap_lock wait tracing at open(). It only runs for contended
  // locks (lock:contention_begin/end); still meant to be attached on demand.
  bool lock_tracing = false;
  // A memory cgroup directory (v1 or v2): trace reclaim and lock waits only
  // of tasks in it or its descendants (up to 8 levels down). Empty: all.
  // OOM victims are always traced. open() fails if the path is no directory.
  std::string watch_cgroup;
};

class Tracer {
 public:
  Tracer();
  ~Tracer();
  Tracer(const Tracer&) = delete;
  Tracer& operator=(const Tracer&) = delete;

  // False in a build without BPF (the stub): open() always fails there.
  static bool compiled_in();

  // Loads the programs and attaches reclaim and OOM tracing.
  bool open(const TracerOptions& options = {});
  bool available() const;
  // Why the tracer is unavailable ("needs root (CAP_BPF)", "kernel has no BTF").
  const std::string& error() const;
  // Tracepoints this kernel lacks (their part of the report stays empty).
  const std::string& missing() const;

  // mmap_lock tracing on demand (e.g. while memory PSI is above a trigger).
  bool attach_lock_tracing();
  void detach_lock_tracing();
  bool lock_tracing() const;

  // Changes the event thresholds while running.
  void set_thresholds(std::chrono::nanoseconds reclaim_min, std::chrono::nanoseconds lockwait_min);

  // Ring buffer fd: readable (EPOLLIN) when events are pending; -1 if closed.
  int fd() const;
  // Delivers the pending events without blocking; returns how many. An
  // exception from the sink stops the delivery and propagates (that event is
  // not delivered again).
  std::size_t consume(const std::function<void(const Event&)>& sink);
  // Blocks up to timeout for events, then consumes them.
  std::size_t poll(std::chrono::milliseconds timeout, const std::function<void(const Event&)>& sink);
  // Reclaim, lock and victim state now (victims from events consumed so far).
  Snapshot snapshot() const;
  // One task's reclaim record and its ongoing mmap_lock wait, without a full
  // snapshot: what the watchdog needs for a MemAlloc line (one map lookup).
  std::optional<TaskReclaim> reclaim_of(pid_t tid) const;
  std::optional<LockWait> lock_wait_of(pid_t tid) const;
  // The timeline of an OOM victim seen by consume() (events already applied).
  std::optional<VictimTimeline> victim(pid_t pid) const;
  // When open() succeeded, CLOCK_MONOTONIC ns.
  std::int64_t opened_ns() const;

  const GfpTable& gfp() const;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace oomlab::tracer
