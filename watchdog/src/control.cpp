// The control socket: a unix stream socket (never a network port). One
// request per connection, first line:
//   "status"            -> the state as JSON (oomlab-watchdog status;
//                          formats::WatchdogStatus, docs/FORMATS.md)
//   "metrics"           -> Prometheus text
//   "GET /metrics ..."  -> the same over HTTP/1.0, for
//                          curl --unix-socket PATH http://localhost/metrics
#include <sys/stat.h>

#include "oomlab/common/clock.hpp"
#include "oomlab/formats/watchdog_status.hpp"
#include "oomlab/watchdog/engine.hpp"

namespace oomlab::watchdog {
namespace {

using local = asio::local::stream_protocol;
constexpr std::size_t kMaxRequest = 4096;

struct Session : std::enable_shared_from_this<Session> {
  Session(asio::io_context& io, local::socket s) : socket(std::move(s)), deadline(io) {}
  local::socket socket;
  asio::steady_timer deadline;
  // Bounded (kMaxRequest): a request is one short line. A string, not an
  // asio::streambuf read through std::istream: the daemon links no C++
  // stream or locale code (policy.hpp's CommPattern says why).
  std::string in;
  std::string out;
};

}  // namespace

void Engine::open_control() {
  if (opt_.socket_path.empty()) return;
  {
    // A live daemon on this path means a second instance: refuse. A stale
    // file (crash) is replaced.
    local::socket probe(io_);
    boost::system::error_code ec;
    probe.connect(local::endpoint(opt_.socket_path), ec);
    if (!ec) throw std::runtime_error("another oomlab-watchdog is listening on " + opt_.socket_path);
  }
  ::unlink(opt_.socket_path.c_str());
  // The default path is in /run/oomlab-watchdog/, the service's
  // RuntimeDirectory; run by hand, the daemon makes that directory (EEXIST is
  // fine, and binding reports any real failure).
  if (auto slash = opt_.socket_path.rfind('/'); slash != std::string::npos && slash > 0)
    ::mkdir(opt_.socket_path.substr(0, slash).c_str(), 0755);
  control_ = std::make_unique<local::acceptor>(io_, local::endpoint(opt_.socket_path));
  ::chmod(opt_.socket_path.c_str(), 0660);
  accept_control();
}

void Engine::accept_control() {
  control_->async_accept([this](const boost::system::error_code& ec, local::socket sock) {
    if (ec || stopping_) return;
    auto s = std::make_shared<Session>(io_, std::move(sock));
    s->deadline.expires_after(std::chrono::seconds(2));
    s->deadline.async_wait([s](const boost::system::error_code& e) {
      if (!e) s->socket.close();
    });
    asio::async_read_until(s->socket, asio::dynamic_buffer(s->in, kMaxRequest), '\n',
                           [this, s](const boost::system::error_code& e, std::size_t) {
      if (e && e != asio::error::eof) return;
      std::string line = s->in.substr(0, s->in.find('\n'));
      while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
      bool http = line.rfind("GET ", 0) == 0;
      std::string body, type = "application/json";
      if (line == "metrics" || (http && line.find(" /metrics") != std::string::npos)) {
        body = metrics_.prometheus();
        type = "text/plain; version=0.0.4";
      } else if (line == "status" || (http && (line.find(" /status") != std::string::npos || line.find(" / ") != std::string::npos))) {
        body = status_json() + "\n";
      } else {
        body = "{\"error\":\"unknown request; send status or metrics\"}\n";
      }
      s->out = http ? "HTTP/1.0 200 OK\r\nContent-Type: " + type + "\r\nContent-Length: " + std::to_string(body.size()) +
                          "\r\nConnection: close\r\n\r\n" + body
                    : body;
      asio::async_write(s->socket, asio::buffer(s->out), [s](const boost::system::error_code&, std::size_t) {
        s->deadline.cancel();
        boost::system::error_code ignore;
        s->socket.shutdown(local::socket::shutdown_both, ignore);
        s->socket.close(ignore);
      });
    });
    accept_control();
  });
}

std::string Engine::status_json() const {
  std::int64_t now = monotonic_ms();
  StallCounts c = model_.counts(now);
  formats::WatchdogStatus st;
  st.pid = ::getpid();
  st.uptime_ms = now - started_ms_;
  st.config = {opt_.profile,
               opt_.period.count(),
               opt_.warn_after.count(),
               opt_.kill_after.count(),
               opt_.escalate_after.count(),
               opt_.max_victims,
               format_pressure_threshold(opt_.pressure_above),
               opt_.dry_run,
               opt_.sysrq,
               opt_.delayacct,
               opt_.delay_share_pct,
               opt_.config_path};
  st.sources = {psi_system_, psi_.size(), kmsg_ != nullptr, tracer_ != nullptr, taskstats_ != nullptr,
                metrics_.delayacct, reporter_.kmsg_ok(), cgroups_.root(), protection_};
  st.scan = {metrics_.scans,
             metrics_.tasks,
             metrics_.tasks_dropped,
             metrics_.last_scan_seconds * 1e3,
             metrics_.scan_overruns,
             last_scan_done_ms_ ? now - last_scan_done_ms_ : -1};
  st.counts = {c.stalling, c.dying, c.exiting, c.victim, c.oom_count, c.longest_ms};
  for (const auto& [tid, s] : const_cast<StallModel&>(model_).stalls())
    st.stalls.push_back({s.tid, s.tgid, s.comm, std::string(1, s.state), kind_name(s.kind),
                         evidence_name(s.evidence), s.delay_ms(now), s.wchan, s.cgroup});
  for (const auto& [cg, inc] : incidents_)
    st.incidents.push_back({cg, inc.kills, now - inc.opened_ms, inc.cgroup_killed, inc.gave_up});
  for (const WatchedGroup& w : watched_)
    st.pressure.push_back({w.dir, w.cgroup, w.tracker.last().some_avg10, w.tracker.last().full_avg10,
                           w.tracker.recent_some(), w.tracker.recent_full(), w.tracker.above_for(now)});
  for (const auto& k : kills_)
    st.kills.push_back({k.pid, k.comm, k.cgroup, k.reason, k.rss_kb, k.dry_run, now - k.kill_ms,
                        k.exit_ms >= 0 ? k.exit_ms - k.kill_ms : -1, k.freed_ms >= 0 ? k.freed_ms - k.kill_ms : -1,
                        k.freed_kb});
  return formats::encode_watchdog_status(st);
}

}  // namespace oomlab::watchdog
