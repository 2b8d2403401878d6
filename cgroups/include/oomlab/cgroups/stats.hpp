// The counters a memory cgroup exposes, parsed from their control files.
// Parsers are pure functions so the tests can feed them v1 and v2 texts.
#pragma once
#include <cstdint>
#include <optional>
#include <string_view>

namespace oomlab::cgroups {

// v2 memory.events, and the v1 equivalents mapped onto the same fields:
// v1 has no low/high/oom counters (they stay 0); `max` is memory.failcnt
// (times usage hit the limit), `oom_kill` comes from memory.oom_control
// (kernel >= 4.13) and `under_oom` says whether the group is in OOM now.
struct MemoryEvents {
  std::uint64_t low = 0;
  std::uint64_t high = 0;
  std::uint64_t max = 0;
  std::uint64_t oom = 0;
  std::uint64_t oom_kill = 0;
  bool under_oom = false;  // v1 only: the group is in OOM right now
};

std::optional<MemoryEvents> parse_memory_events_v2(std::string_view text);
// memory.oom_control + memory.failcnt of a v1 group.
std::optional<MemoryEvents> parse_memory_events_v1(std::string_view oom_control, std::string_view failcnt);
// "max" -> nullopt (no limit), digits -> value; v1 reports "no limit" as a
// huge page-rounded number, which is mapped to nullopt as well.
std::optional<std::uint64_t> parse_limit(std::string_view text);

}  // namespace oomlab::cgroups
