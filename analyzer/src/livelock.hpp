// Reading a dumped task's stack: what it waits for and on which lock.
#pragma once
#include <string>

#include "oomlab/analyzer/model.hpp"

namespace oomlab::analyzer {

struct TaskWait {
  std::string kind;      // "write", "read" (rwsem waits), "alloc" (allocator), "" (other)
  bool page_fault = false;
  std::string where;     // first meaningful frame
};

TaskWait classify_wait(const Task& t);
// "mmap_lock" (5.8+ names), "mmap_sem" (an rwsem reached from mm code), or "rwsem".
std::string lock_name(const Task& t);

}  // namespace oomlab::analyzer
