#include <gtest/gtest.h>

#include "oomlab/facts/hung_task.hpp"

using namespace oomlab::facts;

TEST(HungTask, HeaderFormsAcrossKernels) {
  auto h = parse_hung_task_header("INFO: task a.out:3418 blocked for more than 120 seconds.");
  ASSERT_TRUE(h);
  EXPECT_EQ(h->pid, 3418);
  EXPECT_EQ(h->comm, "a.out");
  EXPECT_EQ(h->blocked_s, 120u);
  EXPECT_FALSE(h->cant_die);
  // A comm with a colon and a space; the pid is after the last colon.
  auto odd = parse_hung_task_header("INFO: task kworker/u16:3 x:1234 blocked for more than 122 seconds.");
  ASSERT_TRUE(odd);
  EXPECT_EQ(odd->comm, "kworker/u16:3 x");
  EXPECT_EQ(odd->pid, 1234);
  auto cant = parse_hung_task_header("INFO: task a.out:9551 can't die for more than 60 seconds.");
  ASSERT_TRUE(cant);
  EXPECT_TRUE(cant->cant_die);
  EXPECT_EQ(cant->blocked_s, 60u);
  auto io = parse_hung_task_header("INFO: task syz-executor.2:21334 blocked in I/O wait for more than 143 seconds.");
  ASSERT_TRUE(io);
  EXPECT_EQ(io->comm, "syz-executor.2");
  EXPECT_EQ(io->pid, 21334);
  EXPECT_EQ(io->blocked_s, 143u);
  EXPECT_FALSE(parse_hung_task_header("INFO: task cat:1150 is blocked on a mutex likely owned by task cat:1149."));
  EXPECT_FALSE(parse_hung_task_header("INFO: task a.out:x blocked for more than 120 seconds."));
  EXPECT_FALSE(parse_hung_task_header("INFO: rcu_sched self-detected stall on CPU"));
}

// kernel/hung_task.c debug_show_blocker(): the three lock kinds, owner found
// or not (6.15 mutex, 6.16 semaphore, 6.17 rw-semaphore).
TEST(HungTask, BlockerLineNamesLockAndOwner) {
  auto mu = parse_hung_task_blocker("INFO: task cat:1150 is blocked on a mutex likely owned by task cat:1149.");
  ASSERT_TRUE(mu);
  EXPECT_EQ(mu->pid, 1150);
  EXPECT_EQ(mu->comm, "cat");
  EXPECT_EQ(mu->lock, BlockerLock::Mutex);
  EXPECT_EQ(mu->owner_pid, 1149);
  EXPECT_EQ(mu->owner_comm, "cat");
  EXPECT_EQ(mu->waits_as, "");

  auto sem = parse_hung_task_blocker("INFO: task cat:1150 blocked on a semaphore likely last held by task cat:1149");
  ASSERT_TRUE(sem);
  EXPECT_EQ(sem->lock, BlockerLock::Semaphore);
  EXPECT_EQ(sem->owner_pid, 1149);

  auto rw = parse_hung_task_blocker(
      "INFO: task ps:2201 <reader> blocked on an rw-semaphore likely owned by task a.out:2188 <writer>");
  ASSERT_TRUE(rw);
  EXPECT_EQ(rw->lock, BlockerLock::RwSemaphore);
  EXPECT_EQ(rw->comm, "ps");
  EXPECT_EQ(rw->pid, 2201);
  EXPECT_EQ(rw->waits_as, "reader");
  EXPECT_EQ(rw->owner_comm, "a.out");
  EXPECT_EQ(rw->owner_pid, 2188);
  EXPECT_EQ(rw->owner_as, "writer");
  EXPECT_STREQ(blocker_lock_name(rw->lock), "rwsem");

  for (const char* none : {"INFO: task cat:1150 is blocked on a mutex, but the owner is not found.",
                           "INFO: task cat:1150 is blocked on a semaphore, but the last holder is not found.",
                           "INFO: task cat:1150 is blocked on an rw-semaphore, but the owner is not found."}) {
    auto b = parse_hung_task_blocker(none);
    ASSERT_TRUE(b) << none;
    EXPECT_EQ(b->pid, 1150) << none;
    EXPECT_EQ(b->owner_pid, 0) << none;
  }
  // Comms with spaces and colons on both sides.
  auto odd = parse_hung_task_blocker("INFO: task my task:7:42 is blocked on a mutex likely owned by task kworker/0:1:9.");
  ASSERT_TRUE(odd);
  EXPECT_EQ(odd->comm, "my task:7");
  EXPECT_EQ(odd->pid, 42);
  EXPECT_EQ(odd->owner_comm, "kworker/0:1");
  EXPECT_EQ(odd->owner_pid, 9);
}

TEST(HungTask, BlockerRejectsOtherLines) {
  EXPECT_FALSE(parse_hung_task_blocker("INFO: task a.out:3418 blocked for more than 120 seconds."));
  EXPECT_FALSE(parse_hung_task_blocker("INFO: task cat:1150 is blocked on a mutex likely owned by task cat:x."));
  EXPECT_FALSE(parse_hung_task_blocker("INFO: task cat is blocked on a mutex likely owned by task cat:1149."));
  EXPECT_FALSE(parse_hung_task_blocker("INFO: task cat:1150 is blocked on a mutexes likely owned by task cat:1149."));
  EXPECT_FALSE(parse_hung_task_blocker("task cat:1150 is blocked on a mutex likely owned by task cat:1149."));
  EXPECT_FALSE(parse_hung_task_blocker(""));
}
