// Seeded mutation fuzzing over the real fixtures and seeds, in the unit
// suite (and so under ASan+UBSan in CI). Deterministic: a failure names the
// input and the seed that reproduce it. ~2 s without sanitizers.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include <nlohmann/json.hpp>

#include "helpers.hpp"
#include "oomlab/analyzer/output.hpp"

namespace oomlab::analyzer::test {
namespace {

std::vector<std::pair<std::string, std::string>> corpus() {
  std::vector<std::pair<std::string, std::string>> out;
  for (const char* dir : {OOMLAB_SOURCE_DIR "/tests/analyzer/fixtures", OOMLAB_SEEDS_DIR}) {
    for (const auto& e : std::filesystem::directory_iterator(dir)) {
      std::ifstream in(e.path(), std::ios::binary);
      std::stringstream ss;
      ss << in.rdbuf();
      out.emplace_back(e.path().filename().string(), ss.str());
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

// Kernel-log-shaped noise that makes mutations reach deep parser states.
const char* const kTokens[] = {"[", "]", "[<ffffffff81147abe>] ", " ? ", "+0x", "/0x", "(", ")", "\n", "\r\n", "\0",
                               "Call Trace:\n", "<TASK>\n", "</IRQ>\n", "---[ end trace ]---\n", "(...snipped...)\n",
                               "> ", "[  12.345678] ", "[  T12] ", "6,1,2,-;", "Killed process ", "Out of memory: ",
                               "invoked oom-killer: ", "MemAlloc-Info: ", "MemAlloc: ", "oomlab-watchdog[1]: ",
                               "INFO: task ", "BUG: ", "WARNING: ", "task:", " state:", "[ pid ]", "stalling=",
                               "99999999999999999999", "-1", "0x", "Nov 23 10:00:01 h kernel: ", "RIP: 0010:"};

std::string mutate(std::string s, std::mt19937& rng) {
  auto pick = [&](std::size_t n) { return n == 0 ? 0 : std::uniform_int_distribution<std::size_t>(0, n - 1)(rng); };
  const int rounds = 1 + static_cast<int>(pick(8));
  for (int i = 0; i < rounds; ++i) {
    std::size_t pos = pick(s.size() + 1);
    switch (pick(7)) {
      case 0:   // flip a byte
        if (!s.empty()) {
          s[pick(s.size())] ^= static_cast<char>(1 << pick(8));
        }
        break;
      case 1: {   // insert a kernel-ish token
        std::string_view t = kTokens[pick(std::size(kTokens))];
        if (t.empty()) t = std::string_view("\0", 1);
        s.insert(pos, t);
        break;
      }
      case 2:   // delete a range
        s.erase(pos, pick(200));
        break;
      case 3: {   // duplicate a range elsewhere
        std::size_t from = pick(s.size() + 1);
        std::string piece = s.substr(from, pick(400));
        s.insert(pick(s.size() + 1), piece);
        break;
      }
      case 4:   // truncate
        s.resize(pos);
        break;
      case 5:   // a long run of one byte
        s.insert(pos, pick(3000), "x \0\n["[pick(5)]);
        break;
      default: {   // replace digits (pids, timestamps, counts) with extremes
        std::size_t d = s.find_first_of("0123456789", pos);
        if (d != std::string::npos) {
          s.replace(d, 1, pick(2) ? "4294967296" : "-");
        }
        break;
      }
    }
  }
  return s;
}

void check_invariants(const Report& r, const std::string& what) {
  SCOPED_TRACE(what);
  EXPECT_EQ(r.verdict == VerdictClass::clean, r.findings.empty());
  if (!r.findings.empty()) {
    EXPECT_EQ(r.verdict, r.findings.front().klass);
  }
  for (std::size_t i = 1; i < r.findings.size(); ++i) {
    EXPECT_LE(r.findings[i - 1].klass, r.findings[i].klass);
  }
  for (const Finding& f : r.findings) {
    EXPECT_FALSE(f.title.empty());
    EXPECT_GE(f.first.line, 1u);
    EXPECT_LE(f.first.line, r.input.lines);
    EXPECT_LE(f.last.line, r.input.lines);
    EXPECT_TRUE(std::is_sorted(f.evidence.begin(), f.evidence.end()));
    for (auto l : f.evidence) {
      EXPECT_LE(l, r.input.lines);
    }
  }
  for (const Task& t : r.tasks) {
    EXPECT_LE(t.frames.size(), Options{}.limits.frames_per_task);
  }
  std::string doc = dump_json(to_json(r), false);
  EXPECT_TRUE(nlohmann::json::accept(doc));
}

constexpr int kPerInput = 100;

TEST(Fuzz, SeededMutationsOfEveryFixture) {
  const auto inputs = corpus();
  ASSERT_GE(inputs.size(), 20u);
  std::mt19937 rng(0x00f00dU);
  int runs = 0;
  for (const auto& [name, text] : inputs) {
    for (int i = 0; i < kPerInput; ++i) {
      const auto seed = rng();
      std::mt19937 local(seed);
      std::string m = mutate(text, local);
      Report r = analyze_text(m, name);
      check_invariants(r, name + " seed " + std::to_string(seed));
      ++runs;
      if (HasFailure()) return;
    }
  }
  EXPECT_EQ(runs, static_cast<int>(inputs.size()) * kPerInput);
}

TEST(Fuzz, SplicedFixtures) {
  const auto inputs = corpus();
  std::mt19937 rng(4242);
  for (int i = 0; i < 200; ++i) {
    const auto& a = inputs[rng() % inputs.size()].second;
    const auto& b = inputs[rng() % inputs.size()].second;
    std::string s = a.substr(0, rng() % (a.size() + 1)) + b.substr(rng() % (b.size() + 1));
    Report r = analyze_text(s, "splice");
    check_invariants(r, "splice " + std::to_string(i));
    if (HasFailure()) return;
  }
}

}  // namespace
}  // namespace oomlab::analyzer::test
