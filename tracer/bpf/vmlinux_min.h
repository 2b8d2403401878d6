/* The few kernel types the stall tracer reads, declared for CO-RE.
 *
 * Why not a full vmlinux.h: the program reads three fields of task_struct and
 * nothing else (tracepoint arguments come as a u64 array with tp_btf). A 3 MB
 * header dumped from the build host's kernel would tie the build to that
 * kernel's BTF; with preserve_access_index libbpf relocates these field
 * offsets against the running kernel's BTF at load time, whatever its layout. */
#ifndef OOMLAB_VMLINUX_MIN_H
#define OOMLAB_VMLINUX_MIN_H

#include <linux/types.h>

typedef __u8 u8;
typedef __u32 u32;
typedef __s32 s32;
typedef __u64 u64;
typedef int pid_t;
typedef _Bool bool;
enum { false = 0, true = 1 };

struct task_struct {
  pid_t pid;
  pid_t tgid;
  char comm[16];
} __attribute__((preserve_access_index));

#endif
