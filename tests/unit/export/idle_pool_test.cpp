// The idle half of the libcurl transport's connection pool: its cap and its expiry, on made-up
// handles and times.
#include "export/idle_pool.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <optional>
#include <vector>

namespace lumen::exporters::detail {
namespace {

using namespace std::chrono_literals;
const Clock::TimePoint kStart{std::chrono::hours(1)};

TEST(IdlePool, RefusesAHandleBeyondItsCapacity) {
  IdlePool<int> pool({.capacity = 2, .max_idle = 60s});
  EXPECT_TRUE(pool.put(1, kStart));
  EXPECT_TRUE(pool.put(2, kStart));
  EXPECT_FALSE(pool.put(3, kStart));  // the caller closes it
  EXPECT_EQ(pool.size(), 2u);
  IdlePool<int> none({.capacity = 0, .max_idle = 60s});
  EXPECT_FALSE(none.put(1, kStart));
}

TEST(IdlePool, TakesTheMostRecentlyGivenBackFirst) {
  IdlePool<int> pool({.capacity = 4, .max_idle = 60s});
  ASSERT_TRUE(pool.put(1, kStart));
  ASSERT_TRUE(pool.put(2, kStart + 1s));
  std::vector<int> expired;
  EXPECT_EQ(pool.take(kStart + 2s, expired), std::optional<int>(2));
  EXPECT_EQ(pool.take(kStart + 2s, expired), std::optional<int>(1));
  EXPECT_EQ(pool.take(kStart + 2s, expired), std::nullopt);
  EXPECT_TRUE(expired.empty());
}

TEST(IdlePool, HandsBackTheHandlesIdleLongerThanMaxIdleForClosing) {
  IdlePool<int> pool({.capacity = 4, .max_idle = 60s});
  ASSERT_TRUE(pool.put(1, kStart));
  ASSERT_TRUE(pool.put(2, kStart + 10s));
  ASSERT_TRUE(pool.put(3, kStart + 20s));
  std::vector<int> expired;
  // Exactly max_idle is still fresh; 1 and 2 are past it at +71 s.
  EXPECT_EQ(pool.take(kStart + 60s, expired), std::optional<int>(3));
  EXPECT_TRUE(expired.empty());
  ASSERT_TRUE(pool.put(3, kStart + 60s));
  EXPECT_EQ(pool.take(kStart + 71s, expired), std::optional<int>(3));
  EXPECT_EQ(expired, (std::vector<int>{1, 2}));
  EXPECT_EQ(pool.size(), 0u);
}

TEST(IdlePool, TakeAllEmptiesIt) {
  IdlePool<int> pool({.capacity = 4, .max_idle = 60s});
  ASSERT_TRUE(pool.put(1, kStart));
  ASSERT_TRUE(pool.put(2, kStart));
  EXPECT_EQ(pool.take_all(), (std::vector<int>{1, 2}));
  EXPECT_EQ(pool.size(), 0u);
}

}  // namespace
}  // namespace lumen::exporters::detail
