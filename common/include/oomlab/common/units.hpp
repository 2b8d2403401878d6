// Parsing and printing of the sizes and durations every CLI takes
// ("256M", "1.5G", "30s", "500ms", "2m").
#pragma once
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace oomlab {

// Bytes from "4096", "64K", "256M", "1.5G", "2T" (binary multiples, optional
// trailing "B"/"iB"). nullopt on anything else, including overflow and
// negative numbers.
std::optional<std::uint64_t> parse_size(std::string_view text);

// Milliseconds from "250ms", "30s", "1.5s", "2m", "1h"; a bare number is seconds.
std::optional<std::chrono::milliseconds> parse_duration(std::string_view text);

// "256.0 MiB" style, for humans.
std::string format_size(std::uint64_t bytes);
// "1.5 s" / "250 ms", for humans.
std::string format_duration(std::chrono::milliseconds d);

}  // namespace oomlab
