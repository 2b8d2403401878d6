#include "oomlab/formats/nohang_conf.hpp"

namespace oomlab::formats {

std::string nohang_conf(const NohangTuning& t) {
  std::string s;
  s += "zram_checking_enabled = False\n";
  s += "psi_checking_enabled = True\n";
  s += "psi_path = " + t.psi_path + "\n";
  s += "psi_metrics = some_avg10\n";
  s += "psi_excess_duration = " + std::to_string(t.act_after_s) + "\n";
  s += "psi_post_action_delay = 10\n";
  s += "fill_rate_mem = 6000\nfill_rate_swap = 2000\nfill_rate_zram = 4000\n";
  s += "max_sleep = 1\nmin_sleep = 0.1\n";
  s += "post_action_gui_notifications = False\nhide_corrective_action_type = False\n";
  s += "low_memory_warnings_enabled = False\nwarning_exe =\n";
  s += "warning_threshold_min_mem = " + t.warning_min_mem +
       "\nwarning_threshold_min_swap = 25 %\nwarning_threshold_max_zram = 45 %\n";
  s += "warning_threshold_max_psi = 100\nmin_post_warning_delay = 60\nenv_cache_time = 300\n";
  s += "soft_threshold_min_mem = " + t.soft_min_mem + "\nsoft_threshold_min_swap = 10 %\nsoft_threshold_max_zram = 55 %\n";
  s += "soft_threshold_max_psi = 25\n";
  s += "hard_threshold_min_mem = " + t.hard_min_mem + "\nhard_threshold_min_swap = 4 %\nhard_threshold_max_zram = 60 %\n";
  s += "hard_threshold_max_psi = 50\n";
  s += "ignore_positive_oom_score_adj = False\nmax_soft_exit_time = 5\npost_kill_exe =\n";
  s += "min_badness = " + std::to_string(t.min_badness) +
       "\npost_soft_action_delay = 3\npost_zombie_delay = 0.1\nvictim_cache_time = 10\n";
  s += "exe_timeout = 20\nprint_config_at_startup = False\nprint_mem_check_results = False\n";
  s += "min_mem_report_interval = 60\nprint_proc_table = False\nextra_table_info = None\n";
  s += "print_victim_status = True\nprint_victim_cmdline = False\nmax_victim_ancestry_depth = 3\n";
  s += "print_statistics = False\ndebug_psi = False\ndebug_gui_notifications = False\n";
  s += "debug_sleep = False\ndebug_threading = False\nseparate_log = False\n";
  if (!t.badness_cgroup_re.empty())
    s += "@BADNESS_ADJ_RE_CGROUP_V2 " + std::to_string(t.badness_adj) + " /// " + t.badness_cgroup_re + "\n";
  return s;
}

}  // namespace oomlab::formats
