#include "lumen/core/clock.hpp"

#include <algorithm>
#include <new>
#include <thread>

namespace lumen {

const SystemClock& SystemClock::instance() noexcept {
  // Never destroyed: a thread still running while the process exits (a user's, or one a worker's
  // owner gave up on) may read it after the statics are gone.
  alignas(SystemClock) static unsigned char storage[sizeof(SystemClock)];
  static const SystemClock* const clock = new (storage) SystemClock();
  return *clock;
}

void SystemClock::sleep_until(TimePoint deadline) const {
  std::this_thread::sleep_until(deadline);
}

bool SystemClock::wait_until_impl(std::unique_lock<std::mutex>& lock, std::condition_variable& cv,
                                  TimePoint deadline, bool (*ready)(void*), void* context) const {
  return cv.wait_until(lock, deadline, [&] { return ready(context); });
}

void ManualClock::sleep_until(TimePoint deadline) const {
  std::mutex mu;
  std::condition_variable cv;
  std::unique_lock lock(mu);
  (void)wait_until(lock, cv, deadline, [] { return false; });
}

// The caller's mutex and mu_ are never both taken by advance(), so a waiter may register while it
// holds its own lock. Lost wake-ups are excluded because advance() publishes the time before it
// looks at the waiters, and locks each due waiter's mutex before notifying it: a waiter either is
// registered in time to be notified, or reads the new time after registering.
bool ManualClock::wait_until_impl(std::unique_lock<std::mutex>& lock, std::condition_variable& cv,
                                  TimePoint deadline, bool (*ready)(void*), void* context) const {
  for (;;) {
    if (ready(context)) return true;
    if (now() >= deadline) return false;
    Waiter self{.mutex = lock.mutex(), .cv = &cv, .deadline = deadline};
    {
      std::lock_guard guard(mu_);
      waiters_.push_back(&self);
      changed_.notify_all();
    }
    bool result = false;
    for (;;) {
      if (ready(context)) {
        result = true;
        break;
      }
      if (now() >= deadline) break;
      cv.wait(lock);
    }
    std::unique_lock guard(mu_);
    if (self.notifications_in_flight == 0) {
      waiters_.erase(std::find(waiters_.begin(), waiters_.end(), &self));
      changed_.notify_all();
      return result;
    }
    // advance() is about to lock the caller's mutex to notify us: let it, then leave, and look at
    // the predicate and the time again since the lock was released meanwhile.
    lock.unlock();
    changed_.wait(guard, [&] { return self.notifications_in_flight == 0; });
    waiters_.erase(std::find(waiters_.begin(), waiters_.end(), &self));
    changed_.notify_all();
    guard.unlock();
    lock.lock();
  }
}

void ManualClock::advance(std::chrono::nanoseconds d) {
  const auto n = static_cast<std::uint64_t>(d.count());
  wall_.fetch_add(n, std::memory_order_relaxed);
  mono_.fetch_add(n, std::memory_order_relaxed);
  std::vector<Waiter*> due;
  {
    std::lock_guard guard(mu_);
    const TimePoint t = now();
    for (Waiter* w : waiters_) {
      if (w->deadline <= t) {
        ++w->notifications_in_flight;
        due.push_back(w);
      }
    }
  }
  for (Waiter* w : due) {
    std::lock_guard waiter_lock(*w->mutex);
    w->cv->notify_all();
  }
  std::lock_guard guard(mu_);
  for (Waiter* w : due) --w->notifications_in_flight;
  changed_.notify_all();
}

bool ManualClock::await_waiters(std::size_t count, std::chrono::nanoseconds patience) const {
  std::unique_lock guard(mu_);
  return changed_.wait_for(guard, patience, [&] { return pending_waiters() >= count; });
}

std::size_t ManualClock::waiters() const {
  std::lock_guard guard(mu_);
  return pending_waiters();
}

// A waiter whose deadline has come was woken by advance() and is leaving, even if its thread has
// not run yet: counting it would let a test advance before the next wait began.
std::size_t ManualClock::pending_waiters() const {
  const TimePoint t = now();
  return static_cast<std::size_t>(std::count_if(waiters_.begin(), waiters_.end(),
                                                [&](const Waiter* w) { return w->deadline > t; }));
}

}  // namespace lumen
