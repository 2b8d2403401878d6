// SPDX-License-Identifier: GPL-2.0
/* oomlab stall tracer: reclaim episodes, mmap_lock waits and OOM victims.
 *
 * tp_btf programs read tracepoint arguments from a u64 array; the argument
 * list of oom:mark_victim changed across kernel versions, so
 * user space inspects the running kernel's BTF and sets the const flags below
 * before load. The verifier only walks the branch the constant selects. */
#include "vmlinux_min.h"
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include "stall_events.h"

char LICENSE[] SEC("license") = "GPL";

/* Set by user space from BTF before load. */
const volatile bool mark_victim_has_task = false;     /* >= 6.8: (task, uid); before: (int pid) */

/* Adjustable at run time through the skeleton's bss. */
volatile __u64 reclaim_min_ns = 0;
volatile __u64 lockwait_min_ns = 1000000;
/* Memory cgroup to watch (its directory's inode number, v1 or v2), 0: all.
 * Tasks in it or below it are traced; others exit at the first check. */
volatile __u64 watch_cgroup_id = 0;

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

#define WATCH_MAX_DEPTH 8

static __always_inline bool in_watched_group(void)
{
  __u64 want = watch_cgroup_id;
  if (!want)
    return true;
  struct task_struct *me = (struct task_struct *)bpf_get_current_task();
  int memcg = bpf_core_enum_value(enum cgroup_subsys_id, memory_cgrp_id);
  struct css_set *cset = BPF_CORE_READ(me, cgroups);
  struct cgroup_subsys_state *css = 0;
  if (!cset)
    return false;
  bpf_probe_read_kernel(&css, sizeof(css), (void *)cset + bpf_core_field_offset(struct css_set, subsys) +
                                               memcg * sizeof(css));
  for (int i = 0; i < WATCH_MAX_DEPTH && css; i++) {
    if (BPF_CORE_READ(css, cgroup, kn, id) == want)
      return true;
    css = BPF_CORE_READ(css, parent);
  }
  return false;
}

/* ---- reclaim ------------------------------------------------------------ */

