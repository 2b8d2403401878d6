#include "oomlab/common/atomic_file.hpp"

#include <cstdlib>
#include <fstream>
#include <gtest/gtest.h>
#include <sstream>
#include <sys/stat.h>
#include <unistd.h>

namespace {

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

struct TempDir {
  std::string path;
  TempDir() {
    char tmpl[] = "/tmp/oomlab-atomic-XXXXXX";
    path = ::mkdtemp(tmpl);
  }
  ~TempDir() { std::system(("rm -rf '" + path + "'").c_str()); }
};

TEST(ReplaceFileAtomically, WritesReplacesAndLeavesNoTemp) {
  TempDir d;
  std::string f = d.path + "/m.prom";
  EXPECT_EQ(oomlab::replace_file_atomically(f, "a 1\n"), "");
  EXPECT_EQ(slurp(f), "a 1\n");
  struct stat before{};
  ASSERT_EQ(::stat(f.c_str(), &before), 0);
  EXPECT_EQ(before.st_mode & 0777, 0644u);
  EXPECT_EQ(oomlab::replace_file_atomically(f, "b 2\n"), "");
  EXPECT_EQ(slurp(f), "b 2\n");
  struct stat after{};
  ASSERT_EQ(::stat(f.c_str(), &after), 0);
  // A new inode: a reader holding the old file open kept the old content.
  EXPECT_NE(before.st_ino, after.st_ino);
  EXPECT_NE(::access((f + ".tmp").c_str(), F_OK), 0) << "temp file left behind";
}

TEST(ReplaceFileAtomically, MissingDirectoryIsAOneLineReason) {
  std::string why = oomlab::replace_file_atomically("/nonexistent-oomlab-dir/m.prom", "x 1\n");
  EXPECT_NE(why.find("cannot create /nonexistent-oomlab-dir/m.prom.tmp"), std::string::npos) << why;
  EXPECT_EQ(why.find('\n'), std::string::npos);
}

}  // namespace
