// oomlab-watchdog: see watchdog/README.md. Exit codes: 0 ok, 1 runtime
// failure (no daemon for `status`, socket in use), 2 usage.
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <malloc.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "oomlab/formats/watchdog_status.hpp"
#include "oomlab/watchdog/engine.hpp"

using namespace oomlab::watchdog;

namespace {

constexpr char kName[] = "oomlab-watchdog";

// Sends one request line to the daemon, returns the whole answer.
int query(const std::string& socket_path, const std::string& request, std::string& answer) {
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (fd < 0 || socket_path.size() >= sizeof addr.sun_path) return EINVAL;
  std::memcpy(addr.sun_path, socket_path.c_str(), socket_path.size());
  timeval tv{5, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::write(fd, request.data(), request.size()) != static_cast<ssize_t>(request.size())) {
    int err = errno;
    ::close(fd);
    return err;
  }
  char buf[16384];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int err = errno;
      ::close(fd);
      return err;
    }
    if (n == 0) break;
    answer.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fd);
  return 0;
}

int client(const Options& o, const std::string& what) {
  std::string answer;
  if (int err = query(o.socket_path, what + "\n", answer)) {
    std::fprintf(stderr, "%s: no daemon answering on %s (%s)\n", kName, o.socket_path.c_str(), std::strerror(err));
    return 1;
  }
  if (what == "status") {
    // Through the status codec: the daemon's one line, printed indented.
    std::string why;
    auto status = oomlab::formats::decode_watchdog_status(answer, &why);
    if (!status) {
      std::fprintf(stderr, "%s: unexpected answer from %s: %s\n", kName, o.socket_path.c_str(), why.c_str());
      return 1;
    }
    std::printf("%s\n", oomlab::formats::encode_watchdog_status(*status, 2).c_str());
    return 0;
  }
  std::fwrite(answer.data(), 1, answer.size(), stdout);
  return 0;
}

bool exists(const std::string& p) {
  struct stat st;
  return ::stat(p.c_str(), &st) == 0;
}

int check_config(const Options& o) {
  std::printf("config OK%s%s\n", o.config_path.empty() ? "" : ": ", o.config_path.c_str());
  std::printf("  profile=%s period=%lldms warn_after=%lldms kill_after=%lldms escalate_after=%lldms max_victims=%d%s\n",
              o.profile.c_str(), static_cast<long long>(o.period.count()),
              static_cast<long long>(o.warn_after.count()), static_cast<long long>(o.kill_after.count()),
              static_cast<long long>(o.escalate_after.count()), o.max_victims, o.dry_run ? " dry-run" : "");
  std::printf("  prefer=%zu avoid=%zu protect=%zu watch_cgroups=%zu\n", o.prefer.size(), o.avoid.size(),
              o.protect.size(), o.watch_cgroups.size());
  // Facilities: missing ones are not errors (the daemon degrades), but say so.
  auto facility = [](const char* what, bool ok, const char* fallback) {
    std::printf("  %-22s %s\n", what, ok ? "yes" : fallback);
  };
  facility("PSI", exists(o.psi_path), "no: timer sampling only");
  facility("kernel log read", ::access(o.kmsg_path.c_str(), R_OK) == 0, "no: kernel OOM victims not tracked");
  if (o.kmsg_write) facility("kernel log write", ::access(o.kmsg_path.c_str(), W_OK) == 0, "no: stderr only");
  facility("sysrq", exists("/proc/sysrq-trigger"), o.sysrq ? "no: --sysrq will do nothing" : "no");
  facility("kernel stacks", ::access("/proc/self/stack", R_OK) == 0, "no: wchan only");
  if (!o.metrics_textfile.empty()) {
    auto slash = o.metrics_textfile.rfind('/');
    std::string dir = slash == std::string::npos ? "." : slash == 0 ? "/" : o.metrics_textfile.substr(0, slash);
    facility("metrics textfile dir", ::access(dir.c_str(), W_OK) == 0, "no: not writable, the writes will fail");
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  ParsedArgs parsed;
  try {
    parsed = parse_args(argc, argv);
  } catch (const UsageError& e) {
    std::fprintf(stderr, "%s: %s\n", kName, e.what());
    return 2;
  }
  switch (parsed.command) {
    case Command::Help:
      std::fputs(usage_text().c_str(), stdout);
      return 0;
    case Command::Version:
      std::printf("%s %s\n", kName, OOMLAB_VERSION);
      return 0;
    case Command::CheckConfig:
      return check_config(parsed.options);
    case Command::Status:
      return client(parsed.options, "status");
    case Command::Metrics:
      return client(parsed.options, "metrics");
    case Command::Run:
      break;
  }
  // One malloc arena for the daemon's five threads: the workers allocate
  // little and seldom, one at a time, and each arena of its own kept its
  // own touched pages (~8-24 kB each, measured) resident and locked.
  ::mallopt(M_ARENA_MAX, 1);
  try {
    Engine engine(parsed.options, std::vector<std::string>(argv, argv + argc));
    return engine.run();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s: %s\n", kName, e.what());
    return 1;
  }
}
