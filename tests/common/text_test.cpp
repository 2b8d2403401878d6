#include "oomlab/common/text.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

using oomlab::for_each_line;

namespace {

std::vector<std::string> lines_of(std::string_view text) {
  std::vector<std::string> out;
  for_each_line(text, [&](std::string_view line) { out.emplace_back(line); });
  return out;
}

using Lines = std::vector<std::string>;

TEST(ForEachLine, SplitsOnNewlineWithoutKeepingIt) {
  EXPECT_EQ(lines_of("a\nbb\nccc\n"), (Lines{"a", "bb", "ccc"}));
}

TEST(ForEachLine, LastLineWithoutNewlineIsPassed) {
  EXPECT_EQ(lines_of("a\nlast"), (Lines{"a", "last"}));
  EXPECT_EQ(lines_of("only"), (Lines{"only"}));
}

TEST(ForEachLine, EmptyLinesInsideArePassedButNoneAfterTheFinalNewline) {
  EXPECT_EQ(lines_of("a\n\nb\n"), (Lines{"a", "", "b"}));
  EXPECT_EQ(lines_of("\n"), (Lines{""}));
  EXPECT_EQ(lines_of(""), Lines{});
}

TEST(ForEachLine, FalseFromTheCallbackStopsTheWalk) {
  Lines seen;
  for_each_line("a\nstop\nc\n", [&](std::string_view line) {
    seen.emplace_back(line);
    return line != "stop";
  });
  EXPECT_EQ(seen, (Lines{"a", "stop"}));
}

}  // namespace
