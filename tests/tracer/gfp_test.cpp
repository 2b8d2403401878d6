// gfp decoding against masks the kernel itself prints in OOM reports and
// tracepoints (e.g. "gfp_mask=0x100cca(GFP_HIGHUSER_MOVABLE)" on 6.x).
#include <gtest/gtest.h>

#include "oomlab/tracer/gfp.hpp"

using oomlab::tracer::GfpTable;

namespace {

// The layout of a 6.18 kernel's ___GFP_*_BIT enum, as BTF reports it.
GfpTable btf_6_18() {
  return GfpTable::from_bits({{"DMA", 0}, {"HIGHMEM", 1}, {"DMA32", 2}, {"MOVABLE", 3}, {"RECLAIMABLE", 4},
                              {"HIGH", 5}, {"IO", 6}, {"FS", 7}, {"ZERO", 8}, {"UNUSED", 9},
                              {"DIRECT_RECLAIM", 10}, {"KSWAPD_RECLAIM", 11}, {"WRITE", 12}, {"NOWARN", 13},
                              {"RETRY_MAYFAIL", 14}, {"NOFAIL", 15}, {"NORETRY", 16}, {"MEMALLOC", 17},
                              {"COMP", 18}, {"NOMEMALLOC", 19}, {"HARDWALL", 20}, {"THISNODE", 21},
                              {"ACCOUNT", 22}, {"ZEROTAGS", 23}, {"NO_OBJ_EXT", 24}, {"LAST", 25}},
                             "btf");
}

TEST(Gfp, CompositesAsTheKernelPrintsThem) {
  GfpTable t = btf_6_18();
  EXPECT_EQ(t.format(0xcc0), "0xcc0(GFP_KERNEL)");
  EXPECT_EQ(t.format(0x100cca), "0x100cca(GFP_HIGHUSER_MOVABLE)");
  EXPECT_EQ(t.format(0x140cca), "0x140cca(GFP_HIGHUSER_MOVABLE|__GFP_COMP)");
  EXPECT_EQ(t.format(0x400cc0), "0x400cc0(GFP_KERNEL_ACCOUNT)");
  EXPECT_EQ(t.format(0xc40), "0xc40(GFP_NOFS)");
  EXPECT_EQ(t.format(0xc00), "0xc00(GFP_NOIO)");
  EXPECT_EQ(t.format(0x820), "0x820(GFP_ATOMIC)");
  EXPECT_EQ(t.format(0x1c24ca), "0x1c24ca(GFP_TRANSHUGE)");
  EXPECT_EQ(t.format(0x1c20ca), "0x1c20ca(GFP_TRANSHUGE_LIGHT)");
}

TEST(Gfp, SingleFlagsAfterComposites) {
  GfpTable t = btf_6_18();
  EXPECT_EQ(t.names(0xcc0 | 0x2000 | 0x8000), "GFP_KERNEL|__GFP_NOWARN|__GFP_NOFAIL");
  EXPECT_EQ(t.names(0x400), "__GFP_DIRECT_RECLAIM");
  EXPECT_EQ(t.names(0x800000), "__GFP_ZEROTAGS");
}

TEST(Gfp, ZeroAndUnknownBits) {
  GfpTable t = btf_6_18();
  EXPECT_EQ(t.format(0), "0x0(none)");
  EXPECT_EQ(t.names(0xcc0 | 0x4000000), "GFP_KERNEL|0x4000000");
  EXPECT_EQ(t.names(0x200), "0x200");  // bit 9 is unused since 6.3
}

TEST(Gfp, OlderKernelsHaveAtomicAtBit9) {
  GfpTable old = GfpTable::for_release("6.1.0-18-amd64");
  EXPECT_EQ(old.mask("__GFP_ATOMIC"), 0x200u);
  EXPECT_EQ(old.format(0xa20), "0xa20(GFP_ATOMIC)");
  EXPECT_EQ(old.format(0x100cca), "0x100cca(GFP_HIGHUSER_MOVABLE)");
  EXPECT_EQ(old.source(), "table for 6.1.0-18-amd64");

  GfpTable newer = GfpTable::for_release("6.5.0");
  EXPECT_EQ(newer.mask("__GFP_ATOMIC"), 0u);
  EXPECT_EQ(newer.names(0xa20), "GFP_ATOMIC|0x200");
}

TEST(Gfp, MaskOfNamedFlags) {
  GfpTable t = btf_6_18();
  EXPECT_EQ(t.mask("__GFP_DIRECT_RECLAIM"), 0x400u);
  EXPECT_EQ(t.mask("__GFP_RECLAIM"), 0xc00u);
  EXPECT_EQ(t.mask("GFP_KERNEL"), 0xcc0u);
  EXPECT_EQ(t.mask("__GFP_ATOMIC"), 0u);
}

TEST(Gfp, RunningKernelDecodesGfpKernel) {
  // GFP_KERNEL has been 0xcc0 on every kernel with tp_btf (5.5+), whichever
  // way the layout is found (BTF enum or the release table).
  GfpTable t = GfpTable::for_running_kernel();
  EXPECT_EQ(t.format(0xcc0), "0xcc0(GFP_KERNEL)") << "layout from " << t.source();
}

}  // namespace