static __always_inline int reclaim_begin(__u32 kind, int order, __u32 gfp)
{
  if (!in_watched_group())
    return 0;
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

/* ---- mmap_lock waits (attached on demand) -------------------------------
 *
 * Only contended acquisitions are traced: lock:contention_begin/end fire in
 * the rwsem slow path, after the fast path and optimistic spinning failed, so
 * an uncontended mmap/munmap (~1.4 M mmap_lock tracepoint hits a second in a
 * storm) costs nothing. The mmap_lock tracepoints cost ~10% of such a storm
 * with empty programs attached (bench/tracer/RESULTS.md). Holders come from
 * the rwsem itself at the start of a wait: its owner field names the writer,
 * or the last reader to take it, and its count says how many readers hold it.
 */

/* include/trace/events/lock.h */
#define LCB_F_SPIN (1U << 0)
#define LCB_F_READ (1U << 1)
#define LCB_F_WRITE (1U << 2)
#define LCB_F_RT (1U << 3)
#define LCB_F_PERCPU (1U << 4)
#define LCB_F_MUTEX (1U << 5)
/* kernel/locking/rwsem.c */
#define RWSEM_WRITER_LOCKED (1UL << 0)
#define RWSEM_READER_SHIFT 8
#define RWSEM_READER_OWNED (1UL << 0)
#define RWSEM_OWNER_FLAGS_MASK 7UL

static __always_inline void task_identity(struct task_struct *t, struct stall_task_id *id)
{
  id->tid = BPF_CORE_READ(t, pid);
  id->tgid = BPF_CORE_READ(t, tgid);
  BPF_CORE_READ_STR_INTO(&id->comm, t, comm);
}

/* The mm whose mmap_lock this is, or 0 if the lock is another rwsem. Own mm:
 * one comparison. Another task's mm (a /proc/PID/cmdline reader): the
 * candidate is an mm if its owner task points back at it. */
static __always_inline __u64 mmap_lock_mm(__u64 lock)
{
  __u64 mm = lock - bpf_core_field_offset(struct mm_struct, mmap_lock);
  struct task_struct *me = (struct task_struct *)bpf_get_current_task();
  if ((__u64)BPF_CORE_READ(me, mm) == mm)
    return mm;
  if (!bpf_core_field_exists(struct mm_struct, owner))
    return 0;
  struct task_struct *owner = BPF_CORE_READ((struct mm_struct *)mm, owner);
  if (!owner || (__u64)BPF_CORE_READ(owner, mm) != mm)
    return 0;
  return mm;
}

static __always_inline void rwsem_holders(__u64 mm, __u32 waiter, struct stall_holders *h)
{
  struct rw_semaphore *sem = &((struct mm_struct *)mm)->mmap_lock;
  __u64 count = BPF_CORE_READ(sem, count.counter);
  __u64 owner = BPF_CORE_READ(sem, owner.counter);
  struct task_struct *t = (struct task_struct *)(owner & ~RWSEM_OWNER_FLAGS_MASK);
  __builtin_memset(h, 0, sizeof(*h));
  if (count & RWSEM_WRITER_LOCKED) {
    if (t && !(owner & RWSEM_READER_OWNED))
      task_identity(t, &h->writer);
    return;
  }
  h->nreaders = (__s32)((count >> RWSEM_READER_SHIFT) & 0xffffff);
  if (h->nreaders > 0 && t && (owner & RWSEM_READER_OWNED)) {
    task_identity(t, &h->readers[0]);
    if (h->readers[0].tid == waiter) /* our own earlier hold: stale */
      __builtin_memset(&h->readers[0], 0, sizeof(h->readers[0]));
  }
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

SEC("tp_btf/contention_begin")
int lock_contention_begin(__u64 *ctx)
{
  __u32 flags = (__u32)ctx[1];
  if (flags & (LCB_F_SPIN | LCB_F_RT | LCB_F_PERCPU | LCB_F_MUTEX) || !(flags & (LCB_F_READ | LCB_F_WRITE)))
    return 0; /* not a sleeping rwsem wait */
  if (!in_watched_group())
    return 0;
  __u64 mm = mmap_lock_mm(ctx[0]);
  if (!mm)
    return 0;
  __u64 pid_tgid = bpf_get_current_pid_tgid();
  __u32 slot = (__u32)pid_tgid % STALL_WAITER_SLOTS;
  struct stall_lock_waiter *w = bpf_map_lookup_elem(&lock_waiters, &slot);
  if (!w)
    return 0;
  current_id(&w->task);
  w->mm = mm;
  w->write = (flags & LCB_F_WRITE) ? 1 : 0;
  w->pad = 0;
  rwsem_holders(mm, (__u32)pid_tgid, &w->holders);
  struct stall_mm_state *s = mm_state(mm);
  if (s)
    s->holders = w->holders;
  w->start_ns = bpf_ktime_get_ns(); /* last: marks the slot busy */
  return 0;
}

/* Fires for every contended lock's end: exit after one array load unless
 * this task has a wait for this lock. */
SEC("tp_btf/contention_end")
int lock_contention_end(__u64 *ctx)
{
  __u32 tid = (__u32)bpf_get_current_pid_tgid();
  __u32 slot = tid % STALL_WAITER_SLOTS;
  struct stall_lock_waiter *w = bpf_map_lookup_elem(&lock_waiters, &slot);
  if (!w || !w->start_ns || w->task.tid != tid ||
      w->mm + bpf_core_field_offset(struct mm_struct, mmap_lock) != ctx[0])
    return 0;
  __u64 now = bpf_ktime_get_ns();
  __u64 wait = now - w->start_ns;
  __u32 write = w->write;
  __u32 acquired = (int)ctx[1] == 0; /* -EINTR: a killable wait gave up */
  struct stall_mm_state *s = mm_state(w->mm);
  if (s) {
    __sync_fetch_and_add(&s->waits[write & 1], 1);
    __sync_fetch_and_add(&s->wait_ns[write & 1], wait);
    if (wait > s->longest_wait_ns[write & 1])
      s->longest_wait_ns[write & 1] = wait;
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
      e->lock.mm = w->mm;
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
