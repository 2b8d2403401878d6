// nohang 0.2's configuration file as oomlab writes it for the peer
// benchmarks: one home for the text that bench/peers (nohang on the host,
// pointed at the run's group) and oomlab-vm (nohang.service in the Debian
// guest, pointed at the scenario slice) both hand to nohang. Everything not
// named in NohangTuning is the package's /etc/nohang/nohang.conf default,
// except: zram checks off, PSI checking on (some_avg10, soft 25% / hard 50%),
// no GUI or warning programs, and the victim's cmdline never printed (it
// would block behind a held mmap lock: the bug this project is about).
#pragma once
#include <string>

namespace oomlab::formats {

struct NohangTuning {
  std::string psi_path = "/proc/pressure/memory";  // the memory.pressure file it watches
  int act_after_s = 5;                             // psi_excess_duration
  // MemAvailable thresholds, "N %": set low where the machine's memory is
  // not what the scenario presses (a 256M group on a large host).
  std::string warning_min_mem = "20 %", soft_min_mem = "5 %", hard_min_mem = "2 %";
  int min_badness = 10;
  // @BADNESS_ADJ_RE_CGROUP_V2: badness added to processes whose cgroup
  // matches this regex (the workload's); "" = no such line.
  std::string badness_cgroup_re;
  int badness_adj = 300;
};

std::string nohang_conf(const NohangTuning& t);

}  // namespace oomlab::formats
