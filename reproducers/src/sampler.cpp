#include "oomlab/repro/sampler.hpp"

#include <algorithm>
#include <map>

#include "oomlab/common/procfs.hpp"
#include "oomlab/facts/proc_stat.hpp"
#include "oomlab/facts/wait_kind.hpp"

namespace oomlab::repro {

char parse_stat_state(std::string_view stat) {
  facts::ProcStat st;
  return facts::parse_proc_stat(stat, st) ? st.state : '?';
}

std::string wait_symbol(std::string_view wchan, std::string_view stack) {
  while (!wchan.empty() && (wchan.back() == '\n' || wchan.back() == ' ')) wchan.remove_suffix(1);
  if (!wchan.empty() && wchan != "0") return std::string(wchan);
  // "[<0>] rwsem_down_read_slowpath+0x1a2/0x4c0\n..."
  while (!stack.empty()) {
    std::size_t nl = stack.find('\n');
    std::string_view line = stack.substr(0, nl);
    stack = nl == std::string_view::npos ? std::string_view{} : stack.substr(nl + 1);
    if (std::size_t sp = line.find("] "); sp != std::string_view::npos) line.remove_prefix(sp + 2);
    line = line.substr(0, line.find('+'));
    if (line.empty()) continue;
    bool scheduler = line.find("schedule") != std::string_view::npos;
    if (!scheduler) return std::string(line);
  }
  return "";
}

TaskStates sample_tasks(const std::vector<pid_t>& tids, std::size_t max_threads) {
  TaskStates t;
  std::map<std::string, int> waits;
  char buf[1024];
  std::size_t n = std::min(tids.size(), max_threads);
  for (std::size_t i = 0; i < n; ++i) {
    const std::string dir = "/proc/" + std::to_string(tids[i]);
    long len = read_proc_file_into((dir + "/stat").c_str(), buf, sizeof buf - 1);
    if (len <= 0) continue;  // exited meanwhile
    switch (parse_stat_state(std::string_view(buf, static_cast<std::size_t>(len)))) {
      case 'R': ++t.running; break;
      case 'S': case 'I': ++t.sleeping; break;
      case 'D': {
        ++t.disk;
        std::string wchan = read_proc_file(dir + "/wchan", 256).value_or("");
        std::string sym = wait_symbol(wchan, "");
        facts::WaitKind kind = facts::classify_symbol(sym);
        if (sym.empty() || kind == facts::WaitKind::None) {
          // wchan says nothing about memory: the kernel stack may (a reclaim
          // or an mmap-lock wait under a generic sleep).
          std::string stack = read_proc_file(dir + "/stack", 4096).value_or("");
          if (sym.empty()) sym = wait_symbol("", stack);
          kind = facts::classify_stack(stack);
        }
        ++t.blocked[static_cast<int>(kind)];
        ++waits[sym.empty() ? "?" : sym];
        break;
      }
      default: ++t.other;
    }
  }
  std::vector<std::pair<std::string, int>> sorted(waits.begin(), waits.end());
  std::stable_sort(sorted.begin(), sorted.end(), [](auto& a, auto& b) { return a.second > b.second; });
  if (sorted.size() > 3) sorted.resize(3);
  t.top_wait = std::move(sorted);
  return t;
}

}  // namespace oomlab::repro
