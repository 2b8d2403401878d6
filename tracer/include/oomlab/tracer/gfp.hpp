// Names for gfp masks ("0x140cca(GFP_HIGHUSER_MOVABLE|__GFP_COMP)"), printed the
// way the kernel's own tracepoints and OOM reports print them.
//
// The bit positions are not stable across kernels: 4.15 .. 6.2 had __GFP_ATOMIC
// at bit 9, 6.3 dropped it, and later kernels added and moved the high bits
// (ZEROTAGS, SKIP_KASAN, NO_OBJ_EXT, NOLOCKDEP). Since ~6.9 the kernel declares
// them as `enum { ___GFP_DMA_BIT, ... ___GFP_LAST_BIT }`, which BTF carries:
// the running kernel's layout is read from there when present. Older kernels
// get a table keyed by the release (bits 0..22, the range that did not move
// between 4.15 and 6.8); bits without a name print as a hex remainder.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace oomlab::tracer {

class GfpTable {
 public:
  // bits: flag names without the "___GFP_" prefix and "_BIT" suffix ("IO",
  // "DIRECT_RECLAIM") with their bit number, as the BTF enum has them.
  static GfpTable from_bits(const std::vector<std::pair<std::string, int>>& bits, std::string source);
  // The fallback table for a kernel release string ("6.1.0-18-amd64").
  static GfpTable for_release(std::string_view release);
  // BTF enum of the running kernel when available, else for_release(uname).
  static GfpTable for_running_kernel();

  // "GFP_KERNEL|__GFP_COMP", "none" for 0, unknown bits as "|0x1000000".
  std::string names(std::uint32_t gfp) const;
  // "0xcc0(GFP_KERNEL)": the form in the tracer and watchdog lines.
  std::string format(std::uint32_t gfp) const;
  // Mask of one flag ("__GFP_IO", "GFP_KERNEL"); 0 when this kernel lacks it.
  std::uint32_t mask(std::string_view name) const;
  // Where the layout came from: "btf" or "table for <release>".
  const std::string& source() const { return source_; }

 private:
  std::vector<std::pair<std::string, std::uint32_t>> names_;  // matched in order
  std::string source_;
};

}  // namespace oomlab::tracer
