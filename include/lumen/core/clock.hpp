// Time sources. Spans take wall-clock start and end times (Unix epoch nanoseconds); durations and
// deadlines use the monotonic clock. `Clock` is the seam through which tests substitute a manual
// clock; the default `SystemClock` is a process-wide instance.
//
//   const lumen::Clock& clock = lumen::SystemClock::instance();
//   std::uint64_t start = clock.wall_ns();
//   lumen::ManualClock fake{1'700'000'000'000'000'000};  // tests
//   fake.advance(std::chrono::milliseconds(5));
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <ctime>

namespace lumen {

// Nanoseconds since the Unix epoch, from CLOCK_REALTIME (the vDSO makes this a few ns).
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

// Thread-safe: implementations may be read from any thread.
class Clock {
 public:
  virtual ~Clock() = default;
  virtual std::uint64_t wall_ns() const noexcept = 0;
  virtual std::uint64_t monotonic_ns() const noexcept = 0;
};

class SystemClock final : public Clock {
 public:
  static const SystemClock& instance() noexcept;
  std::uint64_t wall_ns() const noexcept override { return wall_clock_ns(); }
  std::uint64_t monotonic_ns() const noexcept override { return lumen::monotonic_ns(); }
};

// A clock that moves only when told to; both readings advance together.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(std::uint64_t wall_start_ns = 1'700'000'000'000'000'000ULL) noexcept
      : wall_(wall_start_ns) {}
  std::uint64_t wall_ns() const noexcept override { return wall_.load(std::memory_order_relaxed); }
  std::uint64_t monotonic_ns() const noexcept override {
    return mono_.load(std::memory_order_relaxed);
  }
  void advance(std::chrono::nanoseconds d) noexcept {
    const auto n = static_cast<std::uint64_t>(d.count());
    wall_.fetch_add(n, std::memory_order_relaxed);
    mono_.fetch_add(n, std::memory_order_relaxed);
  }

 private:
  std::atomic<std::uint64_t> wall_;
  std::atomic<std::uint64_t> mono_{1'000'000'000ULL};
};

}  // namespace lumen
