// SPDX-License-Identifier: GPL-2.0
/* The watchdog's task list in one read(): an iter/task program writing one
 * fixed-size record per task (task_record.h) with what the scan reads from
 * /proc/PID/task/TID/stat. Kernel threads are written too (the scan counts
 * them); the reader drops them. Loaded by a short-lived child of the daemon
 * (task_iter.cpp), which hands the link's fd back and exits. */
#include "task_iter_min.h"

#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>

#include "task_record.h"

char LICENSE[] SEC("license") = "GPL";

/* include/linux/mm_types_task.h: MM_FILEPAGES, MM_ANONPAGES, MM_SWAPENTS,
 * MM_SHMEMPAGES (an anonymous enum, so no CO-RE enum relocation). A macro,
 * not a function: the index must be a constant where the access is written,
 * or the element size used would be this header's, not the kernel's. */
#define RSS_COUNTER(mm, i)                                  \
  ({                                                        \
    s64 v_ = BPF_CORE_READ(mm, rss_stat[i].count);          \
    v_ > 0 ? v_ : 0;                                        \
  })

SEC("iter/task")
int oomlab_tasks(struct bpf_iter__task *ctx) {
  struct task_struct *task = ctx->task;
  struct oomlab_task_record r = {};
  if (!task) return 0;
  r.tid = BPF_CORE_READ(task, pid);
  r.tgid = BPF_CORE_READ(task, tgid);
  r.state = BPF_CORE_READ(task, __state);
  r.exit_state = BPF_CORE_READ(task, exit_state);
  r.flags = BPF_CORE_READ(task, flags);
  r.start_boottime = BPF_CORE_READ(task, start_boottime);
  r.sigpending = BPF_CORE_READ(task, pending.signal.sig[0]);
  if (BPF_CORE_READ(task, sighand)) r.nr_threads = BPF_CORE_READ(task, signal, nr_threads);
  struct mm_struct *mm = BPF_CORE_READ(task, mm);
  if (mm) r.rss_pages = RSS_COUNTER(mm, 0) + RSS_COUNTER(mm, 1) + RSS_COUNTER(mm, 3);
  if (bpf_core_field_exists(task->delays)) {
    struct task_delay_info *d = BPF_CORE_READ(task, delays);
    if (d) r.blkio_delay = BPF_CORE_READ(d, blkio_delay);
  }
  BPF_CORE_READ_STR_INTO(&r.comm, task, comm);
  bpf_seq_write(ctx->meta->seq, &r, sizeof r);
  return 0;
}
