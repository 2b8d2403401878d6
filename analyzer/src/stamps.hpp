// Timestamp prefixes a kernel line arrives with, one parser each. Every
// parser looks at the start of `s`, and on success consumes the stamp (and
// only the stamp) and returns true; on failure it leaves `s` alone.
#pragma once
#include <optional>
#include <string_view>

namespace oomlab::analyzer::stamps {

// "[  123.456789]" (printk's own clock) -> seconds.
bool take_dmesg(std::string_view& s, double& ts);
// "[  T123]" / "[C1]": printk caller id (CONFIG_PRINTK_CALLER).
bool take_caller(std::string_view& s, std::string_view& caller);
// dmesg -T "[Mon Nov 23 10:00:01 2026]" in any locale ("[Mo Nov 23 ...]",
// "[lun. janv. 12 ...]"): ts is nullopt when the month name is not one the
// table knows (the stamp is still taken off).
bool take_wall(std::string_view& s, std::optional<double>& ts);
// dmesg -H / --reltime: "[Jan12 10:11]" and "[  +0.000123]" (no absolute ts
// for the deltas).
bool take_reltime(std::string_view& s, std::optional<double>& ts);
// Raw /dev/kmsg "pri,seq,usec,flags[,more];".
bool take_kmsg(std::string_view& s, double& ts, std::string_view& caller);
// "Nov 23 10:00:01[.123456] " (classic syslog, journalctl short[-precise]).
bool take_syslog(std::string_view& s, double& ts);
// "2026-11-23T10:00:01[.123456|,123456][+00:00|Z]" (rsyslog, journalctl
// short-iso, dmesg --time-format iso). `comma` tells dmesg's own form,
// which is followed by the message and no host.
bool take_iso(std::string_view& s, double& ts, bool& comma);

// Month number (1-12) of an abbreviated month name in English, German,
// French, Spanish, Italian, Portuguese, Dutch, Swedish or Polish; 0 if none.
int month_index(std::string_view s);

}  // namespace oomlab::analyzer::stamps
