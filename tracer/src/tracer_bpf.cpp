// The tracer with BPF: loads the skeleton, adapts it to the running kernel's
// tracepoint signatures, attaches, and reads the ring buffer and maps.
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include <algorithm>
#include <cerrno>
#include <cstdarg>
#include <cstring>
#include <exception>
#include <map>
#include <mutex>
#include <utility>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kernel_btf.hpp"
#include "oomlab/common/clock.hpp"
#include "oomlab/common/procfs.hpp"
#include "oomlab/tracer/tracer.hpp"
#include "oomlab/facts/proc_stat.hpp"
#include "oomlab/facts/proc_status.hpp"
#include "records.hpp"
#include "stall_tracer.skel.h"

namespace oomlab::tracer {
namespace {

const char* const kLockPrograms[] = {"lock_contention_begin", "lock_contention_end"};

bool is_lock_program(const bpf_program* p) {
  return std::any_of(std::begin(kLockPrograms), std::end(kLockPrograms),
                     [&](const char* n) { return std::strcmp(n, bpf_program__name(p)) == 0; });
}

std::string tracepoint_of(const bpf_program* p) {
  std::string_view sec = bpf_program__section_name(p);
  auto slash = sec.find('/');
  return std::string(slash == std::string_view::npos ? sec : sec.substr(slash + 1));
}

// libbpf's warnings go to this string instead of stderr: the caller decides
// whether the user sees one line of it.
thread_local std::string libbpf_last_warning;
int capture_libbpf_print(enum libbpf_print_level level, const char* fmt, va_list args) {
  if (level != LIBBPF_WARN) return 0;
  char buf[512];
  vsnprintf(buf, sizeof buf, fmt, args);
  std::string line(buf);
  while (!line.empty() && line.back() == '\n') line.pop_back();
  if (!line.empty()) libbpf_last_warning = line;
  return 0;
}

std::string load_error(int err) {
  err = err < 0 ? -err : err;
  if ((err == EPERM || err == EACCES) && geteuid() != 0) return "needs root (CAP_BPF and CAP_PERFMON) to load BPF programs";
  std::string why = std::strerror(err);
  if (!libbpf_last_warning.empty()) why += " (libbpf: " + libbpf_last_warning + ")";
  return "BPF load failed: " + why;
}

std::string proc_comm(pid_t tid) {
  auto comm = read_proc_file("/proc/" + std::to_string(tid) + "/comm", 64);
  if (!comm) return "";
  while (!comm->empty() && comm->back() == '\n') comm->pop_back();
  return *comm;
}

// A task waiting for an mmap lock sleeps in rwsem_down_*_slowpath in state D.
// A waiter slot of a task in any other state is stale: its acquire_returned
// was missed (Totals::missed), or it is spinning and about to get the lock.
bool blocked_now(pid_t tid) {
  char path[64], buf[512];
  std::snprintf(path, sizeof path, "/proc/%d/stat", tid);
  long n = read_proc_file_into(path, buf, sizeof buf - 1);
  facts::ProcStat s;
  return n > 0 && facts::parse_proc_stat(std::string_view(buf, static_cast<std::size_t>(n)), s) && s.state == 'D';
}

std::uint64_t recursion_misses(bpf_object* obj) {
  std::uint64_t total = 0;
  bpf_program* prog;
  bpf_object__for_each_program(prog, obj) {
    int fd = bpf_program__fd(prog);
    if (fd < 0) continue;
    bpf_prog_info info{};
    __u32 len = sizeof info;
    if (bpf_obj_get_info_by_fd(fd, &info, &len) == 0) total += info.recursion_misses;
  }
  return total;
}

bool alive(pid_t tid) {
  char path[64];
  std::snprintf(path, sizeof path, "/proc/%d/stat", tid);
  return access(path, F_OK) == 0;
}

// An ongoing wait as reported: the waiter's comm (the BPF side skips it on
// the hot path), and only holders that still exist - a task that is gone
// holds no lock, its slot is a release we never saw.
LockWait as_reported(LockWait w) {
  if (w.task.comm.empty()) w.task.comm = proc_comm(w.task.tid);
  if (w.holders.writer && !alive(w.holders.writer->tid)) w.holders.writer.reset();
  std::erase_if(w.holders.readers, [](const TaskId& t) { return !alive(t.tid); });
  return w;
}

// comm and tgid of a victim the tracepoint gave only as a pid (< 6.8).
void fill_victim_identity(TaskId& t) {
  if (t.comm.empty()) t.comm = proc_comm(t.tid);
  if (t.tgid == 0)
    if (auto status = read_proc_file("/proc/" + std::to_string(t.tid) + "/status", 4096))
      if (facts::ProcStatus st; facts::parse_proc_status(*status, st)) t.tgid = st.tgid;
}

template <typename Key, typename Value, typename F>
void for_each_entry(int map_fd, F&& f) {
  Key key{}, next{};
  Value value{};
  Key* prev = nullptr;
  while (bpf_map_get_next_key(map_fd, prev, &next) == 0) {
    if (bpf_map_lookup_elem(map_fd, &next, &value) == 0) f(next, value);
    key = next;
    prev = &key;
  }
}

}  // namespace

struct Tracer::Impl {
  stall_tracer_bpf* skel = nullptr;
  ring_buffer* rb = nullptr;
  std::vector<bpf_link*> links, lock_links;
  std::string error = "not opened";
  std::string missing;
  GfpTable gfp = GfpTable::for_release(running_kernel_release());
  mutable std::mutex victims_mutex;  // consume() and snapshot() may run on two threads
  std::map<pid_t, VictimTimeline> victims;
  const std::function<void(const Event&)>* sink = nullptr;
  std::exception_ptr sink_error;  // a throwing sink must not unwind through libbpf
  std::size_t delivered = 0;
  std::int64_t opened_ns = 0;
  // The waiter slots, mapped read-only from the BPF array.
  const stall_lock_waiter* waiters = nullptr;
  static constexpr std::size_t kWaitersBytes = sizeof(stall_lock_waiter) * STALL_WAITER_SLOTS;

