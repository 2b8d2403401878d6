// The control socket: a unix stream socket (never a network port). One
// request per connection, first line:
//   "status"            -> the state as JSON (oomlab-watchdog status)
//   "metrics"           -> Prometheus text
//   "GET /metrics ..."  -> the same over HTTP/1.0, for
//                          curl --unix-socket PATH http://localhost/metrics
#include <nlohmann/json.hpp>
#include <sys/stat.h>

#include "oomlab/common/clock.hpp"
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
  nlohmann::json j;
  j["schema"] = "oomlab.watchdog.status/1";
  j["pid"] = ::getpid();
  j["uptime_ms"] = now - started_ms_;
  j["config"] = {{"profile", opt_.profile},
                 {"period_ms", opt_.period.count()},
                 {"warn_after_ms", opt_.warn_after.count()},
                 {"kill_after_ms", opt_.kill_after.count()},
                 {"escalate_after_ms", opt_.escalate_after.count()},
                 {"max_victims", opt_.max_victims},
                 {"pressure_above", format_pressure_threshold(opt_.pressure_above)},
                 {"dry_run", opt_.dry_run},
                 {"sysrq", opt_.sysrq},
                 {"delayacct", opt_.delayacct},
                 {"delay_share_pct", opt_.delay_share_pct},
                 {"config_file", opt_.config_path}};
  j["sources"] = {{"psi_system", psi_system_},
                  {"psi_triggers", psi_.size()},
                  {"kmsg_read", kmsg_ != nullptr},
                  {"bpf_tracer", tracer_ != nullptr},
                  {"taskstats", taskstats_ != nullptr},
                  {"delayacct", metrics_.delayacct},
                  {"kmsg_write", reporter_.kmsg_ok()},
                  {"cgroup_root", cgroups_.root()},
                  {"self_protection", protection_}};
  j["scan"] = {{"scans", metrics_.scans},
               {"tasks", metrics_.tasks},
               {"dropped", metrics_.tasks_dropped},
               {"last_duration_ms", metrics_.last_scan_seconds * 1e3},
               {"overruns", metrics_.scan_overruns},
               {"last_done_ms_ago", last_scan_done_ms_ ? now - last_scan_done_ms_ : -1}};
  j["counts"] = {{"stalling", c.stalling}, {"dying", c.dying},         {"exiting", c.exiting},
                 {"victim", c.victim},     {"oom_count", c.oom_count}, {"longest_ms", c.longest_ms}};
  nlohmann::json stalls = nlohmann::json::array();
  for (const auto& [tid, s] : const_cast<StallModel&>(model_).stalls())
    stalls.push_back({{"tid", s.tid}, {"tgid", s.tgid}, {"comm", s.comm}, {"state", std::string(1, s.state)},
                      {"kind", kind_name(s.kind)}, {"evidence", evidence_name(s.evidence)},
                      {"delay_ms", s.delay_ms(now)}, {"wchan", s.wchan},
                      {"cgroup", s.cgroup}});
  j["stalls"] = stalls;
  nlohmann::json incidents = nlohmann::json::array();
  for (const auto& [cg, inc] : incidents_)
    incidents.push_back({{"cgroup", cg}, {"kills", inc.kills}, {"age_ms", now - inc.opened_ms},
                         {"cgroup_killed", inc.cgroup_killed}, {"gave_up", inc.gave_up}});
  j["incidents"] = incidents;
  nlohmann::json pressure = nlohmann::json::array();
  for (const WatchedGroup& w : watched_)
    pressure.push_back({{"dir", w.dir}, {"cgroup", w.cgroup}, {"some_avg10", w.tracker.last().some_avg10},
                        {"full_avg10", w.tracker.last().full_avg10}, {"recent_some", w.tracker.recent_some()},
                        {"recent_full", w.tracker.recent_full()}, {"above_ms", w.tracker.above_for(now)}});
  j["pressure"] = pressure;
  nlohmann::json kills = nlohmann::json::array();
  for (const auto& k : kills_)
    kills.push_back({{"pid", k.pid}, {"comm", k.comm}, {"cgroup", k.cgroup}, {"reason", k.reason},
                     {"rss_kb", k.rss_kb}, {"dry_run", k.dry_run}, {"ago_ms", now - k.kill_ms},
                     {"kill_to_exit_ms", k.exit_ms >= 0 ? k.exit_ms - k.kill_ms : -1},
                     {"kill_to_freed_ms", k.freed_ms >= 0 ? k.freed_ms - k.kill_ms : -1}, {"freed_kb", k.freed_kb}});
  j["kills"] = kills;
  return j.dump();
}

}  // namespace oomlab::watchdog
