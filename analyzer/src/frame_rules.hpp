// Which stack frames name a crash report, following syzbot's convention
// (syzkaller pkg/report, linux.go: linuxStackParams, linuxStallFrameExtractor,
// linuxHangTaskFrameExtractor). The lists themselves live in frame_rules.cpp.
#pragma once
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace oomlab::analyzer {

// Pattern syntax of the skip lists: a substring unless anchored with a
// leading '^' (start) or trailing '$' (end); '*' matches any run of
// characters and '#' one digit. ("kasan" skips "__kasan_check_read",
// "^down$" only "down", "read_once_*nocheck" "__read_once_word_nocheck").
bool frame_pattern_match(std::string_view pattern, std::string_view func);

// True when `func` is a generic helper that never names a report: the
// common list plus the report kind's own `extra` list.
bool skip_title_frame(std::string_view func, std::span<const std::string_view> extra);

// "__x64_sys_ioctl" -> "sys_ioctl", "__do_sys_ioctl" -> "ioctl": the shortest
// name left after removing one syscall-wrapper prefix.
std::string_view strip_syscall_prefix(std::string_view func);

// Stalls (RCU, soft lockup): the frame just above the first dispatch point
// (syscall entry, workqueue, softirq, vfs_read...), or "" when there is none.
std::string stall_frame(const std::vector<std::string>& frames);
// Hung tasks: rtnl_lock / synchronize_rcu when the task waits there, else the
// first frame that is not waiting machinery; "" when there is none.
std::string hung_frame(const std::vector<std::string>& frames);

}  // namespace oomlab::analyzer
