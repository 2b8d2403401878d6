// `oomlab-vm matrix` (scripts/kernel-matrix) without a VM: its cell files
// through their codec (committed cells decode and re-encode byte for byte,
// a /1 file is one run, a wrong schema is one line) and the README table
// rendered from committed cells, byte for byte what the Python script it
// replaces rendered from the same files (tests/fixtures/kernel-matrix/).
#include <gtest/gtest.h>

#include "fs_util.hpp"
#include "matrix.hpp"

using namespace oomlab::vm;
using namespace oomlab::formats;

namespace {

std::string root() { return std::string(OOMLAB_SOURCE_DIR) + "/tests/fixtures/kernel-matrix"; }
std::string cell_file(const std::string& k, const std::string& s) {
  return read_file(root() + "/docs/kernel-matrix/" + k + "/" + s + ".json").value_or("");
}

}  // namespace

TEST(KernelMatrix, CommittedCellsDecodeAndReEncodeByteForByte) {
  const std::string two = cell_file("6.1-rt", "shmem-fill");  // /2, two runs
  ASSERT_FALSE(two.empty());
  std::string why;
  auto c = decode_matrix_cell(two, &why);
  ASSERT_TRUE(c) << why;
  ASSERT_EQ(c->runs.size(), 2u);
  EXPECT_EQ(c->series, "6.1-rt");
  EXPECT_EQ(c->runs[1].vm_outcome, "stalled");
  ASSERT_TRUE(c->runs[1].guest);
  EXPECT_EQ(c->runs[1].guest->outcome, "oom_ineffective");
  EXPECT_EQ(c->runs[1].guest->oom_kills, 33);
  EXPECT_EQ(c->runs[1].own_args, std::vector<std::string>{});
  EXPECT_EQ(c->runs[1].oom_events, 33u);
  EXPECT_EQ(encode_matrix_cell(*c), two);
  // A /1 file is one run; written again it is a /2 cell whose run is the file.
  auto one = decode_matrix_cell(cell_file("6.1", "memory-high"), &why);
  ASSERT_TRUE(one) << why;
  ASSERT_EQ(one->runs.size(), 1u);
  EXPECT_FALSE(one->runs[0].own_args);  // from before --scenario-args
  EXPECT_EQ(one->runs[0].guest->outcome, "livelock");
  EXPECT_EQ(one->runs[0].kernel.release, "6.1.0-57-amd64");
  auto again = decode_matrix_cell(encode_matrix_cell(*one));
  ASSERT_TRUE(again);
  EXPECT_EQ(again->schema, kMatrixCellSchema);
  EXPECT_EQ(encode_matrix_cell(*again), encode_matrix_cell(*one));
}

TEST(KernelMatrix, WrongCellIsOneLine) {
  std::string why;
  EXPECT_FALSE(decode_matrix_cell(R"({"schema":"oomlab.kernel-matrix-cell/3","runs":[]})", &why));
  EXPECT_EQ(why, "schema is \"oomlab.kernel-matrix-cell/3\", expected \"oomlab.kernel-matrix-cell/2\"");
  EXPECT_FALSE(decode_matrix_cell("not json", &why));
  EXPECT_EQ(why, "not a JSON object");
  // Wrong types decode as defaults.
  auto c = decode_matrix_cell(R"({"schema":"oomlab.kernel-matrix-cell/2","runs":[{"guest":"x","elapsed_ms":"1",
    "own_args":"a","verdict":{"oom_events":-1}},3]})");
  ASSERT_TRUE(c);
  ASSERT_EQ(c->runs.size(), 1u);
  EXPECT_FALSE(c->runs[0].guest);
  EXPECT_EQ(c->runs[0].elapsed_ms, 0);
  EXPECT_FALSE(c->runs[0].own_args);
  EXPECT_EQ(c->runs[0].oom_events, 0u);
}

// The table from committed cells: the same bytes the Python script rendered.
TEST(KernelMatrix, TableFromCommittedCells) {
  std::string why;
  auto data = load_matrix(root(), &why);
  ASSERT_TRUE(data) << why;
  const std::string expected = read_file(root() + "/expected-table.md").value_or("");
  ASSERT_FALSE(expected.empty());
  EXPECT_EQ(render_matrix_table(*data) + "\n", expected);
  // Into a README: only the marked block changes.
  const std::string readme = "# x\n\n" + std::string(kMatrixBegin) + "\nold\n" + kMatrixEnd + "\n\nafter\n";
  auto out = replace_matrix_table(readme, "T");
  ASSERT_TRUE(out);
  EXPECT_EQ(*out, "# x\n\nT\n\nafter\n");
  EXPECT_FALSE(replace_matrix_table("# no markers\n", "T"));
}

TEST(KernelMatrix, CellTexts) {
  MatrixRun r;
  r.vm_outcome = "completed";
  RunSummary g;
  g.outcome = "rescued", g.oom_kills = 1, g.kill_to_freed_ms = 82;
  g.reason = "no progress from +0.5s for 10.3 s (up to 3 task(s) blocked on mmap_lock), ended by ...";
  r.guest = g, r.verdict = "allocation_stall";
  EXPECT_EQ(matrix_cell_text(r),
            "`rescued`, 1 OOM kill, freed 82 ms after the first, no progress for 10.3 s; analyzer `allocation_stall`");
  r.vm_outcome = "timed_out";
  EXPECT_EQ(matrix_cell_text(r), "VM timed_out");
  r.vm_outcome = "stalled", r.guest.reset(), r.verdict = "clean";
  EXPECT_EQ(matrix_cell_text(r), "**whole guest stalled** (console silent 30 s, sysrq dumps, killed)");
  MatrixRun ok = r;
  ok.vm_outcome = "completed", ok.guest = RunSummary{}, ok.guest->outcome = "no_oom";
  EXPECT_EQ(matrix_runs_text({r, ok}), "runs differ: run 1: **whole guest stalled** (console silent 30 s, sysrq dumps, "
                                       "killed); run 2: `no_oom`, no OOM kill");
  EXPECT_EQ(matrix_runs_text({}), "not run");
  EXPECT_EQ(merged_args({"--limit", "256M", "--duration", "20s"}, {"--limit", "160M", "--io-delay", "6s"}),
            (std::vector<std::string>{"--duration", "20s", "--limit", "160M", "--io-delay", "6s"}));
}
