#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <unistd.h>

#include "oomlab/facts/proc_status.hpp"

using namespace oomlab::facts;

// A 6.1 process's status (head of it), as the kernel prints it.
constexpr const char* kUser =
    "Name:\tcat\nUmask:\t0022\nState:\tR (running)\nTgid:\t2712\nNgid:\t0\nPid:\t2712\nPPid:\t2706\n"
    "TracerPid:\t0\nUid:\t0\t0\t0\t0\nGid:\t0\t0\t0\t0\nFDSize:\t256\nGroups:\t \nNStgid:\t2712\n"
    "VmPeak:\t    3060 kB\nVmSize:\t    3060 kB\nVmLck:\t       0 kB\nVmPin:\t       0 kB\n"
    "VmHWM:\t    1768 kB\nVmRSS:\t    1700 kB\nRssAnon:\t     112 kB\nRssFile:\t    1588 kB\n"
    "RssShmem:\t       4 kB\nVmData:\t     360 kB\nThreads:\t1\n";

TEST(ProcStatus, AUserProcess) {
  ProcStatus s;
  ASSERT_TRUE(parse_proc_status(kUser, s));
  EXPECT_EQ(s.tgid, 2712);
  EXPECT_EQ(s.ppid, 2706);
  EXPECT_EQ(s.vm_hwm_kb, 1768u);
  EXPECT_EQ(s.vm_rss_kb, 1700u);
  EXPECT_EQ(s.rss_anon_kb, 112u);
  EXPECT_EQ(s.rss_file_kb, 1588u);
  EXPECT_EQ(s.rss_shmem_kb, 4u);
  EXPECT_TRUE(s.has_memory);
}

TEST(ProcStatus, AKernelThreadHasNoMemoryLines) {
  ProcStatus s;
  ASSERT_TRUE(parse_proc_status("Name:\tkswapd0\nUmask:\t0000\nState:\tS (sleeping)\nTgid:\t60\nNgid:\t0\nPid:\t60\n"
                                "PPid:\t2\nTracerPid:\t0\nKthread:\t1\nThreads:\t1\n",
                                s));
  EXPECT_EQ(s.tgid, 60);
  EXPECT_EQ(s.ppid, 2);
  EXPECT_FALSE(s.has_memory);
  EXPECT_EQ(s.vm_hwm_kb, 0u);
}

TEST(ProcStatus, AHostileNameIsNotAField) {
  // comm is the task's to choose; the Name line's value never sets a field.
  ProcStatus s;
  ASSERT_TRUE(parse_proc_status("Name:\tVmHWM: 99 kB\nTgid:\t7\nVmHWM:\t5 kB\n", s));
  EXPECT_EQ(s.vm_hwm_kb, 5u);
  ASSERT_TRUE(parse_proc_status("Name:\tx\nTgid:\t7\n", s));
  EXPECT_EQ(s.vm_hwm_kb, 0u);
}

TEST(ProcStatus, NotAStatusFile) {
  ProcStatus s;
  EXPECT_FALSE(parse_proc_status("", s));
  EXPECT_FALSE(parse_proc_status("garbage\n\n::::\nVmHWM:\tkB\n", s));
  EXPECT_FALSE(parse_proc_status("Tgid:\t\nPPid:\t-\n", s));   // no number
  EXPECT_TRUE(parse_proc_status("Tgid:\t3", s));                 // no final newline
  EXPECT_EQ(s.tgid, 3);
}

TEST(ProcStatus, ThisProcessAgreesWithTheKernel) {
  std::ifstream f("/proc/self/status");
  std::stringstream ss;
  ss << f.rdbuf();
  ProcStatus s;
  ASSERT_TRUE(parse_proc_status(ss.str(), s));
  EXPECT_EQ(s.tgid, ::getpid());
  EXPECT_EQ(s.ppid, ::getppid());
  EXPECT_TRUE(s.has_memory);
  EXPECT_GE(s.vm_hwm_kb, s.vm_rss_kb);
  EXPECT_GT(s.vm_rss_kb, 0u);
}
