#include "oomlab/facts/proc_stat.hpp"

#include <algorithm>
#include <cstring>

namespace oomlab::facts {
namespace {

bool next_number(std::string_view& s, std::uint64_t& out) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  bool neg = !s.empty() && s.front() == '-';
  if (neg) s.remove_prefix(1);
  if (s.empty() || s.front() < '0' || s.front() > '9') return false;
  std::uint64_t v = 0;
  while (!s.empty() && s.front() >= '0' && s.front() <= '9') {
    v = v * 10 + static_cast<std::uint64_t>(s.front() - '0');
    s.remove_prefix(1);
  }
  out = neg ? 0 : v;  // the fields kept here are never negative
  return true;
}

}  // namespace

bool parse_proc_stat(std::string_view text, ProcStat& t) {
  std::size_t open = text.find('(');
  std::size_t close = text.rfind(')');
  if (open == std::string_view::npos || close == std::string_view::npos || close < open) return false;
  std::string_view pid_text = text.substr(0, open);
  std::uint64_t pid = 0;
  if (!next_number(pid_text, pid)) return false;
  t.pid = static_cast<pid_t>(pid);
  std::size_t n = std::min<std::size_t>(close - open - 1, sizeof t.comm - 1);
  std::memcpy(t.comm, text.data() + open + 1, n);
  t.comm[n] = 0;
  std::string_view rest = text.substr(close + 1);
  while (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
  if (rest.empty()) return false;
  t.state = rest.front();
  rest.remove_prefix(1);
  t.fields = 3;
  // Fields after state, numbered as in proc(5): 4 ppid ... 52 exit_code.
  std::uint64_t v = 0;
  for (int field = 4; field <= 42; ++field) {
    if (!next_number(rest, v)) return true;
    t.fields = field;
    switch (field) {
      case 4: t.ppid = static_cast<pid_t>(v); break;
      case 9: t.flags = v; break;
      case 14: t.utime = v; break;
      case 15: t.stime = v; break;
      case 16: t.cutime = v; break;
      case 17: t.cstime = v; break;
      case 20: t.num_threads = static_cast<int>(v); break;
      case 22: t.starttime = v; break;
      case 24: t.rss_pages = v; break;
      case 31: t.sigpending = v; break;
      case 42: t.blkio_ticks = v; break;
      default: break;
    }
  }
  return true;
}

}  // namespace oomlab::facts
