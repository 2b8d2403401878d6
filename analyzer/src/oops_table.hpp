// The kernel's report kinds as a table: which header line starts each kind,
// its verdict class, its syzbot-style title and where in the report the
// title's function comes from. The rows live in oops_table.cpp.
#pragma once
#include <array>
#include <cstdint>
#include <span>
#include <string_view>

#include "oomlab/analyzer/model.hpp"

namespace oomlab::analyzer {

// One step of finding a report's function, in the order the report prints
// them (syzkaller pkg/report's stackFmt.parts). Capturing steps offer a
// candidate frame; the first candidate that is not a generic helper wins.
enum class Part : std::uint8_t {
  none,
  header_func,   // capture: "func+0x.." on the header line itself
  rip,           // capture: the next "RIP: ..func+0x..", "IP: ..", "pc : .."
  call_trace,    // move past the next "Call Trace:"
  stack,         // capture: every frame up to the next stack start
  apic,          // move past the next frame in *apic_timer_interrupt
  irq_entry,     // move past *apic_timer_interrupt, el1h_64_irq or "Exception stack"
  at,            // capture: the next lockdep ", at: func+0x.."
  at_raw,        // same, but taken even when it is a generic helper
  pc_frame,      // capture: the next "[<addr>] func+0x.." line
  backtrace,     // move past kmemleak's "backtrace:"
  page_owner,    // move past "page last allocated ..."
  uninit_origin, // move past "Uninit was created at:" / "Local variable .. created at:"
  which_became,  // move past lockdep's "which became ..-irq-.. at:"
};

enum class Extract : std::uint8_t {
  first,   // the first candidate
  stall,   // RCU stalls, lockups: the frame above the first dispatch point (frame_rules.hpp)
  hung,    // hung tasks: rtnl_lock / synchronize_rcu or the first non-waiting frame
};

struct FramePlan {
  std::array<Part, 4> parts{};
  std::array<Part, 4> parts2{};                // tried when `parts` yields nothing
  std::span<const std::string_view> skip{};    // generic helpers of this kind, on top of the common list
  Extract extract = Extract::first;
  std::size_t frame_index = 0;                 // which capture names the report (KMSAN: the first stack, not its origin)
};

struct OopsFormat {
  std::string_view prefix;     // the message starts with this
  std::string_view contains;   // and holds this after the prefix ("" = anything)
  std::string_view cap_end;    // "{1}" = text after the prefix up to this ("" = up to the end of the line)
  VerdictClass klass;
  std::string_view title;      // with "{1}", "{access}" (Read/Write) and "{frame}"
  const FramePlan* plan = nullptr;   // nullptr: the title names no function
  bool ignore = false;         // printed by the kernel or user space, but not a failure report
};

// The first row whose prefix and `contains` match `msg`, or nullptr.
const OopsFormat* find_oops(std::string_view msg);
// A WARN() splat (its frame comes from the trap's RIP): panic_on_warn panics after it.
bool is_warn_splat(const OopsFormat* f);

}  // namespace oomlab::analyzer
