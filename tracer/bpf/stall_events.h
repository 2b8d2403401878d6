/* Records shared by the BPF stall tracer (stall_tracer.bpf.c) and its C++
 * reader (tracer/src). Plain C with fixed-size types: both sides compile it,
 * clang -target bpf and g++, so the layout must not depend on the compiler.
 * Times are bpf_ktime_get_ns(), i.e. CLOCK_MONOTONIC in ns. */
#ifndef OOMLAB_STALL_EVENTS_H
#define OOMLAB_STALL_EVENTS_H

#include <linux/types.h>

#define STALL_COMM_LEN 16
/* Holders of one mm's lock remembered by name: a writer or this many readers. */
#define STALL_MAX_READERS 4

enum stall_event_type {
  STALL_EV_RECLAIM = 1,  /* one reclaim episode ended (>= reclaim_min_ns) */
  STALL_EV_LOCKWAIT = 2, /* one mmap_lock wait ended (>= lockwait_min_ns) */
  STALL_EV_OOM = 3,      /* an oom: tracepoint or a victim's exit */
};

enum stall_reclaim_kind { STALL_RECLAIM_DIRECT = 0, STALL_RECLAIM_MEMCG = 1 };

enum stall_oom_stage {
  STALL_OOM_MARK_VICTIM = 1,
  STALL_OOM_WAKE_REAPER = 2,
  STALL_OOM_START_REAPING = 3,
  STALL_OOM_FINISH_REAPING = 4,
  STALL_OOM_SKIP_REAPING = 5,
  STALL_OOM_EXITED = 6,
};

struct stall_task_id {
  __u32 tid;
  __u32 tgid;
  char comm[STALL_COMM_LEN];
};

/* Who held an mm's lock: one writer, or up to STALL_MAX_READERS named readers
 * plus a count of the ones that did not fit (or were taken before attach). */
struct stall_holders {
  struct stall_task_id writer;          /* tid 0: no writer */
  struct stall_task_id readers[STALL_MAX_READERS];  /* tid 0: free slot */
  __s32 nreaders;                       /* all readers, named or not */
  __u32 pad;
};

struct stall_event {
  __u32 type;   /* enum stall_event_type */
  __u32 pad;
  __u64 ts_ns;  /* when it happened (end of the episode/wait) */
  struct stall_task_id task;  /* the stalled task; for OOM events the victim */
  union {
    struct {
      __u64 delay_ns;
      __u64 nr_reclaimed;
      __u32 gfp;
      __s32 order;
      __u32 kind;  /* enum stall_reclaim_kind */
      __u32 pad;
    } reclaim;
    struct {
      __u64 mm;
      __u64 wait_ns;
      __u32 write;
      __u32 acquired;  /* 0: down_*_killable gave up (fatal signal) */
      struct stall_holders holders;  /* at the start of the wait */
    } lock;
    struct {
      __u32 stage;  /* enum stall_oom_stage */
      __u32 pid;    /* the victim's pid as the tracepoint gave it */
    } oom;
  };
};

/* Per task reclaim state, keyed by tid: the episode in progress and totals. */
struct stall_reclaim_task {
  struct stall_task_id task;
  __u64 count;
  __u64 total_ns;
  __u64 longest_ns;
  __u32 longest_gfp;
  __s32 longest_order;
  __u32 longest_kind;
  __u32 cur_kind;
  __u64 cur_start_ns;  /* 0: not in reclaim now */
  __u32 cur_gfp;
  __s32 cur_order;
};

/* Waiters live in a direct-mapped array (slot = tid % STALL_WAITER_SLOTS)
 * that user space mmaps: no hash update/delete on the ~500k events/s path,
 * and a snapshot is a memory scan. Two tasks waiting at the same moment with
 * the same slot lose the older wait (rare: slots are only busy while waiting). */
#define STALL_WAITER_SLOTS 16384

/* A task waiting for an mmap lock now; the slot is free when start_ns is 0.
 * task.comm stays empty: bpf_get_current_comm() is too hot for every lock. */
struct stall_lock_waiter {
  struct stall_task_id task;
  __u64 mm;
  __u64 start_ns;
  __u32 write;
  __u32 pad;
  struct stall_holders holders;  /* at the start of the wait */
};

/* Per mm: current holders and wait totals ([0] read, [1] write). */
struct stall_mm_state {
  struct stall_holders holders;
  __u64 waits[2];
  __u64 wait_ns[2];
  __u64 longest_wait_ns[2];
};

struct stall_totals {
  __u64 reclaim_count[2];  /* [enum stall_reclaim_kind] */
  __u64 reclaim_ns[2];
  __u64 lock_waits;
  __u64 lock_wait_ns;
  __u64 oom_victims;
  __u64 dropped;  /* events lost to a full ring buffer */
};

#endif
