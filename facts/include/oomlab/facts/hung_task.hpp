// The hung-task detector's lines (kernel/hung_task.c), parsed once:
//   INFO: task cat:1150 blocked for more than 122 seconds.
//   INFO: task cat:1150 blocked in I/O wait for more than 143 seconds.    (in io_schedule)
//   INFO: task cat:1150 can't die for more than 120 seconds.      (old/TOMOYO kernels)
// and, since 6.15-6.17 (CONFIG_DETECT_HUNG_TASK_BLOCKER), the line naming
// the lock the hung task waits for and who likely holds it:
//   INFO: task cat:1150 is blocked on a mutex likely owned by task cat:1149.
//   INFO: task cat:1150 blocked on a semaphore likely last held by task cat:1149
//   INFO: task cat:1150 <reader> blocked on an rw-semaphore likely owned by task a.out:1149 <writer>
//   INFO: task cat:1150 is blocked on a mutex, but the owner is not found.
//   INFO: task cat:1150 is blocked on a semaphore, but the last holder is not found.
//   INFO: task cat:1150 is blocked on an rw-semaphore, but the owner is not found.
// A comm may hold spaces and colons: a task is "COMM:PID" with the pid after
// the last colon. Inputs are a record's message (no stamp, no "<N>").
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <sys/types.h>

namespace oomlab::facts {

struct HungTaskHeader {
  pid_t pid = 0;
  std::string comm;
  std::optional<std::uint64_t> blocked_s;   // "for more than N seconds"
  bool cant_die = false;                    // "can't die" (a killed task that does not exit)
};
std::optional<HungTaskHeader> parse_hung_task_header(std::string_view message);

enum class BlockerLock : std::uint8_t { Mutex, Semaphore, RwSemaphore };
const char* blocker_lock_name(BlockerLock l);   // "mutex", "semaphore", "rwsem"

struct HungTaskBlocker {
  pid_t pid = 0;              // the hung task
  std::string comm;
  BlockerLock lock = BlockerLock::Mutex;
  std::string waits_as;       // rw-semaphore: "reader" / "writer"; "" otherwise
  pid_t owner_pid = 0;        // 0: "the owner is not found" (released, or a reader-owned rwsem)
  std::string owner_comm;
  std::string owner_as;       // rw-semaphore: how the owner holds it, "reader" / "writer"
};
std::optional<HungTaskBlocker> parse_hung_task_blocker(std::string_view message);

}  // namespace oomlab::facts
