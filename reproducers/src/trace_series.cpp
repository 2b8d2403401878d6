#include "trace_series.hpp"

#include "oomlab/tracer/format.hpp"
#include "oomlab/tracer/tracer.hpp"

namespace oomlab::repro {
namespace {

std::int64_t ms(std::int64_t ns) { return ns / 1'000'000; }

std::string holders_text(const tracer::LockHolders& h) {
  if (h.writer) return "held for write by " + tracer::format_task(*h.writer);
  if (h.readers.empty() && h.unnamed_readers == 0) return "holder unknown";
  std::string out = "held for read by ";
  for (std::size_t i = 0; i < h.readers.size(); ++i) out += (i ? ", " : "") + tracer::format_task(h.readers[i]);
  if (h.unnamed_readers) out += (h.readers.empty() ? "" : " ") + std::string("+") + std::to_string(h.unnamed_readers) + " more";
  return out;
}

}  // namespace

TraceSeries::TraceSeries() : tracer_(std::make_unique<tracer::Tracer>()) {}
TraceSeries::~TraceSeries() = default;

bool TraceSeries::open(const std::string& cgroup_dir, std::string* why) {
  tracer::TracerOptions o;
  o.watch_cgroup = cgroup_dir;
  o.lock_tracing = true;  // only the group's contended locks: the filter keeps it cheap
  open_ = tracer_->open(o);
  if (!open_) *why = tracer_->error();
  return open_;
}

std::string TraceSeries::missing() const { return open_ ? tracer_->missing() : std::string(); }

std::optional<TraceSample> TraceSeries::sample() {
  if (!open_) return std::nullopt;
  tracer_->consume([](const tracer::Event&) {});  // finished episodes: the snapshot has the totals
  const tracer::Snapshot snap = tracer_->snapshot();
  TraceSample t;
  const tracer::TaskReclaim* longest = nullptr;
  for (const tracer::TaskReclaim& r : snap.reclaim) {
    if (!r.current) continue;
    ++t.in_reclaim;
    if (!longest || r.current->since_ns < longest->current->since_ns) longest = &r;
  }
  if (longest) {
    t.reclaim_longest_ms = std::max<std::int64_t>(0, ms(snap.taken_ns - longest->current->since_ns));
    t.reclaim_task = tracer::format_task(longest->task);
    t.reclaim_kind = tracer::to_string(longest->current->kind);
    t.reclaim_gfp = tracer_->gfp().format(longest->current->gfp);
    t.reclaim_order = longest->current->order;
  }
  t.lock_waiters = static_cast<int>(snap.lock_waits.size());
  if (!snap.lock_waits.empty()) {  // longest first
    const tracer::LockWait& w = snap.lock_waits.front();
    t.lockwait_longest_ms = ms(w.wait.count());
    t.lockwait_waiter = tracer::format_task(w.task);
    t.lockwait_write = w.write;
    t.lockwait_holders = holders_text(w.holders);
  }
  return t;
}

}  // namespace oomlab::repro
