#include "oomlab/common/kmsg.hpp"

#include <gtest/gtest.h>

using namespace oomlab;

TEST(KmsgRecord, ParsesRawRecord) {
  auto r = parse_kmsg_record("3,1234,380128535,-;Out of memory: Killed process 3418 (a.out)\n SUBSYSTEM=x\n");
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->level, 3);
  EXPECT_EQ(r->seq, 1234u);
  EXPECT_EQ(r->usec, 380128535u);
  EXPECT_EQ(r->message, "Out of memory: Killed process 3418 (a.out)");
  EXPECT_EQ(format_dmesg_line(*r), "[  380.128535] Out of memory: Killed process 3418 (a.out)");
}

TEST(KmsgRecord, FacilityIsStrippedAndExtraFieldsAccepted) {
  auto r = parse_kmsg_record("14,7,100,c,extra;hello");
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->level, 6);
  EXPECT_EQ(r->message, "hello");
}

TEST(KmsgRecord, RejectsMalformed) {
  for (const char* bad : {"", "no semicolon", "a,b,c;msg", "1,2;msg", "1,,3;msg"})
    EXPECT_FALSE(parse_kmsg_record(bad).has_value()) << bad;
}

TEST(KmsgReader, MissingDeviceIsReportedNotThrown) {
  KmsgReader r(KmsgReader::Start::Now, "/nonexistent/kmsg");
  EXPECT_FALSE(r.ok());
  EXPECT_NE(r.error().find("/nonexistent/kmsg"), std::string::npos);
  EXPECT_FALSE(r.next().has_value());
}

TEST(KmsgReader, ReadsLiveKernelLogWhenPermitted) {
  KmsgReader r(KmsgReader::Start::Beginning);
  if (!r.ok()) GTEST_SKIP() << r.error();
  auto first = r.next();
  ASSERT_TRUE(first.has_value()) << "/dev/kmsg opened but yielded no record";
  auto second = r.next();
  if (second) {
    EXPECT_GT(second->seq, first->seq);
  }
}
