#include <gtest/gtest.h>

#include "oomlab/facts/wait_kind.hpp"

using namespace oomlab::facts;

TEST(WaitKind, WchanSymbols) {
  EXPECT_EQ(classify_symbol("vm_mmap_pgoff"), WaitKind::MmapLock);
  EXPECT_EQ(classify_symbol("__vm_munmap"), WaitKind::MmapLock);
  EXPECT_EQ(classify_symbol("try_to_free_mem_cgroup_pages"), WaitKind::Reclaim);
  EXPECT_EQ(classify_symbol("shrink_folio_list+0x1c/0x40"), WaitKind::Reclaim);
  EXPECT_EQ(classify_symbol("__alloc_pages_slowpath"), WaitKind::Alloc);
  EXPECT_EQ(classify_symbol("folio_wait_bit_common"), WaitKind::Io);
  EXPECT_EQ(classify_symbol("do_select"), WaitKind::None);
  EXPECT_EQ(classify_symbol("0"), WaitKind::None);
  EXPECT_EQ(classify_symbol(""), WaitKind::None);
}

TEST(WaitKind, InnermostClassifiedFrameWins) {
  const char* stack =
      "[<0>] request_wait_answer+0x16a/0x290\n"
      "[<0>] shrink_node+0x301/0x3b0\n"
      "[<0>] filemap_fault+0x691/0x1700\n"
      "[<0>] __access_remote_vm+0xee/0x440\n";
  EXPECT_EQ(classify_stack(stack), WaitKind::Reclaim);
  EXPECT_EQ(classify_stack("[<0>] rwsem_down_write_slowpath+0x1/0x2\n[<0>] vm_mmap_pgoff+0x1/0x2\n"),
            WaitKind::MmapLock);
  EXPECT_EQ(classify_stack("[<0>] do_nanosleep+0x1/0x2\n[<0>] hrtimer_nanosleep+0x1/0x2"), WaitKind::None);
  EXPECT_EQ(classify_stack(""), WaitKind::None);
}

TEST(WaitKind, Names) {
  EXPECT_STREQ(wait_kind_name(WaitKind::MmapLock), "mmap_lock");
  EXPECT_STREQ(wait_kind_name(WaitKind::Reclaim), "reclaim");
  EXPECT_STREQ(wait_kind_name(WaitKind::None), "none");
  for (WaitKind k : {WaitKind::Reclaim, WaitKind::Alloc, WaitKind::MmapLock, WaitKind::Io, WaitKind::Exit})
    EXPECT_EQ(wait_kind_from_name(wait_kind_name(k)), k);
  EXPECT_EQ(wait_kind_from_name("futex"), WaitKind::None);
}
