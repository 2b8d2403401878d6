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

// Stacks of real kernel logs, innermost first, "? " frames left out as the
// analyzer leaves them out.
static WaitKind classify(std::initializer_list<std::string_view> frames) {
  StackClassifier c;
  for (std::string_view f : frames) c.add(f);
  return c.result();
}

TEST(WaitKind, RwsemTakenByAFaultOrMunmapIsTheMmapLock) {
  // seeds/003 (4.3-era sysrq-t at 601 s): the victim a.out(3418) and a
  // reader a.out(3420).
  EXPECT_EQ(classify({"schedule+0x30/0x80", "rwsem_down_write_failed+0x1fb/0x350",
                      "call_rwsem_down_write_failed+0x13/0x20", "vm_munmap+0x2e/0x60", "SyS_munmap+0x1d/0x30"}),
            WaitKind::MmapLock);
  EXPECT_EQ(classify({"schedule+0x30/0x80", "rwsem_down_read_failed+0xf8/0x150",
                      "call_rwsem_down_read_failed+0x14/0x30", "__do_page_fault+0x357/0x400",
                      "do_page_fault+0x30/0x80", "page_fault+0x28/0x30"}),
            WaitKind::MmapLock);
  // 6.x: a fault behind lock_mm_and_find_vma, a 5.x fault in do_user_addr_fault.
  EXPECT_EQ(classify({"__schedule+0x3a1/0x1510", "schedule+0x63/0x110", "rwsem_down_read_slowpath+0x27e/0x4c0",
                      "lock_mm_and_find_vma+0x9c/0x170", "do_user_addr_fault+0x1ba/0x6c0"}),
            WaitKind::MmapLock);
  EXPECT_EQ(classify({"rwsem_down_read_slowpath+0x1/0x2", "down_read+0x1/0x2", "do_user_addr_fault+0x1/0x2"}),
            WaitKind::MmapLock);
  EXPECT_EQ(classify({"rwsem_down_write_failed+0x1/0x2", "call_rwsem_down_write_failed+0x1/0x2", "sys_munmap+0x1/0x2"}),
            WaitKind::MmapLock);
}

TEST(WaitKind, RwsemOfAnotherLockIsNotTheMmapLock) {
  // corpus 2016-kswapd-hung-shrink-loop.log: kswapd0 on an XFS inode rwsem
  // in writeback from reclaim - a reclaim stall, not an mmap_lock wait.
  EXPECT_EQ(classify({"schedule+0x3b/0x90", "rwsem_down_read_failed+0xf4/0x160",
                      "call_rwsem_down_read_failed+0x18/0x30", "down_read+0x12/0x30", "xfs_ilock+0x3e/0xa0",
                      "xfs_map_blocks+0x80/0x180", "xfs_do_writepage+0x1c8/0x710", "xfs_vm_writepage+0x36/0x70",
                      "pageout.isra.42+0x1a7/0x2b0", "shrink_page_list+0x7c7/0xb70"}),
            WaitKind::Reclaim);
  // An inode lock taken in a fault: the fault holds the mmap lock, it waits
  // for the inode's rwsem - no memory wait.
  EXPECT_EQ(classify({"rwsem_down_read_slowpath+0x1/0x2", "down_read+0x1/0x2", "ext4_filemap_fault+0x1/0x2",
                      "__do_fault+0x1/0x2", "handle_mm_fault+0x1/0x2", "do_user_addr_fault+0x1/0x2"}),
            WaitKind::None);
  // A fault entry further out of another wait is not where the task waits.
  EXPECT_EQ(classify({"schedule+0x1/0x2", "request_wait_answer+0x1/0x2", "fuse_simple_request+0x1/0x2",
                      "do_user_addr_fault+0x1/0x2"}),
            WaitKind::None);
  // A stack that ends in the rwsem path says no more than its wchan.
  EXPECT_EQ(classify({"rwsem_down_write_slowpath+0x1/0x2"}), WaitKind::MmapLock);
}

TEST(WaitKind, AllocatorIoAndOtherSleeps) {
  // seeds/003: a.out(3428) asleep in the allocator's retry under a page-cache fault.
  EXPECT_EQ(classify({"schedule+0x30/0x80", "schedule_timeout+0x11d/0x1c0",
                      "schedule_timeout_uninterruptible+0x19/0x20", "__alloc_pages_nodemask+0x84d/0xc30",
                      "alloc_pages_current+0x87/0x110", "__page_cache_alloc+0xaf/0xc0", "filemap_fault+0x1e5/0x420"}),
            WaitKind::Alloc);
  // corpus 2026-kcompactd-nfs-release-folio-hung-quoted.log: kcompactd0 on
  // an NFS folio: the innermost wait is I/O.
  EXPECT_EQ(classify({"__schedule+0x2cf/0x640", "schedule+0x29/0xd0", "io_schedule+0x4c/0x80",
                      "folio_wait_bit_common+0x138/0x310", "folio_wait_private_2+0x2c/0x60",
                      "nfs_release_folio+0xa0/0x120", "compact_zone+0x385/0x700"}),
            WaitKind::Io);
  // tests/analyzer/fixtures/hung_task_4.3.dmesg: losetup on a mutex.
  EXPECT_EQ(classify({"schedule+0x30/0x80", "schedule_preempt_disabled+0xe/0x10", "__mutex_lock_slowpath+0x95/0x110",
                      "mutex_lock+0x1f/0x2f", "lo_release+0x25/0x80", "__blkdev_put+0x18b/0x200"}),
            WaitKind::None);
}

TEST(WaitKind, ProcStackTextSkipsUnreliableFrames) {
  EXPECT_EQ(classify_stack("[<0>] rwsem_down_read_slowpath+0x1/0x2\n[<0>] ? shrink_node+0x1/0x2\n"
                           "[<0>] xfs_ilock+0x1/0x2\n[<0>] shrink_page_list+0x1/0x2\n"),
            WaitKind::Reclaim);
}

TEST(WaitKind, RwsemModeFromTheSlowPathAcrossKernels) {
  EXPECT_EQ(rwsem_mode("rwsem_down_write_failed+0x1fb/0x350"), LockMode::Write);        // 4.3 (seed 003)
  EXPECT_EQ(rwsem_mode("call_rwsem_down_read_failed+0x14/0x30"), LockMode::Read);       // 4.x thunk
  EXPECT_EQ(rwsem_mode("rwsem_down_read_slowpath+0x27e/0x4c0"), LockMode::Read);        // 5.x+
  EXPECT_EQ(rwsem_mode("down_write_killable+0x5a/0x90"), LockMode::Write);
  EXPECT_EQ(rwsem_mode("__down_write_common+0x1c0/0x220"), LockMode::Write);           // 6.x
  EXPECT_EQ(rwsem_mode("mmap_read_lock_killable"), LockMode::Read);
  EXPECT_EQ(rwsem_mode("down_write+0x1f/0x30"), LockMode::None);   // the wrapper: its slow path says it
  EXPECT_EQ(rwsem_mode("vm_munmap+0x2e/0x60"), LockMode::None);
  EXPECT_EQ(rwsem_mode(""), LockMode::None);
}
