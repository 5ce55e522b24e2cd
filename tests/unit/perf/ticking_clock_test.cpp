#include "perf/ticking_clock.hpp"

#include <gtest/gtest.h>

#include <chrono>

#include "eventually.hpp"
#include "lumen/core/clock.hpp"

namespace lumen::perf::detail {
namespace {

using lumen::testing::eventually;

TEST(TickingClock, MovesWithoutReadersAndNeverGoesBack) {
  const std::uint64_t first = ticking_monotonic_ns();
  std::uint64_t previous = first;
  // Only the ticker can move it: reading it does not.
  EXPECT_TRUE(eventually(
      [&] {
        const std::uint64_t now = ticking_monotonic_ns();
        EXPECT_GE(now, previous);
        previous = now;
        return now >= first + 100'000'000ULL;
      },
      std::chrono::seconds(5)));
}

TEST(TickingClock, LagsTheMonotonicClockByAboutATick) {
  const auto tick = static_cast<std::uint64_t>(std::chrono::nanoseconds(kClockTick).count());
  // A loaded machine (sanitizers, parallel tests) can delay one wake-up; an idle moment cannot.
  EXPECT_TRUE(eventually(
      [&] {
        const std::uint64_t ticking = ticking_monotonic_ns();
        const std::uint64_t real = monotonic_ns();
        return real >= ticking && real - ticking <= 2 * tick;
      },
      std::chrono::seconds(5)));
}

}  // namespace
}  // namespace lumen::perf::detail
