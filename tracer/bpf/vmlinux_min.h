/* The few kernel types the stall tracer reads, declared for CO-RE.
 *
 * Why not a full vmlinux.h: the program reads a handful of fields (task
 * identity, an mm's rwsem and owner, a task's memory cgroup) and nothing else
 * (tracepoint arguments come as a u64 array with tp_btf). A 3 MB
 * header dumped from the build host's kernel would tie the build to that
 * kernel's BTF; with preserve_access_index libbpf relocates these field
 * offsets against the running kernel's BTF at load time, whatever its layout. */
#ifndef OOMLAB_VMLINUX_MIN_H
#define OOMLAB_VMLINUX_MIN_H

#include "oomlab_bpf_types.h"

struct mm_struct;
struct css_set;

struct task_struct {
  pid_t pid;
  pid_t tgid;
  char comm[16];
  struct mm_struct *mm;
  struct css_set *cgroups;
} __attribute__((preserve_access_index));

typedef struct {
  s64 counter;
} atomic_long_t;

/* The kernel's rwsem (5.3+, not PREEMPT_RT): count holds the writer bit and
 * the reader count, owner the writer or the last reader to take it. */
struct rw_semaphore {
  atomic_long_t count;
  atomic_long_t owner;
} __attribute__((preserve_access_index));

struct mm_struct {
  struct rw_semaphore mmap_lock;
  struct task_struct *owner; /* CONFIG_MEMCG */
} __attribute__((preserve_access_index));

struct kernfs_node {
  u64 id; /* the cgroup directory's inode number (5.5+) */
} __attribute__((preserve_access_index));

struct cgroup {
  struct kernfs_node *kn;
} __attribute__((preserve_access_index));

struct cgroup_subsys_state {
  struct cgroup *cgroup;
  struct cgroup_subsys_state *parent;
} __attribute__((preserve_access_index));

struct css_set {
  struct cgroup_subsys_state *subsys[12];
} __attribute__((preserve_access_index));

enum cgroup_subsys_id { memory_cgrp_id = 4 };

#endif
