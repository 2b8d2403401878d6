// The verdict engine's parts, one per family of findings.
#pragma once
#include <vector>

#include "oomlab/analyzer/model.hpp"

namespace oomlab::analyzer {
class State;
void oom_findings(State& st, std::vector<Finding>& out);     // oom_verdict.cpp
void stall_findings(State& st, std::vector<Finding>& out);   // stall_verdict.cpp
}  // namespace oomlab::analyzer
