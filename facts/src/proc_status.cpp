#include "oomlab/facts/proc_status.hpp"

#include <charconv>

namespace oomlab::facts {
namespace {

// The first unsigned number after the key, skipping blanks.
bool number(std::string_view v, std::uint64_t& out) {
  std::size_t i = 0;
  while (i < v.size() && (v[i] == ' ' || v[i] == '\t')) ++i;
  auto [p, ec] = std::from_chars(v.data() + i, v.data() + v.size(), out);
  return ec == std::errc() && p != v.data() + i;
}

}  // namespace

bool parse_proc_status(std::string_view text, ProcStatus& out) {
  out = ProcStatus{};
  bool tgid = false;
  while (!text.empty()) {
    const std::size_t nl = text.find('\n');
    const std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    const std::size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    const std::string_view key = line.substr(0, colon), value = line.substr(colon + 1);
    std::uint64_t n = 0;
    if (!number(value, n)) continue;
    if (key == "Tgid") out.tgid = static_cast<pid_t>(n), tgid = true;
    else if (key == "PPid") out.ppid = static_cast<pid_t>(n);
    else if (key == "VmHWM") out.vm_hwm_kb = n;
    else if (key == "VmRSS") out.vm_rss_kb = n, out.has_memory = true;
    else if (key == "RssAnon") out.rss_anon_kb = n;
    else if (key == "RssFile") out.rss_file_kb = n;
    else if (key == "RssShmem") out.rss_shmem_kb = n;
  }
  return tgid;
}

}  // namespace oomlab::facts
