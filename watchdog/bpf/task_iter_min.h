/* The few kernel types the task iterator reads, declared for CO-RE (same
 * reasoning as tracer/bpf/vmlinux_min.h: libbpf relocates these offsets
 * against the running kernel's BTF at load time, whatever its layout;
 * rss_stat sits in an anonymous struct of mm_struct, which the relocation
 * finds too). */
#ifndef OOMLAB_TASK_ITER_MIN_H
#define OOMLAB_TASK_ITER_MIN_H

#include "oomlab_bpf_types.h"

/* 6.2+: one percpu_counter per counter; /proc reads only .count. */
struct percpu_counter {
  s64 count;
} __attribute__((preserve_access_index));

struct mm_struct {
  struct percpu_counter rss_stat[4];
} __attribute__((preserve_access_index));

struct signal_struct {
  int nr_threads;
} __attribute__((preserve_access_index));

struct sighand_struct;

typedef struct {
  unsigned long sig[1];
} sigset_t;

struct sigpending {
  sigset_t signal;
} __attribute__((preserve_access_index));

struct task_delay_info {
  u64 blkio_delay;
} __attribute__((preserve_access_index));

struct task_struct {
  unsigned int __state;
  unsigned int flags;
  struct mm_struct *mm;
  int exit_state;
  pid_t pid;
  pid_t tgid;
  u64 start_boottime;
  char comm[16];
  struct signal_struct *signal;
  struct sighand_struct *sighand;
  struct sigpending pending;
  struct task_delay_info *delays;
} __attribute__((preserve_access_index));

struct seq_file;

struct bpf_iter_meta {
  struct seq_file *seq;
  u64 session_id;
  u64 seq_num;
} __attribute__((preserve_access_index));

struct bpf_iter__task {
  struct bpf_iter_meta *meta;
  struct task_struct *task;
} __attribute__((preserve_access_index));

#endif
