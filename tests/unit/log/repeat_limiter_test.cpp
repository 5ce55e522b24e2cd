#include "log/repeat_limiter.hpp"

#include <gtest/gtest.h>

#include <string>

namespace lumen::log::detail {
namespace {

constexpr std::uint64_t kMs = 1'000'000ULL;

TEST(RepeatLimiter, CountsPerLevelAndMessageAndReportsTheSuppressedOnceTheWindowEnds) {
  RepeatLimiter limiter(2, std::chrono::milliseconds(100));
  EXPECT_TRUE(limiter.check(Level::kError, "down", 0).allow);
  EXPECT_TRUE(limiter.check(Level::kError, "down", 1 * kMs).allow);
  EXPECT_FALSE(limiter.check(Level::kError, "down", 2 * kMs).allow);
  EXPECT_FALSE(limiter.check(Level::kError, "down", 3 * kMs).allow);
  EXPECT_TRUE(limiter.check(Level::kWarn, "down", 4 * kMs).allow);  // another level
  EXPECT_TRUE(limiter.check(Level::kError, "up", 5 * kMs).allow);   // another message
  const RepeatLimiter::Verdict next = limiter.check(Level::kError, "down", 100 * kMs);
  EXPECT_TRUE(next.allow);
  EXPECT_EQ(next.suppressed_in_last_window, 2U);
  EXPECT_EQ(limiter.check(Level::kError, "down", 200 * kMs).suppressed_in_last_window, 0U);
}

TEST(RepeatLimiter, AStreamOfUniqueMessagesCannotGrowTheTableWithoutBound) {
  RepeatLimiter limiter(1, std::chrono::milliseconds(1000));
  for (std::size_t i = 0; i <= RepeatLimiter::kMaxMessages; ++i) {
    ASSERT_TRUE(limiter.check(Level::kInfo, "m" + std::to_string(i), 0).allow);
  }
  EXPECT_FALSE(
      limiter.check(Level::kInfo, "m0", 0).allow);  // over the bound: the table starts over
  EXPECT_TRUE(limiter.check(Level::kInfo, "m0", 0).allow);
}

}  // namespace
}  // namespace lumen::log::detail
