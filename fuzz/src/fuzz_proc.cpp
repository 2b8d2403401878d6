// /proc/PID/stat and the wait-site files the watchdog and the runner read:
// the watchdog's parse_stat (comm may hold spaces and parentheses), the
// runner's state and wait-symbol parsers, and the facts library's wchan /
// stack classifier (the one wait-symbol table), and facts' status parser.
// Pieces of the input separated by NUL play stat, wchan and
// stack.
#include <cstring>
#include <string>

#include "fuzz_input.hpp"
#include "oomlab/repro/sampler.hpp"
#include "oomlab/facts/proc_status.hpp"
#include "oomlab/facts/wait_kind.hpp"
#include "oomlab/watchdog/task_sample.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view piece[3];
  oomlab::fuzz::split_nul(std::string_view(reinterpret_cast<const char*>(data), size), piece);
  const std::string_view stat = piece[0], wchan = piece[1], stack = piece[2];

  oomlab::watchdog::TaskSample t;
  if (oomlab::watchdog::parse_stat(stat, t)) {
    // The sampler copies comm into a fixed array: it must stay terminated.
    if (t.comm[sizeof t.comm - 1] != '\0' || std::strlen(t.comm) > 16) __builtin_trap();
    (void)t.kernel_thread();
    (void)t.dying();
  }
  (void)oomlab::repro::parse_stat_state(stat);
  const std::string sym = oomlab::repro::wait_symbol(wchan, stack);
  if (sym.size() > wchan.size() + stack.size()) __builtin_trap();
  (void)oomlab::facts::wait_kind_name(oomlab::facts::classify_symbol(wchan));
  (void)oomlab::facts::wait_kind_name(oomlab::facts::classify_stack(stack));
  (void)oomlab::facts::classify_stack(stat);
  // The whole input as a status file: memory lines only from a VmRSS: key.
  const std::string_view all(reinterpret_cast<const char*>(data), size);
  oomlab::facts::ProcStatus st;
  if (oomlab::facts::parse_proc_status(all, st) && st.has_memory && all.find("VmRSS:") == std::string_view::npos)
    __builtin_trap();
  return 0;
}
