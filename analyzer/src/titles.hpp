// syzbot-dashboard style titles: "WARNING in FUNC", "INFO: task hung in
// FUNC", "KASAN: use-after-free Read in FUNC". FUNC is the first frame that
// is not a generic locking, waiting, scheduling or reporting helper.
#pragma once
#include <string>
#include <string_view>
#include <vector>

#include "oomlab/analyzer/model.hpp"

namespace oomlab::analyzer {

struct RawReport;

bool is_generic_frame(std::string_view func);
// First non-generic function from `from` on; reliable frames first, then "?" ones.
std::string first_meaningful(const std::vector<Frame>& frames, std::size_t from = 0, bool skip_alloc = false);
// A function name as titles show it: without GCC clone suffixes (".part.3", ".cold").
std::string title_func(std::string_view func);
std::string report_title(const RawReport& r, const std::vector<Task>& tasks);

}  // namespace oomlab::analyzer
