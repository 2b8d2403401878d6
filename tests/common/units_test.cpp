#include "oomlab/common/units.hpp"

#include <gtest/gtest.h>

using namespace oomlab;
using namespace std::chrono_literals;

TEST(ParseSize, AcceptsBinarySuffixes) {
  EXPECT_EQ(parse_size("4096"), 4096u);
  EXPECT_EQ(parse_size("64K"), 64u * 1024);
  EXPECT_EQ(parse_size("256M"), 256u << 20);
  EXPECT_EQ(parse_size("256MiB"), 256u << 20);
  EXPECT_EQ(parse_size("1.5G"), 3ull << 29);
  EXPECT_EQ(parse_size("2t"), 2ull << 40);
  EXPECT_EQ(parse_size("10B"), 10u);
}

TEST(ParseSize, RejectsGarbage) {
  for (const char* bad : {"", "M", "-1M", "12X", "1e9", "1..2M", "256 M", "99999999999999999999T", "5Bx"})
    EXPECT_FALSE(parse_size(bad).has_value()) << bad;
}

TEST(ParseDuration, Units) {
  EXPECT_EQ(parse_duration("250ms"), 250ms);
  EXPECT_EQ(parse_duration("30s"), 30s);
  EXPECT_EQ(parse_duration("30"), 30s);
  EXPECT_EQ(parse_duration("1.5s"), 1500ms);
  EXPECT_EQ(parse_duration("2m"), 120s);
  EXPECT_EQ(parse_duration("1h"), 3600s);
  for (const char* bad : {"", "s", "-3s", "3days", "1e3s"}) EXPECT_FALSE(parse_duration(bad).has_value()) << bad;
}

TEST(Format, Human) {
  EXPECT_EQ(format_size(512), "512 B");
  EXPECT_EQ(format_size(256u << 20), "256.0 MiB");
  EXPECT_EQ(format_duration(250ms), "250 ms");
  EXPECT_EQ(format_duration(1500ms), "1.5 s");
}
