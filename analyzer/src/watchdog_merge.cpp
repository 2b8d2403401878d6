// --watchdog-log: the kernel log and oomlab-watchdog's JSON lines as one
// timeline. The watchdog writes every report to its JSON log but only what
// the kernel's /dev/kmsg ratelimit lets through to the kernel log; reading
// both gives the verdict the whole story of a run.
#include <algorithm>
#include <cstdio>
#include <fstream>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "oomlab/analyzer/analyzer.hpp"
#include "oomlab/common/text.hpp"
#include "oomlab/formats/watchdog_log.hpp"

namespace oomlab::analyzer {
namespace {

std::string read_all(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error(path + ": cannot be read");
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) throw std::runtime_error(path + ": read error");
  return ss.str();
}

// "[  12.345678] msg" -> 12.345678 and "msg"; nullopt without a stamp.
std::optional<double> dmesg_stamp(std::string_view line, std::string_view* msg) {
  std::size_t i = 0;
  while (i < line.size() && line[i] == ' ') ++i;
  if (i >= line.size() || line[i] != '[') return std::nullopt;
  std::size_t close = line.find(']', i);
  if (close == std::string_view::npos || close - i > 24) return std::nullopt;
  std::string num(line.substr(i + 1, close - i - 1));
  char* end = nullptr;
  double v = std::strtod(num.c_str(), &end);
  if (end == num.c_str() || num.find('.') == std::string::npos) return std::nullopt;
  while (*end == ' ') ++end;
  if (*end) return std::nullopt;
  std::string_view rest = line.substr(close + 1);
  if (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
  *msg = rest;
  return v;
}

struct Timed {
  double ts;
  std::string text;
};

}  // namespace

Report analyze_with_watchdog_log(const std::string& kernel_log, const std::string& watchdog_log, const Options& opt) {
  const std::string klog = read_all(kernel_log);
  const std::string wlog = read_all(watchdog_log);

  std::vector<Timed> records;
  std::uint64_t records_total = 0, duplicates = 0;
  std::int64_t last_mono_ms = 0;
  for_each_line(wlog, [&](std::string_view line) {
    if (line.empty()) return;
    auto r = formats::decode_watchdog_record(line);
    if (!r) return;
    ++records_total;
    last_mono_ms = std::max(last_mono_ms, r->mono_ms);
    if (r->line.empty() || std::holds_alternative<std::monostate>(r->payload)) return;  // notes never go to kmsg
    records.push_back({static_cast<double>(r->mono_ms) / 1000.0, r->line});
  });
  if (records_total == 0) throw std::runtime_error(watchdog_log + ": no oomlab-watchdog JSON record");
  std::stable_sort(records.begin(), records.end(), [](const Timed& a, const Timed& b) { return a.ts < b.ts; });
  // The watchdog lines the kernel log also carries (not dropped) come from
  // the JSON log only, at the watchdog's own time: the kernel stamps a
  // /dev/kmsg write a few ms later, which would put a report's first task
  // lines (only in the JSON log) before its MemAlloc-Info line.
  std::multiset<std::string> in_json;
  for (const Timed& t : records) in_json.insert(t.text);
  // --cgroup: the kernel log also holds the lines of other oomlab-watchdog
  // processes (another run's, writing to /dev/kmsg): their report headers
  // would interleave with this watchdog's and cut its stalls apart. This
  // watchdog is the one whose tags ("oomlab-watchdog[PID]: ") its JSON log
  // has.
  std::set<std::string, std::less<>> own_tags;
  if (!opt.cgroup.empty())
    for (const Timed& t : records)
      if (std::size_t close = t.text.find("]: "); t.text.compare(0, 16, "oomlab-watchdog[") == 0 && close != std::string::npos)
        own_tags.insert(t.text.substr(0, close + 3));
  std::uint64_t other_watchdogs = 0;
  Analyzer a(opt);
  std::size_t next = 0;
  char stamp[48];
  auto feed_record = [&](const Timed& t) {
    std::snprintf(stamp, sizeof stamp, "[%12.6f] ", t.ts);
    a.feed(stamp + t.text);
  };
  std::uint64_t bytes = 0;
  std::string buf;
  for_each_line(klog, [&](std::string_view line) {
    bytes += line.size() + 1;
    std::string_view msg;
    if (auto ts = dmesg_stamp(line, &msg)) {
      if (msg.substr(0, 16) == "oomlab-watchdog[") {
        if (auto it = in_json.find(std::string(msg)); it != in_json.end()) {
          in_json.erase(it);
          ++duplicates;
          return;
        }
        if (const std::size_t close = msg.find("]: "); !own_tags.empty() && close != std::string_view::npos &&
                                                        !own_tags.count(msg.substr(0, close + 3))) {
          ++other_watchdogs;
          return;
        }
      }
      while (next < records.size() && records[next].ts <= *ts) feed_record(records[next++]);
    }
    buf.assign(line);
    while (!buf.empty() && buf.back() == '\r') buf.pop_back();
    a.feed(buf);
  });
  while (next < records.size()) feed_record(records[next++]);
  a.note_input(bytes, 0, 0);
  a.note_watchdog_log(watchdog_log, static_cast<double>(last_mono_ms) / 1000.0);
  Report rep = a.finish(kernel_log);
  rep.input.watchdog_log = watchdog_log;
  rep.input.watchdog_lines = records.size() - duplicates;  // the records only the JSON log had
  rep.input.watchdog_duplicates = duplicates;
  rep.input.other_cgroup_lines += other_watchdogs;
  return rep;
}

}  // namespace oomlab::analyzer
