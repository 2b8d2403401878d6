// Walking text that was read whole (/proc files, command output) line by
// line, without copying it.
#pragma once
#include <string_view>
#include <type_traits>

namespace oomlab {

// Calls f(line) for each line of text, without its '\n'. A last line without
// '\n' is passed too; a final '\n' does not make an empty last line. f
// returns void, or bool: false stops the walk (for a search that is done).
template <class F>
void for_each_line(std::string_view text, F&& f) {
  while (!text.empty()) {
    std::size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
    if constexpr (std::is_same_v<std::invoke_result_t<F&, std::string_view>, bool>) {
      if (!f(line)) return;
    } else {
      f(line);
    }
  }
}

}  // namespace oomlab
