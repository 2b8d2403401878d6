// Clocks. Monotonic for every measured interval; CLOCK_BOOTTIME where a time
// must line up with kernel log timestamps (printk uses local_clock(), which
// tracks CLOCK_MONOTONIC closely on x86 but keeps running on suspend like
// BOOTTIME; /dev/kmsg records carry CLOCK_MONOTONIC-based usec).
#pragma once
#include <cstdint>
#include <string>

namespace oomlab {

std::int64_t monotonic_us();   // CLOCK_MONOTONIC, microseconds
inline std::int64_t monotonic_ms() { return monotonic_us() / 1000; }
std::int64_t realtime_ms();    // wall clock, ms since the epoch

// "20261123T101500Z": UTC, sortable, safe in a directory name.
std::string utc_stamp();
// "2026-11-23T10:15:00.123Z": ISO 8601 for JSON.
std::string utc_iso8601(std::int64_t realtime_ms);

}  // namespace oomlab
