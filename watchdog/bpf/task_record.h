/* One task as the BPF task iterator (task_iter.bpf.c) writes it, read by the
 * scan (watchdog/src/task_iter.cpp). Raw kernel values: the /proc meanings
 * (state letter, clock ticks, the signal mask) are derived in one place,
 * task_iter.cpp's to_sample, exactly as fs/proc/array.c derives them. */
#ifndef OOMLAB_WATCHDOG_TASK_RECORD_H
#define OOMLAB_WATCHDOG_TASK_RECORD_H

#include <linux/types.h>

struct oomlab_task_record {
  __s32 tid;          /* task->pid (the initial pid namespace's) */
  __s32 tgid;         /* task->tgid */
  __u32 state;        /* task->__state */
  __u32 exit_state;   /* task->exit_state */
  __u32 flags;        /* task->flags (PF_*) */
  __s32 nr_threads;   /* task->signal->nr_threads; 0 without sighand (as /proc) */
  __u64 start_boottime;  /* ns since boot */
  __u64 sigpending;   /* task->pending.signal.sig[0] */
  __u64 rss_pages;    /* file + anon + shmem, each clamped at 0 (get_mm_rss) */
  __u64 blkio_delay;  /* task->delays->blkio_delay, ns; 0 without delays */
  char comm[16];
};

#endif
