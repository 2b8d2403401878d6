// One background thread running one job at a time. The event loop hands it
// work that may block (a /proc scan, process_mrelease) and learns that a job
// overran when the worker is still busy at the next period: the loop itself
// never waits for it.
#pragma once
#include <functional>
#include <memory>

namespace oomlab::watchdog {

class Worker {
 public:
  Worker();
  // Waits up to 2 s for the current job, then abandons the thread (its state
  // is shared, so a job that returns late touches nothing freed).
  ~Worker();
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  // False (job dropped) when a job is still running. `then` (optional) runs
  // on the worker thread once the worker is free again: post the result to
  // the loop from there, so that the loop's reaction may submit again.
  bool submit(std::function<void()> job, std::function<void()> then = nullptr);
  bool busy() const;

 private:
  struct State;
  std::shared_ptr<State> state_;
};

}  // namespace oomlab::watchdog
