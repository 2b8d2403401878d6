// The kernel log as a stream of records, read from /dev/kmsg without blocking.
// Used by the reproducer runner (OOM kills during a run, the log slice for the
// analyzer) and by the watchdog (OOM victims chosen by the kernel).
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace oomlab {

struct KmsgRecord {
  int level = 6;             // syslog priority (facility stripped)
  std::uint64_t seq = 0;     // kernel sequence number
  std::uint64_t usec = 0;    // CLOCK_MONOTONIC timestamp of the printk
  std::string message;       // first line of the record, continuation lines dropped
};

// Parses one raw /dev/kmsg record "pri,seq,usec,flags[,...];message\n[ KEY=v\n]".
std::optional<KmsgRecord> parse_kmsg_record(std::string_view raw);

// "[  123.456789] message": the dmesg form of a record.
std::string format_dmesg_line(const KmsgRecord& r);

class KmsgReader {
 public:
  enum class Start { Now, Beginning };
  // Opens /dev/kmsg (or another path: tests) non-blocking. ok() is false when
  // it cannot be opened (no permission, no device); error() says why.
  explicit KmsgReader(Start start = Start::Now, const char* path = "/dev/kmsg");
  ~KmsgReader();
  KmsgReader(const KmsgReader&) = delete;
  KmsgReader& operator=(const KmsgReader&) = delete;

  bool ok() const { return fd_ >= 0; }
  const std::string& error() const { return error_; }
  int fd() const { return fd_; }

  // Next record if one is ready, nullopt when none is (never blocks). Records
  // overwritten before we read them (EPIPE) are counted in lost().
  std::optional<KmsgRecord> next();
  std::uint64_t lost() const { return lost_; }

 private:
  int fd_ = -1;
  std::string error_;
  std::uint64_t lost_ = 0;
  char buf_[8192];
};

}  // namespace oomlab
