// SPDX-License-Identifier: GPL-2.0
/* oomlab stall tracer: reclaim episodes, mmap_lock waits and OOM victims.
 *
 * tp_btf programs read tracepoint arguments from a u64 array; the argument
 * lists of mmap_lock:* and oom:mark_victim changed across kernel versions, so
 * user space inspects the running kernel's BTF and sets the const flags below
 * before load. The verifier only walks the branch the constant selects. */
#include "vmlinux_min.h"
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include "stall_events.h"

char LICENSE[] SEC("license") = "GPL";

/* Set by user space from BTF before load. */
const volatile bool mmap_lock_has_memcg_path = false; /* 5.15 .. 6.13: (mm, memcg_path, write[, success]) */
const volatile bool mark_victim_has_task = false;     /* >= 6.8: (task, uid); before: (int pid) */

/* Adjustable at run time through the skeleton's bss. */
volatile __u64 reclaim_min_ns = 0;
volatile __u64 lockwait_min_ns = 1000000;

struct {
  __uint(type, BPF_MAP_TYPE_RINGBUF);
  __uint(max_entries, 512 * 1024);
} events SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_LRU_HASH);
  __uint(max_entries, 16384);
  __type(key, __u32);
  __type(value, struct stall_reclaim_task);
} reclaim_tasks SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, STALL_WAITER_SLOTS);
  __uint(map_flags, BPF_F_MMAPABLE);
  __type(key, __u32);
  __type(value, struct stall_lock_waiter);
} lock_waiters SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_LRU_HASH);
  __uint(max_entries, 4096);
  __type(key, __u64);
  __type(value, struct stall_mm_state);
} mm_states SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, 1024);
  __type(key, __u32);
  __type(value, struct stall_task_id);
} victims SEC(".maps");

/* Per CPU: no atomic read-modify-write on a shared line in the hot path;
 * user space sums the CPUs. */
struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
  __uint(max_entries, 1);
  __type(key, __u32);
  __type(value, struct stall_totals);
} totals SEC(".maps");

/* Scratch value too big for the 512-byte BPF stack. */
struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
  __uint(max_entries, 1);
  __type(key, __u32);
  __type(value, struct stall_mm_state);
} mm_scratch SEC(".maps");

static __always_inline struct stall_totals *get_totals(void)
{
  __u32 zero = 0;
  return bpf_map_lookup_elem(&totals, &zero);
}

static __always_inline void current_id(struct stall_task_id *id)
{
  __u64 pid_tgid = bpf_get_current_pid_tgid();
  id->tid = (__u32)pid_tgid;
  id->tgid = pid_tgid >> 32;
  bpf_get_current_comm(id->comm, sizeof(id->comm));
}

static __always_inline struct stall_event *reserve_event(__u32 type)
{
  struct stall_event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
  if (!e) {
    struct stall_totals *t = get_totals();
    if (t)
      t->dropped++;
    return 0;
  }
  e->type = type;
  e->pad = 0;
  e->ts_ns = bpf_ktime_get_ns();
  return e;
}

/* ---- reclaim ------------------------------------------------------------ */

static __always_inline int reclaim_begin(__u32 kind, int order, __u32 gfp)
{
  __u32 tid = (__u32)bpf_get_current_pid_tgid();
  struct stall_reclaim_task *r = bpf_map_lookup_elem(&reclaim_tasks, &tid);
  if (!r) {
    struct stall_reclaim_task fresh = {};
    current_id(&fresh.task);
    bpf_map_update_elem(&reclaim_tasks, &tid, &fresh, BPF_NOEXIST);
    r = bpf_map_lookup_elem(&reclaim_tasks, &tid);
    if (!r)
      return 0;
  }
  r->cur_kind = kind;
  r->cur_gfp = gfp;
  r->cur_order = order;
  r->cur_start_ns = bpf_ktime_get_ns();
  return 0;
}

