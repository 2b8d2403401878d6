// oomlab-repro: the scenario catalogue (reproducers/scenarios) behind the
// runner's command line (reproducers/src/cli.cpp).
#include "oomlab/repro/runner.hpp"
#include "oomlab/repro/scenario.hpp"

int main(int argc, char** argv) {
  auto catalogue = oomlab::repro::all_scenarios();
  return oomlab::repro::repro_main(argc, argv, catalogue);
}