  ~Impl() { close(); }

  void close() {
    if (waiters) munmap(const_cast<stall_lock_waiter*>(waiters), kWaitersBytes);
    waiters = nullptr;
    for (auto* l : lock_links) bpf_link__destroy(l);
    for (auto* l : links) bpf_link__destroy(l);
    lock_links.clear();
    links.clear();
    if (rb) ring_buffer__free(rb);
    rb = nullptr;
    if (skel) stall_tracer_bpf__destroy(skel);
    skel = nullptr;
  }

  static int on_record(void* ctx, void* data, std::size_t size) {
    auto* self = static_cast<Impl*>(ctx);
    if (size < sizeof(stall_event)) return 0;
    stall_event raw;
    std::memcpy(&raw, data, sizeof raw);
    auto event = to_event(raw);
    if (!event) return 0;
    if (auto* oom = std::get_if<OomEvent>(&*event)) self->track_victim(*oom);
    try {
      if (self->sink) (*self->sink)(*event);
    } catch (...) {
      self->sink_error = std::current_exception();
      return -1;  // stops ring_buffer__consume; rethrown by deliver()
    }
    self->delivered++;
    return 0;
  }

  void track_victim(OomEvent& e) {
    if (e.stage == OomStage::MarkVictim) fill_victim_identity(e.victim);
    std::lock_guard lock(victims_mutex);
    auto it = victims.find(e.victim.tid);
    if (e.stage == OomStage::MarkVictim) {
      VictimTimeline v;
      v.victim = e.victim;
      it = victims.insert_or_assign(e.victim.tid, v).first;
    }
    if (it == victims.end()) return;  // marked before we started
    if (e.victim.comm.empty()) e.victim.comm = it->second.victim.comm;
    if (e.victim.tgid == 0) e.victim.tgid = it->second.victim.tgid;
    it->second.apply(e);
  }

