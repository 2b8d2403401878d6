// Trivial scenarios for the runner's own tests (the real catalogue lives in
// reproducers/scenarios/). Their tasks are named "oomlab-t*" so a test can
// look for leftovers by comm.
#pragma once
#include <memory>
#include <vector>

#include "oomlab/repro/scenario.hpp"

namespace oomlab::repro::testing {

// test-hog: allocates --total (default 2x the limit) in 1 MiB steps, touching
// every page, then sleeps: the group's OOM killer ends it.
// test-sleep: --children processes (one of them detached with setsid, none
// with PDEATHSIG) and --threads threads that sleep forever.
// test-exit: exits at once with --code.
std::vector<std::unique_ptr<Scenario>> test_catalogue();

}  // namespace oomlab::repro::testing
