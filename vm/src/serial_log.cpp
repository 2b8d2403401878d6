#include "serial_log.hpp"

#include <cstdlib>

namespace oomlab::vm {

std::string marker_field(std::string_view line, std::string_view key) {
  std::string needle = " " + std::string(key) + "=";
  auto at = line.find(needle);
  if (at == std::string_view::npos) return {};
  std::string_view v = line.substr(at + needle.size());
  return std::string(v.substr(0, v.find(' ')));
}

GuestOutput split_serial_log(std::string_view serial) {
  GuestOutput g;
  bool in_report = false;
  std::string file_name;  // non-empty inside a file section
  std::string file_body;
  while (!serial.empty()) {
    auto nl = serial.find('\n');
    std::string_view line = serial.substr(0, nl);
    std::string_view with_nl = serial.substr(0, nl == std::string_view::npos ? serial.size() : nl + 1);
    serial = nl == std::string_view::npos ? std::string_view{} : serial.substr(nl + 1);
    if (!file_name.empty()) {
      if (line.find(kFileEnd) != std::string_view::npos) {
        g.files[file_name] = std::move(file_body);
        file_name.clear();
        file_body.clear();
      } else {
        file_body.append(with_nl);
      }
      continue;
    }
    if (auto at = line.find(kFileBegin); at != std::string_view::npos) {
      file_name = std::string(line.substr(at + kFileBegin.size()));
      // A name is a plain file name: the host writes it into the run directory.
      if (file_name.empty() || file_name.find('/') != std::string::npos || file_name[0] == '.') file_name = "invalid";
      continue;
    }
    if (in_report) {
      if (line.find(kReportEnd) != std::string_view::npos) {
        in_report = false;
        g.report_complete = true;
      } else {
        g.report.append(with_nl);
      }
      continue;
    }
    if (line.find(kReportBegin) != std::string_view::npos) {
      in_report = true;
      g.report_begun = true;
      g.report.clear();
      continue;
    }
    g.console.append(with_nl);
    if (auto at = line.find(kBootedMarker); at != std::string_view::npos && !g.booted) {
      g.booted = true;
      std::string_view rest = line.substr(at);
      g.kernel_release = marker_field(rest, "kernel");
      std::string up = marker_field(rest, "uptime");
      if (!up.empty()) g.boot_uptime_s = std::strtod(up.c_str(), nullptr);
    } else if (auto at2 = line.find(kExitMarker); at2 != std::string_view::npos) {
      std::string code = marker_field(line.substr(at2), "code");
      if (!code.empty()) g.exit_code = std::atoi(code.c_str());
    }
  }
  return g;
}

}  // namespace oomlab::vm
