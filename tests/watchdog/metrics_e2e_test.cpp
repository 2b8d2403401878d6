// The real daemon's metrics, as Prometheus gets them: from the control
// socket (`oomlab-watchdog metrics`) and from --metrics-textfile, the file
// node_exporter's textfile collector reads. Both go through
// `promtool check metrics`; the file is replaced atomically (no temp file
// left, a new inode per write) and an unwritable path is one warning, not a
// dead daemon.
#include <gtest/gtest.h>
#include <regex>
#include <sys/stat.h>
#include <thread>
#include <unistd.h>

#include "child.hpp"
#include "oomlab/common/subprocess.hpp"
#include "oomlab/formats/watchdog_status.hpp"
#include "promtool.hpp"

using namespace std::chrono_literals;
using wdtest::bin;
using wdtest::Child;

namespace {

struct Dir {
  std::string path;
  Dir() {
    char tmpl[] = "/tmp/oomlab-wd-metrics-XXXXXX";
    path = ::mkdtemp(tmpl);
  }
  ~Dir() { std::system(("rm -rf '" + path + "'").c_str()); }
};

ino_t inode_of(const std::string& path) {
  struct stat st{};
  return ::stat(path.c_str(), &st) == 0 ? st.st_ino : 0;
}

// Waits (bounded, generous: the machine may be loaded) for pred.
template <class Pred>
bool wait_for(Pred pred, std::chrono::seconds limit = 60s) {
  for (auto end = std::chrono::steady_clock::now() + limit; std::chrono::steady_clock::now() < end;) {
    if (pred()) return true;
    std::this_thread::sleep_for(100ms);
  }
  return pred();
}

long scans_in(const std::string& text) {
  std::smatch m;
  return std::regex_search(text, m, std::regex(R"(\noomlab_watchdog_scans_total (\d+)\n)")) ? std::stol(m[1]) : -1;
}

TEST(WatchdogMetrics, SocketAndTextfilePassPromtool) {
  std::string tool = wdtest::promtool();
  if (tool.empty()) GTEST_SKIP() << "no promtool on PATH (apt-get install prometheus, or scripts/setup-deps.sh)";
  Dir d;
  const std::string sock = d.path + "/ctl.sock", prom = d.path + "/oomlab_watchdog.prom", err = d.path + "/stderr.log";
  // --idle-scan 0: a scan every period, so the counters move between writes.
  Child wd({bin("oomlab-watchdog"), "--period", "200ms", "--warn-after", "1s", "--idle-scan", "0", "--socket", sock,
            "--metrics-textfile", prom, "--no-self-protect", "--kmsg-path", "/nonexistent/kmsg"},
           nullptr, err);
  // Written at start, then every 10 s.
  ASSERT_TRUE(wait_for([&] { return inode_of(prom) != 0; })) << "no textfile; daemon log:\n" << wdtest::slurp(err);
  ino_t first = inode_of(prom);
  ASSERT_TRUE(wait_for([&] { return inode_of(prom) != first; }, 90s))
      << "the textfile was not rewritten; daemon log:\n" << wdtest::slurp(err);
  std::string file_text = wdtest::slurp(prom);

  oomlab::ProcessSpec q({bin("oomlab-watchdog"), "metrics", "--socket", sock});
  q.timeout = 30s;
  auto socket_text = oomlab::run_process(q);
  EXPECT_TRUE(wd.running()) << wdtest::slurp(err);
  EXPECT_EQ(wd.stop(), 0);

  ASSERT_EQ(socket_text.exit_code, 0) << socket_text.err;
  // The second write came after scans had run: it holds real numbers.
  EXPECT_GT(scans_in(file_text), 0) << file_text;
  EXPECT_GE(scans_in(socket_text.out), scans_in(file_text)) << socket_text.out;
  for (const auto& [where, text] : {std::pair{"socket", socket_text.out}, std::pair{"textfile", file_text}}) {
    auto r = wdtest::promtool_check_metrics(tool, text);
    EXPECT_EQ(r.exit_code, 0) << where << ": " << r.out << r.err << "\n--- text:\n" << text;
    EXPECT_EQ(r.out + r.err, "") << where << ": promtool lint findings";
  }
  EXPECT_NE(::access((prom + ".tmp").c_str(), F_OK), 0) << "temp file left behind";
  EXPECT_EQ(wdtest::slurp(err).find("metrics textfile:"), std::string::npos) << wdtest::slurp(err);
}

// The default socket lives in /run/oomlab-watchdog/ (the service's
// RuntimeDirectory); run by hand the daemon makes the directory itself.
TEST(WatchdogMetrics, SocketDirectoryIsMadeWhenMissing) {
  Dir d;
  const std::string sock = d.path + "/run-dir/control.sock", err = d.path + "/stderr.log";
  Child wd({bin("oomlab-watchdog"), "--period", "200ms", "--warn-after", "1s", "--socket", sock, "--no-self-protect",
            "--kmsg-path", "/nonexistent/kmsg"},
           nullptr, err);
  ASSERT_TRUE(wait_for([&] { return inode_of(sock) != 0; })) << wdtest::slurp(err);
  oomlab::ProcessSpec q({bin("oomlab-watchdog"), "status", "--socket", sock});
  q.timeout = 30s;
  auto status = oomlab::run_process(q);
  EXPECT_EQ(wd.stop(), 0);
  EXPECT_EQ(status.exit_code, 0) << status.err;
  std::string why;
  EXPECT_TRUE(oomlab::formats::decode_watchdog_status(status.out, &why)) << why << "\n" << status.out;
}

TEST(WatchdogMetrics, UnwritableTextfileIsAWarningNotAFailure) {
  Dir d;
  const std::string err = d.path + "/stderr.log";
  Child wd({bin("oomlab-watchdog"), "--period", "200ms", "--warn-after", "1s", "--socket", "", "--metrics-textfile",
            d.path + "/no-such-dir/oomlab_watchdog.prom", "--no-self-protect", "--kmsg-path", "/nonexistent/kmsg"},
           nullptr, err);
  ASSERT_TRUE(wait_for([&] { return wdtest::slurp(err).find("metrics textfile:") != std::string::npos; }))
      << wdtest::slurp(err);
  EXPECT_TRUE(wd.running()) << wdtest::slurp(err);
  EXPECT_EQ(wd.stop(), 0);
  std::string log = wdtest::slurp(err);
  EXPECT_NE(log.find("metrics textfile: cannot create " + d.path + "/no-such-dir/oomlab_watchdog.prom.tmp"),
            std::string::npos) << log;
}

}  // namespace
