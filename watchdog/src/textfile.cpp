// --metrics-textfile: the metrics in a file for node_exporter's textfile
// collector, the usual way to scrape a daemon that opens no port. Rewritten
// every kEvery whether or not anything changed, so the file's age
// (node_textfile_mtime_seconds) tells a dead daemon from a quiet one (the
// OomlabWatchdogDown alert of watchdog/prometheus). The write runs on its own
// worker: creating and writing a file allocates page cache and can block
// under the very memory pressure the loop must keep watching.
#include "oomlab/common/atomic_file.hpp"
#include "oomlab/watchdog/engine.hpp"

namespace oomlab::watchdog {
namespace {

constexpr auto kEvery = std::chrono::seconds(10);

}  // namespace

void Engine::write_textfile() {
  if (opt_.metrics_textfile.empty() || stopping_) return;
  auto text = std::make_shared<std::string>(metrics_.prometheus());
  auto error = std::make_shared<std::string>();
  // A write still running from the last period (blocked I/O) is not queued
  // behind: this one is dropped, the next period tries again.
  textfile_worker_.submit([path = opt_.metrics_textfile, text, error] { *error = replace_file_atomically(path, *text); },
                          [this, error] { asio::post(io_, [this, error] { on_textfile_written(*error); }); });
  textfile_timer_.expires_after(kEvery);
  textfile_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (!ec && !stopping_) write_textfile();
  });
}

void Engine::on_textfile_written(const std::string& error) {
  if (error.empty()) {
    if (textfile_failing_) reporter_.note(kInfo, "metrics textfile " + opt_.metrics_textfile + " written again");
    textfile_failing_ = false;
    return;
  }
  // Once per failure streak, not every 10 s.
  if (!textfile_failing_) reporter_.note(kWarning, "metrics textfile: " + error + " (retrying every 10s)");
  textfile_failing_ = true;
}

}  // namespace oomlab::watchdog