static __always_inline int reclaim_end(__u32 kind, __u64 nr_reclaimed)
{
  __u32 tid = (__u32)bpf_get_current_pid_tgid();
  struct stall_reclaim_task *r = bpf_map_lookup_elem(&reclaim_tasks, &tid);
  if (!r || !r->cur_start_ns || r->cur_kind != kind)
    return 0; /* began before we attached */
  __u64 now = bpf_ktime_get_ns();
  __u64 delay = now - r->cur_start_ns;
  r->cur_start_ns = 0;
  r->count++;
  r->total_ns += delay;
  if (delay > r->longest_ns) {
    r->longest_ns = delay;
    r->longest_gfp = r->cur_gfp;
    r->longest_order = r->cur_order;
    r->longest_kind = kind;
  }
  struct stall_totals *t = get_totals();
  if (t && kind <= STALL_RECLAIM_MEMCG) {
    t->reclaim_count[kind]++;
    t->reclaim_ns[kind] += delay;
  }
  if (delay < reclaim_min_ns)
    return 0;
  struct stall_event *e = reserve_event(STALL_EV_RECLAIM);
  if (!e)
    return 0;
  e->ts_ns = now;
  current_id(&e->task);
  e->reclaim.delay_ns = delay;
  e->reclaim.nr_reclaimed = nr_reclaimed;
  e->reclaim.gfp = r->cur_gfp;
  e->reclaim.order = r->cur_order;
  e->reclaim.kind = kind;
  e->reclaim.pad = 0;
  bpf_ringbuf_submit(e, 0);
  return 0;
}

SEC("tp_btf/mm_vmscan_direct_reclaim_begin")
int direct_reclaim_begin(__u64 *ctx) { return reclaim_begin(STALL_RECLAIM_DIRECT, (int)ctx[0], (__u32)ctx[1]); }

SEC("tp_btf/mm_vmscan_direct_reclaim_end")
int direct_reclaim_end(__u64 *ctx) { return reclaim_end(STALL_RECLAIM_DIRECT, ctx[0]); }

SEC("tp_btf/mm_vmscan_memcg_reclaim_begin")
int memcg_reclaim_begin(__u64 *ctx) { return reclaim_begin(STALL_RECLAIM_MEMCG, (int)ctx[0], (__u32)ctx[1]); }

SEC("tp_btf/mm_vmscan_memcg_reclaim_end")
int memcg_reclaim_end(__u64 *ctx) { return reclaim_end(STALL_RECLAIM_MEMCG, ctx[0]); }

/* ---- mmap_lock (attached on demand) -------------------------------------- */

/* Loads of tracepoint argument n with a constant offset. Plain ctx[flag ? 2 : 1]
 * lets clang fold the choice into a computed ctx offset, which the verifier
 * rejects ("dereference of modified ctx ptr"). */