  // Runs one libbpf consume/poll with the sink installed; rethrows its exception.
  template <typename F>
  std::size_t deliver(const std::function<void(const Event&)>& to, F&& run) {
    if (!rb) return 0;
    sink = &to;
    delivered = 0;
    sink_error = nullptr;
    run();
    sink = nullptr;
    if (sink_error) std::rethrow_exception(std::exchange(sink_error, nullptr));
    return delivered;
  }

  bool open(const TracerOptions& options);
};

bool Tracer::Impl::open(const TracerOptions& options) {
  close();
  libbpf_set_print(capture_libbpf_print);
  libbpf_last_warning.clear();
  if (access("/sys/kernel/btf/vmlinux", R_OK) != 0) {
    error = "kernel has no BTF (/sys/kernel/btf/vmlinux missing; needs CONFIG_DEBUG_INFO_BTF)";
    return false;
  }
  std::unique_ptr<btf, void (*)(btf*)> vmlinux(btf__load_vmlinux_btf(), btf__free);
  if (!vmlinux) {
    error = std::string("cannot read kernel BTF: ") + std::strerror(errno);
    return false;
  }
  if (auto bits = gfp_bits_from_btf(vmlinux.get()); !bits.empty()) gfp = GfpTable::from_bits(bits, "btf");

  skel = stall_tracer_bpf__open();
  if (!skel) {
    error = load_error(errno);
    return false;
  }
  skel->rodata->mark_victim_has_task = tracepoint_arg_is_pointer(vmlinux.get(), "mark_victim", 0);
  skel->data->lockwait_min_ns = static_cast<__u64>(options.lockwait_min.count());
  skel->bss->reclaim_min_ns = static_cast<__u64>(options.reclaim_min.count());
  if (!options.watch_cgroup.empty()) {
    struct stat st{};
    const int r = stat(options.watch_cgroup.c_str(), &st);
    if (r != 0 || !S_ISDIR(st.st_mode)) {
      error = "cannot watch cgroup " + options.watch_cgroup + ": " + (r != 0 ? std::strerror(errno) : "not a directory");
      close();
      return false;
    }
    skel->bss->watch_cgroup_id = st.st_ino;  // kernfs: the cgroup id is the directory's inode
  }

  missing.clear();
  bpf_program* prog;
  bpf_object__for_each_program(prog, skel->obj) {
    std::string tp = tracepoint_of(prog);
    if (tracepoint_arg_count(vmlinux.get(), tp) < 0) {
      bpf_program__set_autoload(prog, false);
      missing += (missing.empty() ? "" : " ") + tp;
    }
  }
  if (int err = stall_tracer_bpf__load(skel)) {
    error = load_error(err);
    close();
    return false;
  }
  bpf_object__for_each_program(prog, skel->obj) {
    if (!bpf_program__autoload(prog) || is_lock_program(prog)) continue;
    bpf_link* link = bpf_program__attach(prog);
    if (!link) {
      error = "cannot attach " + tracepoint_of(prog) + ": " + std::strerror(errno);
      close();
      return false;
    }
    links.push_back(link);
  }
  void* slots = mmap(nullptr, kWaitersBytes, PROT_READ, MAP_SHARED, bpf_map__fd(skel->maps.lock_waiters), 0);
  if (slots == MAP_FAILED) {
    error = std::string("cannot map the lock waiter slots: ") + std::strerror(errno);
    close();
    return false;
  }
  waiters = static_cast<const stall_lock_waiter*>(slots);
  rb = ring_buffer__new(bpf_map__fd(skel->maps.events), &Impl::on_record, this, nullptr);
  if (!rb) {
    error = std::string("cannot create ring buffer: ") + std::strerror(errno);
    close();
    return false;
  }
  error.clear();
  opened_ns = monotonic_us() * 1000;
  return true;
}

bool Tracer::compiled_in() { return true; }
Tracer::Tracer() : impl_(std::make_unique<Impl>()) {}
Tracer::~Tracer() = default;

bool Tracer::open(const TracerOptions& options) {
  if (!impl_->open(options)) return false;
  if (options.lock_tracing && !attach_lock_tracing()) {
    std::string why = impl_->error;
    impl_->close();
    impl_->error = why;
    return false;
  }
  return true;
}
bool Tracer::available() const { return impl_->skel != nullptr; }
const std::string& Tracer::error() const { return impl_->error; }
const std::string& Tracer::missing() const { return impl_->missing; }
const GfpTable& Tracer::gfp() const { return impl_->gfp; }
std::int64_t Tracer::opened_ns() const { return impl_->opened_ns; }
bool Tracer::lock_tracing() const { return !impl_->lock_links.empty(); }

bool Tracer::attach_lock_tracing() {
  if (!impl_->skel) return false;
  if (!impl_->lock_links.empty()) return true;
  bpf_program* prog;
  bpf_object__for_each_program(prog, impl_->skel->obj) {
    if (!is_lock_program(prog) || !bpf_program__autoload(prog)) continue;
    bpf_link* link = bpf_program__attach(prog);
    if (!link) {
      impl_->error = "cannot attach " + tracepoint_of(prog) + ": " + std::strerror(errno);
      detach_lock_tracing();
      return false;
    }
    impl_->lock_links.push_back(link);
  }
  return !impl_->lock_links.empty();
}

void Tracer::detach_lock_tracing() {
  for (auto* l : impl_->lock_links) bpf_link__destroy(l);
  impl_->lock_links.clear();
  if (!impl_->skel) return;
  // Waits and holders go stale while detached: start clean next time.
  int waiters = bpf_map__fd(impl_->skel->maps.lock_waiters), mms = bpf_map__fd(impl_->skel->maps.mm_states);
  const stall_lock_waiter free_slot{};
  for (__u32 slot = 0; slot < STALL_WAITER_SLOTS; slot++)
    if (impl_->waiters[slot].start_ns) bpf_map_update_elem(waiters, &slot, &free_slot, BPF_ANY);
  std::vector<__u64> keys;
  for_each_entry<__u64, stall_mm_state>(mms, [&](__u64 k, const stall_mm_state&) { keys.push_back(k); });
  for (auto k : keys) bpf_map_delete_elem(mms, &k);
}

void Tracer::set_thresholds(std::chrono::nanoseconds reclaim_min, std::chrono::nanoseconds lockwait_min) {
  if (!impl_->skel) return;
  impl_->skel->bss->reclaim_min_ns = static_cast<__u64>(reclaim_min.count());
  impl_->skel->data->lockwait_min_ns = static_cast<__u64>(lockwait_min.count());
}

int Tracer::fd() const { return impl_->rb ? ring_buffer__epoll_fd(impl_->rb) : -1; }

std::size_t Tracer::consume(const std::function<void(const Event&)>& sink) {
  return impl_->deliver(sink, [&] { ring_buffer__consume(impl_->rb); });
}

std::size_t Tracer::poll(std::chrono::milliseconds timeout, const std::function<void(const Event&)>& sink) {
  return impl_->deliver(sink, [&] { ring_buffer__poll(impl_->rb, static_cast<int>(timeout.count())); });
}

std::optional<TaskReclaim> Tracer::reclaim_of(pid_t tid) const {
  if (!impl_->skel) return std::nullopt;
  __u32 key = static_cast<__u32>(tid);
  stall_reclaim_task r{};
  if (bpf_map_lookup_elem(bpf_map__fd(impl_->skel->maps.reclaim_tasks), &key, &r) != 0) return std::nullopt;
  return to_task_reclaim(r);
}

std::optional<LockWait> Tracer::lock_wait_of(pid_t tid) const {
  if (!impl_->waiters || tid <= 0) return std::nullopt;
  stall_lock_waiter w;
  std::memcpy(&w, &impl_->waiters[static_cast<__u32>(tid) % STALL_WAITER_SLOTS], sizeof w);
  const std::int64_t now = monotonic_us() * 1000;
  if (!w.start_ns || w.task.tid != static_cast<__u32>(tid) || static_cast<std::int64_t>(w.start_ns) > now ||
      !blocked_now(tid))
    return std::nullopt;
  return as_reported(to_ongoing_wait(w, nullptr, now));
}

std::optional<VictimTimeline> Tracer::victim(pid_t pid) const {
  std::lock_guard lock(impl_->victims_mutex);
  auto it = impl_->victims.find(pid);
  if (it == impl_->victims.end()) return std::nullopt;
  return it->second;
}

Snapshot Tracer::snapshot() const {
  Snapshot s;
  s.taken_ns = monotonic_us() * 1000;
  if (!impl_->skel) return s;
  auto& maps = impl_->skel->maps;
  s.lock_tracing = lock_tracing();
  for_each_entry<__u32, stall_reclaim_task>(bpf_map__fd(maps.reclaim_tasks), [&](__u32, const stall_reclaim_task& r) {
    s.reclaim.push_back(to_task_reclaim(r));
  });
  std::sort(s.reclaim.begin(), s.reclaim.end(), [](auto& a, auto& b) { return a.longest > b.longest; });

  for_each_entry<__u64, stall_mm_state>(bpf_map__fd(maps.mm_states), [&](__u64 mm, const stall_mm_state& st) {
    if (st.waits[0] + st.waits[1]) s.mms.push_back(to_mm_stats(mm, st));
  });
  std::sort(s.mms.begin(), s.mms.end(), [](auto& a, auto& b) {
    return a.wait_total[0] + a.wait_total[1] > b.wait_total[0] + b.wait_total[1];
  });
  for (__u32 slot = 0; slot < STALL_WAITER_SLOTS; slot++) {
    if (!impl_->waiters[slot].start_ns) continue;
    stall_lock_waiter w;  // copy first: BPF rewrites the slot under us
    std::memcpy(&w, &impl_->waiters[slot], sizeof w);
    if (!w.start_ns || static_cast<std::int64_t>(w.start_ns) > s.taken_ns) continue;
    if (!blocked_now(static_cast<pid_t>(w.task.tid))) continue;
    s.lock_waits.push_back(as_reported(to_ongoing_wait(w, nullptr, s.taken_ns)));
  }
  std::sort(s.lock_waits.begin(), s.lock_waits.end(), [](auto& a, auto& b) { return a.wait > b.wait; });

  {
    std::lock_guard lock(impl_->victims_mutex);
    for (const auto& [pid, v] : impl_->victims) s.victims.push_back(v);
  }
  __u32 zero = 0;
  std::vector<stall_totals> per_cpu(static_cast<std::size_t>(std::max(libbpf_num_possible_cpus(), 1)));
  if (bpf_map_lookup_elem(bpf_map__fd(maps.totals), &zero, per_cpu.data()) == 0) {
    stall_totals sum{};
    for (const auto& t : per_cpu) {
      for (int k = 0; k < 2; k++) {
        sum.reclaim_count[k] += t.reclaim_count[k];
        sum.reclaim_ns[k] += t.reclaim_ns[k];
      }
      sum.lock_waits += t.lock_waits;
      sum.lock_wait_ns += t.lock_wait_ns;
      sum.oom_victims += t.oom_victims;
      sum.dropped += t.dropped;
    }
    s.totals = to_totals(sum);
  }
  s.totals.missed = recursion_misses(impl_->skel->obj);
  return s;
}

}  // namespace oomlab::tracer
