/* The kernel's short type names for oomlab's BPF programs (the stall
 * tracer's tracer/bpf/vmlinux_min.h, the watchdog's task iterator
 * watchdog/bpf/task_iter_min.h), which declare only the few kernel structs
 * each one reads, for CO-RE: no full vmlinux.h (a 3 MB dump of one kernel's
 * BTF). One copy of the typedefs both need. */
#ifndef OOMLAB_BPF_TYPES_H
#define OOMLAB_BPF_TYPES_H

#include <linux/types.h>

typedef __u8 u8;
typedef __u32 u32;
typedef __s32 s32;
typedef __s64 s64;
typedef __u64 u64;
typedef int pid_t;
typedef _Bool bool;
enum { false = 0, true = 1 };

#endif
