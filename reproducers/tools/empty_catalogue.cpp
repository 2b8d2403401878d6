// Used only when reproducers/scenarios/catalogue.cpp does not exist yet.
#include "oomlab/repro/scenario.hpp"

namespace oomlab::repro {
std::vector<std::unique_ptr<Scenario>> all_scenarios() { return {}; }
}  // namespace oomlab::repro
