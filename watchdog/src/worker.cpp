#include "oomlab/watchdog/worker.hpp"

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

namespace oomlab::watchdog {

struct Worker::State {
  std::mutex mu;
  std::condition_variable cv;
  std::function<void()> job, then;
  bool running = false, quit = false, exited = false;
  std::thread thread;

  static void loop(std::shared_ptr<State> s) {
    std::unique_lock lock(s->mu);
    for (;;) {
      s->cv.wait(lock, [&] { return s->quit || s->job; });
      if (s->quit) break;
      auto job = std::move(s->job);
      auto then = std::move(s->then);
      s->job = nullptr;
      s->then = nullptr;
      s->running = true;
      lock.unlock();
      job();
      lock.lock();
      s->running = false;
      if (then) {
        lock.unlock();
        then();
        lock.lock();
      }
    }
    s->exited = true;
    s->cv.notify_all();
  }
};

Worker::Worker() : state_(std::make_shared<State>()) {
  state_->thread = std::thread(&State::loop, state_);
}

Worker::~Worker() {
  std::unique_lock lock(state_->mu);
  state_->quit = true;
  state_->cv.notify_all();
  bool done = state_->cv.wait_for(lock, std::chrono::seconds(2), [this] { return state_->exited; });
  lock.unlock();
  if (done) state_->thread.join();
  else state_->thread.detach();  // stuck in the kernel: process exit ends it
}

bool Worker::submit(std::function<void()> job, std::function<void()> then) {
  std::lock_guard lock(state_->mu);
  if (state_->running || state_->job) return false;
  state_->job = std::move(job);
  state_->then = std::move(then);
  state_->cv.notify_all();
  return true;
}

bool Worker::busy() const {
  std::lock_guard lock(state_->mu);
  return state_->running || state_->job;
}

}  // namespace oomlab::watchdog
