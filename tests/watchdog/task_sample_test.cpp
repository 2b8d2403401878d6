#include <gtest/gtest.h>
#include <cstring>

#include "oomlab/watchdog/task_iter.hpp"
#include "oomlab/watchdog/task_sample.hpp"
#include "task_record.h"

using namespace oomlab::watchdog;

// A real 6.x stat line (52 fields) with a hostile comm.
static const char kStat[] =
    "4242 (a) b) (c) D 1 4242 4242 0 -1 4194560 1234 0 5 0 10 20 0 0 20 0 3 0 987654 123456789 2560 "
    "18446744073709551615 1 1 0 0 0 256 0 0 0 0 0 0 17 1 0 0 77 0 0 0 0 0 0 0 0 0 0\n";

TEST(ParseStat, FieldsAndAHostileComm) {
  TaskSample t;
  ASSERT_TRUE(parse_stat(kStat, t));
  EXPECT_EQ(t.tid, 4242);
  EXPECT_STREQ(t.comm, "a) b) (c");
  EXPECT_EQ(t.state, 'D');
  EXPECT_EQ(t.flags, 4194560u);
  EXPECT_EQ(t.num_threads, 3);
  EXPECT_EQ(t.starttime, 987654u);
  EXPECT_EQ(t.rss_pages, 2560u);
  EXPECT_EQ(t.sigpending, 256u);
  EXPECT_TRUE(t.dying());
  EXPECT_FALSE(t.exiting());
  EXPECT_FALSE(t.kernel_thread());
  EXPECT_EQ(t.blkio_ticks, 77u);
}

TEST(ParseStat, RejectsGarbage) {
  TaskSample t;
  EXPECT_FALSE(parse_stat("", t));
  EXPECT_FALSE(parse_stat("12 no parens S 1", t));
  EXPECT_FALSE(parse_stat("12 (x) ", t));
  EXPECT_FALSE(parse_stat("12 (x) S 1 2 3", t));  // truncated before rss
}

TEST(ParseStat, KernelThreadFlag) {
  TaskSample t;
  ASSERT_TRUE(parse_stat("2 (kthreadd) S 0 0 0 0 -1 2129984 0 0 0 0 0 0 0 0 20 0 1 0 0 0 0 0", t));
  EXPECT_TRUE(t.kernel_thread());
}


// The BPF task iterator's raw values read as /proc prints them
// (fs/proc/array.c, include/linux/sched.h).
TEST(TaskIterRecord, StateLettersAsTaskStateIndex) {
  EXPECT_EQ(task_state_letter(0x0, 0), 'R');
  EXPECT_EQ(task_state_letter(0x1, 0), 'S');
  EXPECT_EQ(task_state_letter(0x2, 0), 'D');
  EXPECT_EQ(task_state_letter(0x102, 0), 'D');     // TASK_KILLABLE (a vfork parent)
  EXPECT_EQ(task_state_letter(0x402, 0), 'I');     // TASK_IDLE
  EXPECT_EQ(task_state_letter(0x4, 0), 'T');
  EXPECT_EQ(task_state_letter(0x8, 0), 't');
  EXPECT_EQ(task_state_letter(0x80, 0x10), 'X');   // TASK_DEAD, EXIT_DEAD
  EXPECT_EQ(task_state_letter(0x80, 0x20), 'Z');   // TASK_DEAD, EXIT_ZOMBIE
  EXPECT_EQ(task_state_letter(0x40, 0), 'P');
  EXPECT_EQ(task_state_letter(0x8001, 0), 'D');    // TASK_FROZEN reads as uninterruptible
  EXPECT_EQ(task_state_letter(0x1000, 0), 'D');    // TASK_RTLOCK_WAIT
}

TEST(TaskIterRecord, ToSampleUsesProcUnits) {
  oomlab_task_record r{};
  r.tid = 4243;
  r.tgid = 4242;
  r.state = 0x2;
  r.flags = 0x400104;  // PF_EXITING among others
  r.nr_threads = 3;
  r.start_boottime = 9876543210987ull;  // ns
  r.sigpending = 0xffffffff00000100ull;
  r.rss_pages = 2560;
  r.blkio_delay = 770000000;  // 0.77 s
  std::memcpy(r.comm, "0123456789abcdef", 16);  // a full 16-byte comm: no NUL in the record
  TaskSample t;
  to_sample(r, t);
  EXPECT_EQ(t.tid, 4243);
  EXPECT_EQ(t.tgid, 4242);
  EXPECT_EQ(t.state, 'D');
  EXPECT_TRUE(t.exiting());
  EXPECT_EQ(t.num_threads, 3);
  EXPECT_EQ(t.starttime, 987654u);   // clock ticks (USER_HZ 100)
  EXPECT_EQ(t.sigpending, 0x100u);   // do_task_stat keeps the low 31 bits
  EXPECT_TRUE(t.dying());
  EXPECT_EQ(t.rss_pages, 2560u);
  EXPECT_EQ(t.blkio_ticks, 77u);
  EXPECT_STREQ(t.comm, "0123456789abcdef");
}
