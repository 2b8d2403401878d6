#include "guard_probe.hpp"

#include <cstdio>
#include <dirent.h>
#include <string_view>
#include <unistd.h>
#include <vector>

#include "oomlab/common/procfs.hpp"
#include "oomlab/facts/proc_stat.hpp"
#include "oomlab/facts/proc_status.hpp"

namespace oomlab::peers {

bool parse_stat(const std::string& text, StatFields& out) {
  facts::ProcStat s;
  if (!facts::parse_proc_stat(text, s) || s.fields < 17) return false;
  out.state = s.state;
  out.utime = s.utime, out.stime = s.stime, out.cutime = s.cutime, out.cstime = s.cstime;
  return true;
}

void GuardProbe::sample(std::int64_t now_ms) {
  const std::string base = "/proc/" + std::to_string(pid_);
  static const double tick_ms = 1000.0 / static_cast<double>(sysconf(_SC_CLK_TCK));
  if (auto stat = read_proc_file(base + "/stat")) {
    StatFields f;
    if (parse_stat(*stat, f))
      cost_.cpu_ms = static_cast<double>(f.utime + f.stime + f.cutime + f.cstime) * tick_ms;
  }
  if (auto status = read_proc_file(base + "/status"))
    if (facts::ProcStatus st; facts::parse_proc_status(*status, st) && st.vm_hwm_kb > cost_.peak_rss_kb)
      cost_.peak_rss_kb = st.vm_hwm_kb;
  DIR* d = opendir((base + "/task").c_str());
  if (!d) return;
  std::map<pid_t, std::int64_t> still_d;
  while (dirent* e = readdir(d)) {
    if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
    pid_t tid = static_cast<pid_t>(std::stol(e->d_name));
    const std::string task = base + "/task/" + e->d_name;
    auto stat = read_proc_file(task + "/stat");
    StatFields f;
    if (!stat || !parse_stat(*stat, f) || f.state != 'D') continue;
    auto it = d_since_.find(tid);
    std::int64_t since = it == d_since_.end() ? now_ms : it->second;
    still_d[tid] = since;
    if (now_ms - since >= cost_.longest_d_ms) {
      cost_.longest_d_ms = now_ms - since;
      if (auto w = read_proc_file(task + "/wchan")) cost_.d_wchan = *w;
    }
  }
  closedir(d);
  d_since_.swap(still_d);
}

}  // namespace oomlab::peers