#define CTX_ARG(ctx, n)                                                   \
  ({                                                                      \
    __u64 __v;                                                            \
    asm volatile("%0 = *(u64 *)(%1 + " #n " * 8)" : "=r"(__v) : "r"(ctx)); \
    __v;                                                                  \
  })

static __always_inline __u64 lock_write_arg(__u64 *ctx)
{
  if (mmap_lock_has_memcg_path)
    return CTX_ARG(ctx, 2);
  return CTX_ARG(ctx, 1);
}

static __always_inline __u64 lock_success_arg(__u64 *ctx)
{
  if (mmap_lock_has_memcg_path)
    return CTX_ARG(ctx, 3);
  return CTX_ARG(ctx, 2);
}

static __always_inline struct stall_mm_state *mm_state(__u64 mm)
{
  struct stall_mm_state *s = bpf_map_lookup_elem(&mm_states, &mm);
  if (s)
    return s;
  __u32 zero = 0;
  struct stall_mm_state *fresh = bpf_map_lookup_elem(&mm_scratch, &zero);
  if (!fresh)
    return 0;
  __builtin_memset(fresh, 0, sizeof(*fresh));
  bpf_map_update_elem(&mm_states, &mm, fresh, BPF_NOEXIST);
  return bpf_map_lookup_elem(&mm_states, &mm);
}

SEC("tp_btf/mmap_lock_start_locking")
int lock_start_locking(__u64 *ctx)
{
  __u64 mm = ctx[0];
  __u64 pid_tgid = bpf_get_current_pid_tgid();
  __u32 slot = (__u32)pid_tgid % STALL_WAITER_SLOTS;
  struct stall_lock_waiter *w = bpf_map_lookup_elem(&lock_waiters, &slot);
  if (!w)
    return 0;
  w->task.tid = (__u32)pid_tgid;
  w->task.tgid = pid_tgid >> 32;
  w->task.comm[0] = 0; /* bpf_get_current_comm() at acquire: it is hot here */
  w->mm = mm;
  w->write = lock_write_arg(ctx) & 1;
  w->pad = 0;
  struct stall_mm_state *s = bpf_map_lookup_elem(&mm_states, &mm);
  if (s)
    w->holders = s->holders;
  else
    __builtin_memset(&w->holders, 0, sizeof(w->holders));
  w->start_ns = bpf_ktime_get_ns(); /* last: marks the slot busy */
  return 0;
}

static __always_inline void add_holder(struct stall_mm_state *s, __u32 write)
{
  struct stall_task_id me;
  current_id(&me);
  if (write) {
    s->holders.writer = me;
    return;
  }
  if (s->holders.writer.tid == me.tid) {
    /* mmap_write_downgrade(): the writer keeps the lock for read */
    s->holders.writer.tid = 0;
  }
  int n = __sync_fetch_and_add(&s->holders.nreaders, 1);
  for (int i = 0; i < STALL_MAX_READERS; i++)
    if (s->holders.readers[i].tid == me.tid)
      return; /* named already (nested hold, or a release we never saw) */
  for (int i = 0; i < STALL_MAX_READERS; i++) {
    if (__sync_val_compare_and_swap(&s->holders.readers[i].tid, 0, me.tid) == 0) {
      s->holders.readers[i].tgid = me.tgid;
      __builtin_memcpy(s->holders.readers[i].comm, me.comm, sizeof(me.comm));
      return;
    }
  }
  /* All slots taken. Slots can also hold readers whose release was never
   * seen (taken before attach on an mm whose address got reused, or missed):
   * overwrite one in turn, so live readers get named again. */
  s->holders.readers[n & (STALL_MAX_READERS - 1)] = me;
}

SEC("tp_btf/mmap_lock_acquire_returned")
int lock_acquire_returned(__u64 *ctx)
{
  __u64 mm = ctx[0];
  __u32 write = lock_write_arg(ctx) & 1;
  __u32 acquired = lock_success_arg(ctx) & 1;
  __u32 tid = (__u32)bpf_get_current_pid_tgid();

  struct stall_mm_state *s = mm_state(mm);
  if (s && acquired)
    add_holder(s, write);

  /* trylocks return without a start_locking: no waiter entry */
  __u32 slot = tid % STALL_WAITER_SLOTS;
  struct stall_lock_waiter *w = bpf_map_lookup_elem(&lock_waiters, &slot);
  if (!w || !w->start_ns || w->task.tid != tid)
    return 0;
  __u64 now = bpf_ktime_get_ns();
  __u64 wait = now - w->start_ns;
  if (s) {
    __sync_fetch_and_add(&s->waits[write], 1);
    __sync_fetch_and_add(&s->wait_ns[write], wait);
    if (wait > s->longest_wait_ns[write])
      s->longest_wait_ns[write] = wait;
  }
  struct stall_totals *t = get_totals();
  if (t) {
    t->lock_waits++;
    t->lock_wait_ns += wait;
  }
  if (wait >= lockwait_min_ns) {
    struct stall_event *e = reserve_event(STALL_EV_LOCKWAIT);
    if (e) {
      e->ts_ns = now;
      e->task = w->task;
      bpf_get_current_comm(e->task.comm, sizeof(e->task.comm));
      e->lock.mm = mm;
      e->lock.wait_ns = wait;
      e->lock.write = write;
      e->lock.acquired = acquired;
      e->lock.holders = w->holders;
      bpf_ringbuf_submit(e, 0);
    }
  }
  w->start_ns = 0;
  return 0;
}

SEC("tp_btf/mmap_lock_released")
int lock_released(__u64 *ctx)
{
  __u64 mm = ctx[0];
  __u32 write = lock_write_arg(ctx) & 1;
  struct stall_mm_state *s = bpf_map_lookup_elem(&mm_states, &mm);
  if (!s)
    return 0;
  __u32 tid = (__u32)bpf_get_current_pid_tgid();
  if (write) {
    if (s->holders.writer.tid == tid)
      s->holders.writer.tid = 0;
    return 0;
  }
  /* readers taken before we attached were never counted: never go below 0 */
  if (s->holders.nreaders > 0)
    __sync_fetch_and_sub(&s->holders.nreaders, 1);
  for (int i = 0; i < STALL_MAX_READERS; i++) {
    if (s->holders.readers[i].tid == tid) {
      s->holders.readers[i].tid = 0;
      break;
    }
  }
  return 0;
}

/* ---- OOM victims ---------------------------------------------------------- */

static __always_inline int oom_event(__u32 stage, __u32 pid)
{
  struct stall_event *e = reserve_event(STALL_EV_OOM);
  if (!e)
    return 0;
  struct stall_task_id *v = bpf_map_lookup_elem(&victims, &pid);
  if (v) {
    e->task = *v;
  } else {
    __builtin_memset(&e->task, 0, sizeof(e->task));
    e->task.tid = pid;
  }
  e->oom.stage = stage;
  e->oom.pid = pid;
  bpf_ringbuf_submit(e, 0);
  return 0;
}

SEC("tp_btf/mark_victim")
int oom_mark_victim(__u64 *ctx)
{
  struct stall_task_id v = {};
  if (mark_victim_has_task) {
    struct task_struct *task = (struct task_struct *)ctx[0];
    v.tid = BPF_CORE_READ(task, pid);
    v.tgid = BPF_CORE_READ(task, tgid);
    BPF_CORE_READ_STR_INTO(&v.comm, task, comm);
  } else {
    v.tid = (__u32)ctx[0]; /* comm and tgid filled in by user space */
  }
  bpf_map_update_elem(&victims, &v.tid, &v, BPF_ANY);
  struct stall_totals *t = get_totals();
  if (t)
    t->oom_victims++;
  return oom_event(STALL_OOM_MARK_VICTIM, v.tid);
}

SEC("tp_btf/wake_reaper")
int oom_wake_reaper(__u64 *ctx) { return oom_event(STALL_OOM_WAKE_REAPER, (__u32)ctx[0]); }

SEC("tp_btf/start_task_reaping")
int oom_start_reaping(__u64 *ctx) { return oom_event(STALL_OOM_START_REAPING, (__u32)ctx[0]); }

SEC("tp_btf/finish_task_reaping")
int oom_finish_reaping(__u64 *ctx) { return oom_event(STALL_OOM_FINISH_REAPING, (__u32)ctx[0]); }

SEC("tp_btf/skip_task_reaping")
int oom_skip_reaping(__u64 *ctx) { return oom_event(STALL_OOM_SKIP_REAPING, (__u32)ctx[0]); }

SEC("tp_btf/sched_process_exit")
int victim_exit(__u64 *ctx)
{
  struct task_struct *p = (struct task_struct *)ctx[0];
  __u32 pid = BPF_CORE_READ(p, pid);
  if (!bpf_map_lookup_elem(&victims, &pid))
    return 0;
  oom_event(STALL_OOM_EXITED, pid);
  bpf_map_delete_elem(&victims, &pid);
  return 0;
}
