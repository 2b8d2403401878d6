// The scenario catalogue in `oomlab-repro list` order: the seed's pattern
// first, then the patterns that still stall current kernels (README.md in this
// directory has what each one did on the kernels we measured).
#include "catalogue.hpp"

namespace oomlab::repro {

std::vector<std::unique_ptr<Scenario>> all_scenarios() {
  std::vector<std::unique_ptr<Scenario>> list;
  list.push_back(make_mmap_sem_scenario());
  list.push_back(make_mmap_lock_hold_scenario());
  list.push_back(make_page_cache_thrash_scenario());
  list.push_back(make_memory_high_scenario());
  list.push_back(make_shmem_fill_scenario());
  list.push_back(make_pipe_fill_scenario());
  list.push_back(make_dying_competition_scenario());
  return list;
}

}  // namespace oomlab::repro
