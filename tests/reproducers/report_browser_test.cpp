// report.html as a person would see it: rendered by headless Chromium, which
// must lay out the SVG chart (the page's script writes what was drawn into
// #render-check; --dump-dom returns the DOM after it ran).
#include <gtest/gtest.h>

#include <filesystem>
#include <regex>

#include "e2e_support.hpp"

using namespace e2e;

TEST(ReportBrowser, ChromiumRendersTheTimelineChart) {
  OOMLAB_SKIP_WITHOUT_MEMCG();
  const char* chromium = "/usr/bin/chromium";
  if (access(chromium, X_OK) != 0) GTEST_SKIP() << "no /usr/bin/chromium (Debian package chromium)";
  std::string out = temp_dir();
  auto r = run({"run", "test-hog", "--limit", "32M", "--duration", "4s", "--stall-threshold", "2s", "--json", "--out", out});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  std::string html = std::filesystem::path(report_path(r.out)).parent_path() / "report.html";
  std::string profile = temp_dir();
  oomlab::ProcessSpec spec({chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                            "--disable-component-update", "--disable-sync", "--no-first-run",
                            "--user-data-dir=" + profile, "--dump-dom", "file://" + html});
  spec.timeout = std::chrono::seconds(60);
  auto page = oomlab::run_process(spec);
  std::filesystem::remove_all(profile);
  ASSERT_EQ(page.exit_code, 0) << page.err.substr(0, 2000);
  std::smatch m;
  ASSERT_TRUE(std::regex_search(page.out, m, std::regex("rendered usage points=(\\d+) width=(\\d+) kills=(\\d+)")))
      << "the page's script did not run or found no chart";
  EXPECT_GE(std::stoi(m[1]), 2);  // one point per sample
  EXPECT_GT(std::stoi(m[2]), 0);  // laid out with a real width
  EXPECT_GE(std::stoi(m[3]), 1);  // the OOM kill marker
  EXPECT_NE(page.out.find("<svg id=\"timeline\""), std::string::npos);
  std::filesystem::remove_all(out);
}
