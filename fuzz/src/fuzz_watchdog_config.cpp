// The watchdog's configuration: a JSON document (--config FILE, the keys are
// the long option names) and the command line it is merged with, plus the
// size and duration values both take. Bad input must end as a UsageError
// (one line, exit 2); any other exception escaping parse_args would abort
// the daemon at start, so it is a finding here.
#include <sys/mman.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "fuzz_input.hpp"
#include "oomlab/common/units.hpp"
#include "oomlab/watchdog/options.hpp"

namespace {

void from_json(std::string_view text) {
  oomlab::watchdog::Options o;
  try {
    oomlab::watchdog::apply_config_json(o, std::string(text));
    oomlab::watchdog::validate(o);
  } catch (const oomlab::watchdog::UsageError&) {
  }
}

// Pieces separated by NUL are argv[1..]; the last piece is a config file
// passed with --config (a memfd, so nothing touches the disk).
void from_args(std::string_view text) {
  std::vector<std::string> args{"oomlab-watchdog"};
  std::string_view config;
  while (!text.empty()) {
    std::size_t nul = text.find('\0');
    std::string_view a = text.substr(0, nul);
    text.remove_prefix(nul == std::string_view::npos ? text.size() : nul + 1);
    if (text.empty()) {
      config = a;
      break;
    }
    // A --config of the input's choosing could name /dev/zero: not parsing.
    if (a.find("config") == std::string_view::npos && args.size() < 64) args.emplace_back(a);
  }
  int fd = ::memfd_create("fuzz_config", MFD_CLOEXEC);
  if (fd < 0) return;
  if (::write(fd, config.data(), config.size()) == static_cast<ssize_t>(config.size())) {
    args.push_back("--config=/proc/self/fd/" + std::to_string(fd));
    std::vector<const char*> argv;
    for (const auto& a : args) argv.push_back(a.c_str());
    argv.push_back(nullptr);
    try {
      (void)oomlab::watchdog::parse_args(static_cast<int>(args.size()), argv.data());
    } catch (const oomlab::watchdog::UsageError&) {
    }
  }
  ::close(fd);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  oomlab::fuzz::Input in(data, size);
  const std::uint8_t mode = in.byte();
  const std::string_view text = in.rest();
  if (mode & 1) from_args(text);
  else from_json(text);
  if (text.size() < 64) {
    (void)oomlab::parse_size(text);
    if (auto d = oomlab::parse_duration(text)) (void)oomlab::format_duration(*d);
  }
  return 0;
}
