// What the running kernel's BTF says about the tracepoints and gfp flags the
// tracer depends on (internal to the tracer; needs libbpf).
#pragma once
#include <string>
#include <string_view>
#include <utility>
#include <vector>

struct btf;

namespace oomlab::tracer {

std::string running_kernel_release();

// Number of arguments of a tracepoint (without the hidden __data), -1 when
// this kernel has no such tracepoint.
int tracepoint_arg_count(const btf* vmlinux, std::string_view tracepoint);
// True when argument idx (0-based, without __data) is a pointer.
bool tracepoint_arg_is_pointer(const btf* vmlinux, std::string_view tracepoint, int idx);
// The ___GFP_<NAME>_BIT enum constants as {"NAME", bit}; empty before ~6.9.
std::vector<std::pair<std::string, int>> gfp_bits_from_btf(const btf* vmlinux);

}  // namespace oomlab::tracer
