// Nap: a short sleep that another thread can cut short. For a worker that stays awake between
// bursts of work instead of waiting to be woken: its producers then publish without a wake, and
// cut the nap short only when the worker must not wait it out (a flush, a queue filling up).
//
// Thread-safety: one thread naps at a time; any thread may cut the nap short. A cut that comes
// while nobody naps ends the next nap at once.
//
//   Nap nap;
//   nap.take(std::chrono::milliseconds(1));   // the worker
//   nap.cut_short();                          // any thread
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <new>

namespace lumen::detail {

class Nap {
 public:
  // Returns after `length` of the machine's time, or sooner when cut short.
  void take(std::chrono::nanoseconds length) {
    std::unique_lock lock(mutex_);
    cv_.wait_for(lock, length, [this] { return cut_; });
    cut_ = false;
  }

  void cut_short() noexcept {
    {
      const std::lock_guard lock(mutex_);
      cut_ = true;
    }
    cv_.notify_one();
  }

  // In a fork child, where the napping thread is gone and may have held the lock.
  void reset_after_fork() noexcept {
    new (&mutex_) std::mutex();
    new (&cv_) std::condition_variable();
    cut_ = false;
  }

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  bool cut_ = false;
};

}  // namespace lumen::detail
