// gfp mask decoding: composites first, then single flags, in the order of the
// kernel's __def_gfpflag_names (include/trace/events/mmflags.h) so the output
// reads like the kernel's own "gfp_flags=" fields.
#include "oomlab/tracer/gfp.hpp"

#include <cstdio>
#include <map>
#include <sys/utsname.h>

namespace oomlab::tracer {
namespace {

// Bits 0..22 between 4.15 and 6.8; ATOMIC (bit 9) exists before 6.3 only.
const std::vector<std::pair<std::string, int>> kStableBits = {
    {"DMA", 0},           {"HIGHMEM", 1},        {"DMA32", 2},           {"MOVABLE", 3},
    {"RECLAIMABLE", 4},   {"HIGH", 5},           {"IO", 6},              {"FS", 7},
    {"ZERO", 8},          {"DIRECT_RECLAIM", 10}, {"KSWAPD_RECLAIM", 11}, {"WRITE", 12},
    {"NOWARN", 13},       {"RETRY_MAYFAIL", 14}, {"NOFAIL", 15},         {"NORETRY", 16},
    {"MEMALLOC", 17},     {"COMP", 18},          {"NOMEMALLOC", 19},     {"HARDWALL", 20},
    {"THISNODE", 21},     {"ACCOUNT", 22},
};

// Single flags in the kernel's print order; composites are built from them.
const char* const kSingleOrder[] = {
    "HIGHMEM", "HIGH", "ATOMIC", "IO", "FS", "NOWARN", "RETRY_MAYFAIL", "NOFAIL", "NORETRY",
    "COMP", "ZERO", "NOMEMALLOC", "MEMALLOC", "HARDWALL", "THISNODE", "RECLAIMABLE", "MOVABLE",
    "ACCOUNT", "WRITE", "RECLAIM", "DIRECT_RECLAIM", "KSWAPD_RECLAIM", "ZEROTAGS", "SKIP_ZERO",
    "SKIP_KASAN", "SKIP_KASAN_UNPOISON", "SKIP_KASAN_POISON", "NO_OBJ_EXT", "NOLOCKDEP",
};

bool parse_release(std::string_view release, int& major, int& minor) {
  return std::sscanf(std::string(release).c_str(), "%d.%d", &major, &minor) == 2;
}

}  // namespace

GfpTable GfpTable::from_bits(const std::vector<std::pair<std::string, int>>& bits, std::string source) {
  std::map<std::string, std::uint32_t, std::less<>> single;
  for (const auto& [name, bit] : bits)
    if (bit >= 0 && bit < 32 && name != "UNUSED" && name != "LAST") single[name] = 1u << bit;
  auto m = [&](std::string_view n) -> std::uint32_t {
    auto it = single.find(n);
    return it == single.end() ? 0 : it->second;
  };
  const std::uint32_t reclaim = m("DIRECT_RECLAIM") | m("KSWAPD_RECLAIM");
  const std::uint32_t kernel = reclaim | m("IO") | m("FS");
  const std::uint32_t user = kernel | m("HARDWALL");
  const std::uint32_t highuser = user | m("HIGHMEM");
  const std::uint32_t movable = highuser | m("MOVABLE");
  const std::uint32_t thp_light = (movable | m("COMP") | m("NOMEMALLOC") | m("NOWARN")) & ~reclaim;

  GfpTable t;
  t.source_ = std::move(source);
  auto add = [&](std::string name, std::uint32_t mask) {
    if (mask) t.names_.emplace_back(std::move(name), mask);
  };
  add("GFP_TRANSHUGE", thp_light | m("DIRECT_RECLAIM"));
  add("GFP_TRANSHUGE_LIGHT", thp_light);
  add("GFP_HIGHUSER_MOVABLE", movable);
  add("GFP_HIGHUSER", highuser);
  add("GFP_USER", user);
  add("GFP_KERNEL_ACCOUNT", kernel | m("ACCOUNT"));
  add("GFP_KERNEL", kernel);
  add("GFP_NOFS", reclaim | m("IO"));
  add("GFP_ATOMIC", m("HIGH") | m("ATOMIC") | m("KSWAPD_RECLAIM"));
  add("GFP_NOIO", reclaim);
  add("GFP_NOWAIT", m("KSWAPD_RECLAIM"));
  add("GFP_DMA", m("DMA"));
  add("GFP_DMA32", m("DMA32"));
  for (const char* name : kSingleOrder) {
    std::string_view n(name);
    add("__GFP_" + std::string(n), n == "RECLAIM" ? reclaim : m(n));
  }
  return t;
}

GfpTable GfpTable::for_release(std::string_view release) {
  int major = 0, minor = 0;
  auto bits = kStableBits;
  if (!parse_release(release, major, minor) || major < 6 || (major == 6 && minor < 3))
    bits.emplace_back("ATOMIC", 9);
  return from_bits(bits, "table for " + std::string(release));
}

std::string GfpTable::names(std::uint32_t gfp) const {
  if (gfp == 0) return "none";
  std::string out;
  for (const auto& [name, mask] : names_) {
    if ((gfp & mask) != mask) continue;
    gfp &= ~mask;
    if (!out.empty()) out += '|';
    out += name;
  }
  if (gfp) {
    char hex[16];
    std::snprintf(hex, sizeof hex, "%s0x%x", out.empty() ? "" : "|", gfp);
    out += hex;
  }
  return out;
}

std::string GfpTable::format(std::uint32_t gfp) const {
  char hex[16];
  std::snprintf(hex, sizeof hex, "0x%x", gfp);
  return std::string(hex) + "(" + names(gfp) + ")";
}

std::uint32_t GfpTable::mask(std::string_view name) const {
  for (const auto& [n, mask] : names_)
    if (n == name) return mask;
  return 0;
}

std::string running_kernel_release() {
  struct utsname u {};
  return uname(&u) == 0 ? u.release : "unknown";
}

}  // namespace oomlab::tracer
