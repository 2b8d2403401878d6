#include "cpio.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <vector>

using namespace oomlab::vm;

namespace {

TEST(Cpio, RoundTripsEveryEntryKind) {
  CpioWriter w;
  w.add_dir("etc");
  w.add_file("/etc/hello", "hello\n", 0640);  // leading slash dropped
  w.add_file("etc/odd", std::string("abc\0def", 7), 0755);
  w.add_symlink("lib64", "lib");
  w.add_char_device("dev/console", 5, 1);
  EXPECT_EQ(w.entries(), 5u);
  std::string archive = w.finish();
  EXPECT_EQ(archive.size() % 4, 0u);
  std::vector<CpioEntry> got;
  ASSERT_TRUE(for_each_cpio_entry(archive, [&](const CpioEntry& e) { got.push_back(e); }));
  ASSERT_EQ(got.size(), 5u);
  EXPECT_EQ(got[0].path, "etc");
  EXPECT_TRUE(S_ISDIR(got[0].mode));
  EXPECT_EQ(got[1].path, "etc/hello");
  EXPECT_EQ(got[1].data, "hello\n");
  EXPECT_EQ(got[1].mode, static_cast<std::uint32_t>(S_IFREG | 0640));
  EXPECT_EQ(got[2].data, std::string("abc\0def", 7));
  EXPECT_TRUE(S_ISLNK(got[3].mode));
  EXPECT_EQ(got[3].data, "lib");
  EXPECT_TRUE(S_ISCHR(got[4].mode));
  EXPECT_EQ(got[4].rdev_major, 5u);
  EXPECT_EQ(got[4].rdev_minor, 1u);
}

TEST(Cpio, SameContentGivesTheSameBytes) {
  // The initramfs cache relies on it: no timestamps or host ids in the image.
  auto build = [] {
    CpioWriter w;
    w.add_file("a", "1");
    w.add_file("b", "22");
    return w.finish();
  };
  EXPECT_EQ(build(), build());
}

TEST(Cpio, ConcatenatedArchivesParseOneAfterTheOther) {
  CpioWriter a, b;
  a.add_file("x", "1");
  b.add_file("y", "2");
  std::string both = a.finish() + b.finish();
  std::size_t offset = 0;
  CpioEntry e;
  bool trailer = false;
  std::vector<std::string> paths;
  while (offset < both.size() && parse_cpio_entry(both, offset, e, trailer))
    if (!trailer) paths.push_back(e.path);
  EXPECT_EQ(paths, (std::vector<std::string>{"x", "y"}));
}

TEST(Cpio, TruncatedOrForeignDataIsRejected) {
  CpioWriter w;
  w.add_file("file", std::string(100, 'z'));
  std::string archive = w.finish();
  EXPECT_FALSE(for_each_cpio_entry(archive.substr(0, 150), [](const CpioEntry&) {}));
  EXPECT_FALSE(for_each_cpio_entry(std::string(200, 'x'), [](const CpioEntry&) {}));
  EXPECT_FALSE(for_each_cpio_entry("", [](const CpioEntry&) {}));
}

}  // namespace
