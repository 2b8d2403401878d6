// The shared corpus of real kernel logs (../shared/corpus/real-logs): every
// row of its EXPECT.tsv, read when the test runs, must come out with one of
// the acceptable verdicts and name every listed pid in a pid field or a title.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "helpers.hpp"
#include "oomlab/analyzer/output.hpp"

namespace oomlab::analyzer::test {
namespace {

struct Row {
  std::string file;
  std::vector<std::string> verdicts;
  std::vector<int> pids;
};

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::stringstream in(s);
  for (std::string part; std::getline(in, part, sep);) out.push_back(part);
  return out;
}

std::vector<Row> read_expect(const std::filesystem::path& tsv) {
  std::vector<Row> rows;
  std::ifstream in(tsv);
  for (std::string line; std::getline(in, line);) {
    if (line.empty() || line[0] == '#') continue;
    auto cols = split(line, '\t');
    if (cols.size() < 3) {
      ADD_FAILURE() << "EXPECT.tsv: row with fewer than 3 columns: " << line;
      continue;
    }
    Row r{cols[0], split(cols[1], ','), {}};
    if (cols[2] != "-" && !cols[2].empty())
      for (const auto& p : split(cols[2], ',')) r.pids.push_back(std::stoi(p));
    rows.push_back(std::move(r));
  }
  return rows;
}

// Pids a verdict names: every "pid"/"victim_pid" field, and "(N)" or ":N" in titles.
void collect_pids(const nlohmann::ordered_json& j, std::set<int>& out) {
  if (j.is_object()) {
    for (auto it = j.begin(); it != j.end(); ++it) {
      const std::string& k = it.key();
      if ((k == "pid" || k == "victim_pid") && it->is_number_integer()) out.insert(it->get<int>());
      if (k == "title" && it->is_string()) {
        const std::string t = it->get<std::string>();
        for (std::size_t i = 0; i < t.size(); ++i) {
          if ((t[i] != '(' && t[i] != ':') || i + 1 >= t.size() || !std::isdigit(static_cast<unsigned char>(t[i + 1])))
            continue;
          std::size_t e = i + 1;
          while (e < t.size() && std::isdigit(static_cast<unsigned char>(t[e]))) ++e;
          if (e - i - 1 < 9) out.insert(std::stoi(t.substr(i + 1, e - i - 1)));
        }
      }
      collect_pids(*it, out);
    }
  } else if (j.is_array()) {
    for (const auto& e : j) collect_pids(e, out);
  }
}

TEST(RealLogs, EveryRowOfExpectTsv) {
  const std::filesystem::path dir = OOMLAB_REAL_LOGS_DIR;
  if (!std::filesystem::exists(dir / "EXPECT.tsv"))
    GTEST_SKIP() << "no real-log corpus at " << dir << " (../shared beside the checkout)";
  const auto rows = read_expect(dir / "EXPECT.tsv");
  ASSERT_FALSE(rows.empty()) << "EXPECT.tsv has no rows";
  int right = 0;
  for (const Row& row : rows) {
    SCOPED_TRACE(row.file);
    Report r = analyze_file((dir / row.file).string());
    const std::string got = to_string(r.verdict);
    const bool verdict_ok = std::find(row.verdicts.begin(), row.verdicts.end(), got) != row.verdicts.end();
    EXPECT_TRUE(verdict_ok) << row.file << ": verdict " << got << " (" << r.title << "), acceptable: "
                            << testing::PrintToString(row.verdicts);
    std::set<int> named;
    collect_pids(to_json(r), named);
    bool pids_ok = true;
    for (int pid : row.pids) {
      const bool found = named.count(pid) != 0;
      pids_ok = pids_ok && found;
      EXPECT_TRUE(found) << row.file << ": pid " << pid << " is not named in the verdict";
    }
    right += verdict_ok && pids_ok;
  }
  std::printf("real-log corpus: %d/%zu right\n", right, rows.size());
}

// show_mem()'s "Mem-Info:" also follows a page allocation failure, sysrq-m
// and panics: a log with no OOM kill line and no "invoked oom-killer" has no
// OOM event, whatever else it prints (two corpus logs are page allocation
// failures with a Mem-Info block).
TEST(RealLogs, NoOomEventWithoutAnOomReport) {
  const std::filesystem::path dir = OOMLAB_REAL_LOGS_DIR;
  if (!std::filesystem::exists(dir / "EXPECT.tsv"))
    GTEST_SKIP() << "no real-log corpus at " << dir << " (../shared beside the checkout)";
  int checked = 0, with_mem_info = 0;
  for (const Row& row : read_expect(dir / "EXPECT.tsv")) {
    std::ifstream in(dir / row.file);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (text.find("oom-killer") != std::string::npos || text.find("illed process") != std::string::npos ||
        text.find("ill process") != std::string::npos || text.find("oom-kill:") != std::string::npos ||
        text.find("of memory") != std::string::npos || text.find("oom_reaper") != std::string::npos)
      continue;
    SCOPED_TRACE(row.file);
    ++checked;
    with_mem_info += text.find("Mem-Info:") != std::string::npos;
    EXPECT_TRUE(analyze_file((dir / row.file).string()).oom_events.empty()) << row.file;
  }
  EXPECT_GT(checked, 0);
  EXPECT_GT(with_mem_info, 0) << "the corpus no longer has a Mem-Info block outside an OOM report";
}

}  // namespace
}  // namespace oomlab::analyzer::test
