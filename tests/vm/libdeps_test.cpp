#include "libdeps.hpp"

#include <algorithm>
#include <filesystem>
#include <gtest/gtest.h>

using namespace oomlab::vm;

namespace {

TEST(Ldd, ParsesLibrariesAndTheLoaderAndSkipsTheVdso) {
  auto deps = parse_ldd_output(
      "\tlinux-vdso.so.1 (0x00007ffd6a3f1000)\n"
      "\tlibproc2.so.0 => /lib/x86_64-linux-gnu/libproc2.so.0 (0x00007f0c1c2a0000)\n"
      "\tlibstdc++.so.6 => /lib/x86_64-linux-gnu/libstdc++.so.6 (0x00007f0c1c000000)\n"
      "\tlibc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x00007f0c1be1f000)\n"
      "\tlibc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x00007f0c1be1f000)\n"
      "\t/lib64/ld-linux-x86-64.so.2 (0x00007f0c1c2e4000)\n");
  EXPECT_FALSE(deps.is_static);
  EXPECT_TRUE(deps.missing.empty());
  EXPECT_EQ(deps.paths, (std::vector<std::string>{"/lib/x86_64-linux-gnu/libproc2.so.0",
                                                  "/lib/x86_64-linux-gnu/libstdc++.so.6",
                                                  "/lib/x86_64-linux-gnu/libc.so.6", "/lib64/ld-linux-x86-64.so.2"}));
}

TEST(Ldd, StaticAndMissing) {
  EXPECT_TRUE(parse_ldd_output("\tnot a dynamic executable\n").is_static);
  EXPECT_TRUE(parse_ldd_output("\tstatically linked\n").is_static);
  auto deps = parse_ldd_output("\tlibgone.so.3 => not found\n\tlibc.so.6 => /lib/libc.so.6 (0x1)\n");
  EXPECT_EQ(deps.missing, (std::vector<std::string>{"libgone.so.3"}));
  EXPECT_EQ(deps.paths, (std::vector<std::string>{"/lib/libc.so.6"}));
}

TEST(Ldd, ResolvesARealDynamicBinaryWithItsLoader) {
  // This test binary is dynamic (gtest, libstdc++, libc): its closure must
  // hold libc and an ld-linux loader, all absolute existing files.
  auto libs = resolve_libraries({std::filesystem::read_symlink("/proc/self/exe").string()});
  ASSERT_FALSE(libs.empty());
  EXPECT_TRUE(std::any_of(libs.begin(), libs.end(), [](const std::string& p) { return p.find("/libc.so") != std::string::npos; }));
  EXPECT_TRUE(std::any_of(libs.begin(), libs.end(), [](const std::string& p) { return p.find("ld-linux") != std::string::npos; }));
  for (const auto& p : libs) EXPECT_TRUE(std::filesystem::exists(p)) << p;
}

TEST(Ldd, NonexistentFileIsAnError) {
  EXPECT_THROW(resolve_libraries({"/nonexistent/oomlab-binary"}), std::runtime_error);
}

}  // namespace
