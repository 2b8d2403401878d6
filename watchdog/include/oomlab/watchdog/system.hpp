// The watchdog's dealings with its host: systemd's notify protocol (spoken
// directly: one datagram to $NOTIFY_SOCKET, no libsystemd), self-protection
// against the very condition it watches, and sysrq.
#pragma once
#include <chrono>
#include <string>
#include <string_view>

namespace oomlab::watchdog {

// Sends "READY=1", "WATCHDOG=1", "STATUS=...", "STOPPING=1"... False when
// not under systemd (no NOTIFY_SOCKET) or the send failed.
bool sd_notify(std::string_view state);
// $WATCHDOG_USEC / 2 (ping interval), or 0 when systemd does not watch us.
std::chrono::microseconds sd_watchdog_interval();

// mlockall (MCL_ONFAULT where available: thread stacks are not populated up
// front) and oom_score_adj -1000. Returns a one-line summary of what worked.
std::string protect_self();

// Writes one command letter to /proc/sysrq-trigger; false when it is absent
// (CONFIG_MAGIC_SYSRQ off) or not writable.
bool sysrq(char command);

}  // namespace oomlab::watchdog
