// Time: the seam through which everything that reads the time or waits for it goes, in the spirit
// of LevelDB's Env and Abseil's Clock. Spans take wall-clock start and end times (Unix epoch
// nanoseconds); durations and deadlines use the monotonic clock, as `Clock::TimePoint`. Code that
// waits asks its clock to wait (sleep_until, wait_until), so a test that hands it a `ManualClock`
// decides when time passes and asserts exact outcomes without sleeping.
//
//   const lumen::Clock& clock = lumen::SystemClock::instance();
//   std::uint64_t start = clock.wall_ns();
//   std::unique_lock lock(mu);
//   bool in_time = clock.wait_until(lock, cv, clock.now() + std::chrono::seconds(1),
//                                   [&] { return done; });  // false: the deadline came first
//
//   lumen::ManualClock fake;  // in a test, handed to a component as `.clock = &fake`
//   std::thread sleeper([&] { fake.sleep_until(fake.now() + std::chrono::milliseconds(5)); });
//   fake.await_waiters(1);                       // the other thread waits on the clock now
//   fake.advance(std::chrono::milliseconds(5));  // wakes every waiter whose deadline has come
//   sleeper.join();
//
// Thread safety: every member of every clock may be called from any thread. A clock must outlive
// everything that was given it.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <ctime>
#include <mutex>
#include <vector>

#include "lumen/core/internal/thread_annotations.hpp"
#include "lumen/core/internal/tsc_clock.hpp"

namespace lumen {

// Nanoseconds since the Unix epoch, from CLOCK_REALTIME (the vDSO makes this a few ns). Spans and
// other timestamps read SystemClock::wall_ns, which may come from the TSC instead.
inline std::uint64_t wall_clock_ns() noexcept {
  timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<std::uint64_t>(ts.tv_sec) * 1'000'000'000ULL +
         static_cast<std::uint64_t>(ts.tv_nsec);
}

// Nanoseconds from CLOCK_MONOTONIC: for durations and deadlines, never for timestamps.
inline std::uint64_t monotonic_ns() noexcept {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::uint64_t>(ts.tv_sec) * 1'000'000'000ULL +
         static_cast<std::uint64_t>(ts.tv_nsec);
}

class Clock {
 public:
  // A point on the monotonic clock. It is steady_clock's type (steady_clock reads CLOCK_MONOTONIC
  // too), so deadlines pass unchanged to APIs that take a steady_clock::time_point.
  using TimePoint = std::chrono::steady_clock::time_point;

  virtual ~Clock() = default;
  virtual std::uint64_t wall_ns() const noexcept = 0;
  virtual std::uint64_t monotonic_ns() const noexcept = 0;

  TimePoint now() const noexcept { return TimePoint(std::chrono::nanoseconds(monotonic_ns())); }

  // Returns at `deadline` (at once if it has passed).
  virtual void sleep_until(TimePoint deadline) const = 0;

  // std::condition_variable::wait_until with a predicate, on this clock: waits on `cv` (whose
  // notifier holds the mutex of `lock`) until `ready()` holds or `deadline` comes, and returns
  // ready(). Like the condition variable, it releases the lock while it waits.
  template <typename Predicate>
  [[nodiscard]] bool wait_until(std::unique_lock<std::mutex>& lock, std::condition_variable& cv,
                                TimePoint deadline, Predicate ready) const {
    // Unchecked: the predicate runs with the caller's lock held, which the thread-safety analysis
    // cannot follow through the type erasure; the predicate itself is checked where it is written.
    return wait_until_impl(
        lock, cv, deadline,
        [](void* p) LUMEN_NO_THREAD_SAFETY_ANALYSIS {
          return static_cast<bool>((*static_cast<Predicate*>(p))());
        },
        &ready);
  }

 protected:
  // The type-erased wait behind wait_until: `ready(context)` is the caller's predicate.
  virtual bool wait_until_impl(std::unique_lock<std::mutex>& lock, std::condition_variable& cv,
                               TimePoint deadline, bool (*ready)(void*), void* context) const = 0;
};

// The machine's clocks; the default everywhere a clock is optional. Timestamps (wall_ns) come from
// the TSC where it is invariant and agrees with CLOCK_REALTIME (a few ns per read instead of a
// clock_gettime; lumen/core/internal/tsc_clock.hpp), otherwise from clock_gettime, and always
// from clock_gettime with LUMEN_CLOCK=system. monotonic_ns stays on CLOCK_MONOTONIC itself, the
// clock that sleep_until and wait_until wait on, so a deadline read from it is never a few
// nanoseconds early by the waiting clock.
class SystemClock final : public Clock {
 public:
  static const SystemClock& instance() noexcept;
  std::uint64_t wall_ns() const noexcept override { return detail::tsc_wall_ns(); }
  std::uint64_t monotonic_ns() const noexcept override { return lumen::monotonic_ns(); }
  void sleep_until(TimePoint deadline) const override;

 protected:
  bool wait_until_impl(std::unique_lock<std::mutex>& lock, std::condition_variable& cv,
                       TimePoint deadline, bool (*ready)(void*), void* context) const override;
};

// A component's `clock` option: a null one means the machine's clock.
inline const Clock& clock_or_system(const Clock* clock) noexcept {
  return clock != nullptr ? *clock : SystemClock::instance();
}

// A clock that moves only when told to, for tests (lumen's own and its users'). Both readings
// advance together. advance() wakes every sleep_until and wait_until whose deadline has come;
// a wait_until whose predicate turns true is woken by its condition variable as usual.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(std::uint64_t wall_start_ns = 1'700'000'000'000'000'000ULL) noexcept
      : wall_(wall_start_ns) {}
  ManualClock(const ManualClock&) = delete;
  ManualClock& operator=(const ManualClock&) = delete;

  std::uint64_t wall_ns() const noexcept override { return wall_.load(std::memory_order_relaxed); }
  std::uint64_t monotonic_ns() const noexcept override {
    return mono_.load(std::memory_order_relaxed);
  }
  void sleep_until(TimePoint deadline) const override;

  // Moves both readings forward by `d`, then wakes the waiters whose deadline has come (they have
  // been notified, not necessarily run, when this returns).
  void advance(std::chrono::nanoseconds d);

  // Blocks until at least `count` threads wait on this clock (in sleep_until or wait_until) for a
  // moment still to come, so a test advances only once the code under test is waiting. False if
  // that took longer than `patience` of real time.
  [[nodiscard]] bool await_waiters(
      std::size_t count, std::chrono::nanoseconds patience = std::chrono::seconds(10)) const;
  // Threads waiting on this clock now for a moment still to come.
  [[nodiscard]] std::size_t waiters() const;

 protected:
  bool wait_until_impl(std::unique_lock<std::mutex>& lock, std::condition_variable& cv,
                       TimePoint deadline, bool (*ready)(void*), void* context) const override;

 private:
  struct Waiter {
    std::mutex* mutex;
    std::condition_variable* cv;
    TimePoint deadline;
    int notifications_in_flight = 0;  // advance() is about to lock `mutex`: stay registered
  };

  std::size_t pending_waiters() const;  // requires mu_

  std::atomic<std::uint64_t> wall_;
  std::atomic<std::uint64_t> mono_{1'000'000'000ULL};
  mutable std::mutex mu_;
  mutable std::condition_variable changed_;  // a waiter came or went, or a notification finished
  mutable std::vector<Waiter*> waiters_;     // guarded by mu_; one per waiting thread
};

}  // namespace lumen
