// oomlab-repro-testbin: the runner's CLI over the test-only catalogue.
#include "oomlab/repro/runner.hpp"
#include "test_scenarios.hpp"

int main(int argc, char** argv) {
  auto catalogue = oomlab::repro::testing::test_catalogue();
  return oomlab::repro::repro_main(argc, argv, catalogue);
}
