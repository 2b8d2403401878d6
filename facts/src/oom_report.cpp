#include "oomlab/facts/oom_report.hpp"

namespace oomlab::facts {

std::optional<std::string> parse_oom_invocation(std::string_view message) {
  constexpr std::string_view kNeedle = " invoked oom-killer:";
  const std::size_t k = message.find(kNeedle);
  // current->comm is at most 15 bytes (TASK_COMM_LEN - 1): a needle further
  // in is some other text quoting it.
  if (k == std::string_view::npos || k == 0 || k > 15) return std::nullopt;
  return std::string(message.substr(0, k));
}

}  // namespace oomlab::facts
