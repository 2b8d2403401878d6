// Where a kernel OOM report starts, so that a tool can hold its lines until
// the report's "oom-kill:" line (kernel_lines.hpp) says whose it is.
#pragma once
#include <optional>
#include <string>
#include <string_view>

namespace oomlab::facts {

// "COMM invoked oom-killer: gfp_mask=0xcc0(GFP_KERNEL), order=0, oom_score_adj=0"
// (every kernel since 2.6; the message part, no stamp): the invoking comm.
// A comm may hold spaces: it is everything before " invoked oom-killer:".
std::optional<std::string> parse_oom_invocation(std::string_view message);

}  // namespace oomlab::facts
