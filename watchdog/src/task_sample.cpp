#include "oomlab/watchdog/task_sample.hpp"

#include <cstring>

#include "oomlab/facts/proc_stat.hpp"

namespace oomlab::watchdog {
bool parse_stat(std::string_view text, TaskSample& t) {
  facts::ProcStat st;
  // Old kernels end early; the scan needs up to rss (field 24).
  if (!facts::parse_proc_stat(text, st) || st.fields < 24) return false;
  t.tid = st.pid;
  std::memcpy(t.comm, st.comm, sizeof t.comm);
  t.state = st.state;
  t.flags = st.flags;
  t.num_threads = st.num_threads;
  t.starttime = st.starttime;
  t.rss_pages = st.rss_pages;
  t.sigpending = st.sigpending;
  t.blkio_ticks = st.blkio_ticks;
  return true;
}

}  // namespace oomlab::watchdog
