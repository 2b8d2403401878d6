#include "kernel_btf.hpp"

#include <bpf/btf.h>
#include <memory>

#include "oomlab/tracer/gfp.hpp"

namespace oomlab::tracer {
namespace {

// btf_trace_<tp> is a typedef of a pointer to void (*)(void *__data, args...).
const btf_type* tracepoint_proto(const btf* b, std::string_view tracepoint) {
  if (!b) return nullptr;
  std::string name = "btf_trace_" + std::string(tracepoint);
  int id = btf__find_by_name_kind(b, name.c_str(), BTF_KIND_TYPEDEF);
  if (id < 0) return nullptr;
  const btf_type* t = btf__type_by_id(b, id);
  t = btf__type_by_id(b, t->type);  // PTR
  if (!t || !btf_is_ptr(t)) return nullptr;
  t = btf__type_by_id(b, t->type);  // FUNC_PROTO
  return t && btf_is_func_proto(t) ? t : nullptr;
}

}  // namespace

int tracepoint_arg_count(const btf* b, std::string_view tracepoint) {
  const btf_type* proto = tracepoint_proto(b, tracepoint);
  return proto ? static_cast<int>(btf_vlen(proto)) - 1 : -1;
}

bool tracepoint_arg_is_pointer(const btf* b, std::string_view tracepoint, int idx) {
  const btf_type* proto = tracepoint_proto(b, tracepoint);
  if (!proto || idx < 0 || idx + 1 >= static_cast<int>(btf_vlen(proto))) return false;
  int type_id = btf_params(proto)[idx + 1].type;
  const btf_type* t = btf__type_by_id(b, btf__resolve_type(b, type_id));
  return t && btf_is_ptr(t);
}

std::vector<std::pair<std::string, int>> gfp_bits_from_btf(const btf* b) {
  std::vector<std::pair<std::string, int>> bits;
  if (!b) return bits;
  // Enum constants are not named types: find the anonymous enum by its first.
  const int n = static_cast<int>(btf__type_cnt(b));
  for (int i = 1; i < n; i++) {
    const btf_type* t = btf__type_by_id(b, i);
    if (!btf_is_enum(t)) continue;
    const struct btf_enum* e = btf_enum(t);
    if (btf_vlen(t) == 0) continue;
    std::string_view first = btf__name_by_offset(b, e[0].name_off);
    if (first != "___GFP_DMA_BIT") continue;
    for (int k = 0; k < btf_vlen(t); k++) {
      std::string_view name = btf__name_by_offset(b, e[k].name_off);
      constexpr std::string_view prefix = "___GFP_", suffix = "_BIT";
      if (name.size() <= prefix.size() + suffix.size() || !name.starts_with(prefix) || !name.ends_with(suffix))
        continue;
      name.remove_prefix(prefix.size());
      name.remove_suffix(suffix.size());
      bits.emplace_back(std::string(name), static_cast<int>(e[k].val));
    }
    break;
  }
  return bits;
}

GfpTable GfpTable::for_running_kernel() {
  std::unique_ptr<btf, void (*)(btf*)> b(btf__load_vmlinux_btf(), btf__free);
  if (b) {  // libbpf 1.x: nullptr and errno on failure
    auto bits = gfp_bits_from_btf(b.get());
    if (!bits.empty()) return from_bits(bits, "btf");
  }
  return for_release(running_kernel_release());
}

}  // namespace oomlab::tracer
