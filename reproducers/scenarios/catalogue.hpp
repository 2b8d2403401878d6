// One factory per scenario file; catalogue.cpp puts them in `list` order.
#pragma once
#include <memory>

#include "oomlab/repro/scenario.hpp"

namespace oomlab::repro {

std::unique_ptr<Scenario> make_mmap_sem_scenario();
std::unique_ptr<Scenario> make_mmap_lock_hold_scenario();
std::unique_ptr<Scenario> make_page_cache_thrash_scenario();
std::unique_ptr<Scenario> make_memory_high_scenario();
std::unique_ptr<Scenario> make_shmem_fill_scenario();
std::unique_ptr<Scenario> make_pipe_fill_scenario();
std::unique_ptr<Scenario> make_dying_competition_scenario();

}  // namespace oomlab::repro
