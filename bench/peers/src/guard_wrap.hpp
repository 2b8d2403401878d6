// `oomlab-bench-peers wrap --out FILE -- GUARD ARGS...`: the measuring half of
// the harness, for places where the harness itself cannot watch the guard
// (inside the test VM). Runs the guard, stamps its output lines with the
// wall clock, samples its CPU, RSS and D-state time like on the host, and on
// SIGTERM/SIGINT stops it and writes {"lines":[...],"cost":{...}} to FILE
// (formats::encode_wrapped_guard; the VM runner reads it back with
// formats::decode_wrapped_guard).
#pragma once
#include <string>
#include <vector>

#include "child.hpp"
#include "guard_probe.hpp"

namespace oomlab::peers {

int wrap_main(const std::vector<std::string>& args);

// The file wrap writes, read back by the VM runner: one codec in formats/.
using WrappedGuard = formats::PeersWrappedGuard;

}  // namespace oomlab::peers
