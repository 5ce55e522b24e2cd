#include "core/bounded_queue.hpp"

#include <gtest/gtest.h>

#include <memory>

namespace lumen {
namespace {

TEST(BoundedQueue, PopsInFifoOrder) {
  BoundedQueue<int> q(8);
  for (int i = 0; i < 8; ++i) ASSERT_TRUE(q.try_push(i));
  for (int i = 0; i < 8; ++i) {
    int v = -1;
    ASSERT_TRUE(q.try_pop(v));
    EXPECT_EQ(v, i);
  }
}

TEST(BoundedQueue, PopFromEmptyFails) {
  BoundedQueue<int> q(4);
  int v = 7;
  EXPECT_FALSE(q.try_pop(v));
  EXPECT_EQ(v, 7);
}

TEST(BoundedQueue, PushToFullFailsUntilSomethingIsPopped) {
  BoundedQueue<int> q(4);
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(q.try_push(i));
  EXPECT_FALSE(q.try_push(99));
  EXPECT_EQ(q.size_approx(), 4u);
  int v = -1;
  ASSERT_TRUE(q.try_pop(v));
  EXPECT_EQ(v, 0);
  EXPECT_TRUE(q.try_push(4));
  EXPECT_FALSE(q.try_push(5));
  for (int expected = 1; expected <= 4; ++expected) {
    ASSERT_TRUE(q.try_pop(v));
    EXPECT_EQ(v, expected);
  }
}

// The ring index wraps many times; a capacity that is not a power of two catches arithmetic that
// assumes one.
TEST(BoundedQueue, CapacityNotAPowerOfTwoStaysExactAcrossWrapArounds) {
  for (const std::size_t capacity :
       {std::size_t{1}, std::size_t{3}, std::size_t{5}, std::size_t{1000}}) {
    SCOPED_TRACE(capacity);
    BoundedQueue<std::size_t> q(capacity);
    EXPECT_EQ(q.capacity(), capacity);
    std::size_t next_in = 0;
    std::size_t next_out = 0;
    for (int round = 0; round < 25; ++round) {
      std::size_t pushed = 0;
      while (q.try_push(next_in)) {
        ++next_in;
        ++pushed;
      }
      ASSERT_EQ(next_in - next_out, capacity) << "full before capacity was reached";
      // Drain part of it so that head and tail move to different offsets each round.
      const std::size_t drain = 1 + static_cast<std::size_t>(round) % capacity;
      for (std::size_t i = 0; i < drain; ++i) {
        std::size_t v = 0;
        ASSERT_TRUE(q.try_pop(v));
        ASSERT_EQ(v, next_out++);
      }
      (void)pushed;
    }
    std::size_t v = 0;
    while (q.try_pop(v)) ASSERT_EQ(v, next_out++);
    EXPECT_EQ(next_out, next_in);
  }
}

TEST(BoundedQueue, ZeroCapacityBecomesOne) {
  BoundedQueue<int> q(0);
  EXPECT_EQ(q.capacity(), 1u);
  EXPECT_TRUE(q.try_push(1));
  EXPECT_FALSE(q.try_push(2));
}

TEST(BoundedQueue, HoldsMoveOnlyValues) {
  BoundedQueue<std::unique_ptr<int>> q(2);
  ASSERT_TRUE(q.try_push(std::make_unique<int>(5)));
  std::unique_ptr<int> out;
  ASSERT_TRUE(q.try_pop(out));
  ASSERT_NE(out, nullptr);
  EXPECT_EQ(*out, 5);
}

TEST(BoundedQueue, ResetEmptiesTheQueue) {
  BoundedQueue<int> q(3);
  ASSERT_TRUE(q.try_push(1));
  ASSERT_TRUE(q.try_push(2));
  q.reset();
  EXPECT_EQ(q.size_approx(), 0u);
  int v = 0;
  EXPECT_FALSE(q.try_pop(v));
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(q.try_push(i));
  EXPECT_FALSE(q.try_push(3));
}

}  // namespace
}  // namespace lumen

TEST(BoundedQueue, PushTellsItsPositionAndCountsOnlySuccessfulPushes) {
  lumen::BoundedQueue<int> queue(2);
  std::size_t position = 99;
  ASSERT_TRUE(queue.try_push(1, position));
  EXPECT_EQ(position, 0U);
  ASSERT_TRUE(queue.try_push(2, position));
  EXPECT_EQ(position, 1U);
  EXPECT_FALSE(queue.try_push(3, position));  // full: not counted, position untouched
  EXPECT_EQ(position, 1U);
  int out = 0;
  ASSERT_TRUE(queue.try_pop(out));
  ASSERT_TRUE(queue.try_push(4, position));
  EXPECT_EQ(position, 2U);
  EXPECT_EQ(queue.push_count(), 3U);
  queue.reset();
  EXPECT_EQ(queue.push_count(), 0U);
}
