#include "test_scenarios.hpp"

#include <cstdlib>
#include <cstring>
#include <pthread.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "oomlab/common/units.hpp"

namespace oomlab::repro::testing {
namespace {

[[noreturn]] void sleep_forever() {
  for (;;) pause();
}

class TestHog : public Scenario {
 public:
  std::string_view name() const override { return "test-hog"; }
  std::string_view summary() const override { return "test only: allocate past the limit"; }
  std::string_view details() const override { return "Allocates --total in 1 MiB steps and touches it."; }
  std::vector<OptionSpec> options() const override { return {{"total", "0", "bytes to allocate (0: twice the limit)"}}; }
  int run_workload(const ScenarioParams& p) override {
    prctl(PR_SET_NAME, "oomlab-thog", 0, 0, 0);
    std::uint64_t total = parse_size(p.options.at("total")).value_or(0);
    if (total == 0) total = p.limit_bytes ? 2 * p.limit_bytes : 64u << 20;
    for (std::uint64_t done = 0; done < total; done += 1 << 20) {
      void* m = mmap(nullptr, 1 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
      if (m == MAP_FAILED) return 1;
      std::memset(m, 0x5a, 1 << 20);
    }
    sleep_forever();
  }
};

class TestSleep : public Scenario {
 public:
  std::string_view name() const override { return "test-sleep"; }
  std::string_view summary() const override { return "test only: processes and threads that sleep"; }
  std::string_view details() const override { return "Forks --children sleepers (one detached) and --threads threads."; }
  std::vector<OptionSpec> options() const override {
    return {{"children", "3", "sleeping child processes"}, {"threads", "2", "sleeping threads"}};
  }
  int run_workload(const ScenarioParams& p) override {
    prctl(PR_SET_NAME, "oomlab-tsleep", 0, 0, 0);
    int children = std::atoi(p.options.at("children").c_str());
    for (int i = 0; i < children; ++i) {
      if (fork() == 0) {
        if (i == 0 && fork() != 0) _exit(0);  // a grandchild, orphaned at once
        if (i == 0) setsid();
        sleep_forever();
      }
    }
    int threads = std::atoi(p.options.at("threads").c_str());
    for (int i = 0; i < threads; ++i) {
      pthread_t t;
      pthread_create(&t, nullptr, [](void*) -> void* { sleep_forever(); }, nullptr);
    }
    sleep_forever();
  }
};

class TestExit : public Scenario {
 public:
  std::string_view name() const override { return "test-exit"; }
  std::string_view summary() const override { return "test only: exit at once"; }
  std::string_view details() const override { return "Exits with --code."; }
  std::vector<OptionSpec> options() const override { return {{"code", "0", "exit code"}}; }
  int run_workload(const ScenarioParams& p) override { return std::atoi(p.options.at("code").c_str()); }
};

}  // namespace

std::vector<std::unique_ptr<Scenario>> test_catalogue() {
  std::vector<std::unique_ptr<Scenario>> c;
  c.push_back(std::make_unique<TestHog>());
  c.push_back(std::make_unique<TestSleep>());
  c.push_back(std::make_unique<TestExit>());
  return c;
}

}  // namespace oomlab::repro::testing
