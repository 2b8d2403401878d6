// The table of live groups, readable from a signal handler: fixed slots with
// an atomic state, paths in fixed buffers, no locks.
#include <atomic>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <unistd.h>

#include "oomlab/cgroups/cleanup.hpp"
#include "registry.hpp"

namespace oomlab::cgroups {
namespace detail {
namespace {

enum SlotState : int { kFree = 0, kBusy = 1, kLive = 2 };

struct Slot {
  std::atomic<int> state{kFree};
  pid_t owner = 0;  // a forked child (the workload) must never tear down its own group
  int version = 0;
  char memory[256];
  char unified[256];
  char freezer[256];
};

Slot g_slots[32];

void copy(char (&dst)[256], const std::string& src) {
  std::size_t n = src.size() < sizeof dst - 1 ? src.size() : sizeof dst - 1;
  memcpy(dst, src.data(), n);
  dst[n] = '\0';
}

}  // namespace

int registry_add(const GroupPaths& g) {
  guardian_notify_add(g);
  for (int i = 0; i < static_cast<int>(std::size(g_slots)); ++i) {
    int expected = kFree;
    if (!g_slots[i].state.compare_exchange_strong(expected, kBusy)) continue;
    Slot& s = g_slots[i];
    s.owner = getpid();
    s.version = g.version;
    copy(s.memory, g.memory);
    copy(s.unified, g.unified_twin);
    copy(s.freezer, g.freezer_twin);
    s.state.store(kLive);
    return i;
  }
  return -1;
}

void registry_remove(int slot) {
  if (slot < 0 || slot >= static_cast<int>(std::size(g_slots))) return;
  guardian_notify_remove(g_slots[slot].memory);
  g_slots[slot].state.store(kFree);
}

}  // namespace detail

void emergency_cleanup() noexcept {
  using namespace detail;
  const pid_t self = getpid();
  for (auto& s : g_slots) {
    if (s.owner != self) continue;
    int expected = kLive;
    if (!s.state.compare_exchange_strong(expected, kBusy)) continue;
    if (force_remove(s.memory, s.unified, s.freezer, s.version, 3000)) {
      s.state.store(kFree);
    } else {
      s.state.store(kLive);
    }
  }
}

namespace {

void on_fatal_signal(int sig) {
  emergency_cleanup();
  signal(sig, SIG_DFL);
  raise(sig);
}

std::terminate_handler g_previous_terminate = nullptr;

void on_terminate() {
  emergency_cleanup();
  if (g_previous_terminate) g_previous_terminate();
  std::abort();
}

}  // namespace

void install_crash_cleanup() {
  static std::atomic<bool> installed{false};
  if (installed.exchange(true)) return;
  for (int sig : {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT}) {
    struct sigaction sa{};
    sa.sa_handler = on_fatal_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESETHAND | SA_NODEFER;
    sigaction(sig, &sa, nullptr);
  }
  g_previous_terminate = std::set_terminate(on_terminate);
  std::atexit([] { emergency_cleanup(); });
}

}  // namespace oomlab::cgroups
