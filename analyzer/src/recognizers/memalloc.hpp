// MemAlloc line bodies, shared by the kernel's and oomlab-watchdog's forms.
#pragma once
#include <string_view>

namespace oomlab::analyzer {
class State;
struct Line;
// body: the text after "MemAlloc-Info: " / "MemAlloc: ".
bool parse_memalloc_info(State& st, const Line& l, std::string_view body, std::string_view source);
bool parse_memalloc_task(State& st, const Line& l, std::string_view body, std::string_view source);
}  // namespace oomlab::analyzer
