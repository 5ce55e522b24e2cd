#include "perf/ticking_clock.hpp"

#include <atomic>
#include <thread>

#include "lumen/core/clock.hpp"
#include "lumen/core/fork_safety.hpp"

namespace lumen::perf::detail {
namespace {

std::atomic<std::uint64_t> g_now{0};
// Whether this process has a ticking thread (false before the first read and in a fork child).
std::atomic<bool> g_ticking{false};

class ForgetTickerInChild final : public ForkAware {
 public:
  void after_fork_in_child() noexcept override {
    g_ticking.store(false, std::memory_order_relaxed);
  }
};

void tick() {
  for (;;) {
    std::this_thread::sleep_for(kClockTick);
    g_now.store(monotonic_ns(), std::memory_order_relaxed);
  }
}

// Returns whether a ticker runs (this call's, or another thread's that won the race).
bool start_ticker() noexcept {
  static ForgetTickerInChild hook;
  static const bool registered = (ForkRegistry::add(&hook), true);
  (void)registered;
  bool expected = false;
  if (!g_ticking.compare_exchange_strong(expected, true, std::memory_order_acq_rel)) return true;
  try {
    std::thread(tick).detach();
    return true;
  } catch (...) {
    g_ticking.store(false, std::memory_order_release);
    return false;
  }
}

}  // namespace

std::uint64_t ticking_monotonic_ns() noexcept {
  if (!g_ticking.load(std::memory_order_acquire)) {
    // Stored before the flag is published, so a reader that sees the flag sees a current time.
    const std::uint64_t now = monotonic_ns();
    g_now.store(now, std::memory_order_relaxed);
    if (!start_ticker()) return now;
  }
  return g_now.load(std::memory_order_relaxed);
}

}  // namespace lumen::perf::detail
