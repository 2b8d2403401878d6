// Whether this machine can load the tracer's BPF programs at all, for the
// root tests: they skip (with the reason) only then; a load failure on a
// capable machine is a test failure.
#pragma once
#include <string>
#include <unistd.h>

#include "oomlab/tracer/tracer.hpp"

namespace oomlab::test {

// Empty when BPF can be loaded here, else why not.
inline std::string bpf_unavailable_reason() {
  // A build without BPF: the stub's open() error names what was missing at configure time.
  if (!tracer::Tracer::compiled_in()) return tracer::Tracer().error();
  if (geteuid() != 0) return "needs root to load BPF programs";
  if (access("/sys/kernel/btf/vmlinux", R_OK) != 0) return "kernel has no BTF";
  return "";
}

}  // namespace oomlab::test

// In a test body: skip the test, printing the reason, when BPF cannot be loaded.
#define SKIP_UNLESS_BPF_CAPABLE()                                                   \
  do {                                                                              \
    if (std::string why_no_bpf = ::oomlab::test::bpf_unavailable_reason();          \
        !why_no_bpf.empty())                                                        \
      GTEST_SKIP() << why_no_bpf;                                                   \
  } while (0)
