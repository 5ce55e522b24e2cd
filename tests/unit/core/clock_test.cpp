#include "lumen/core/clock.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <future>
#include <mutex>
#include <thread>

namespace lumen {
namespace {

using namespace std::chrono_literals;

TEST(Clock, HeaderExampleRuns) {
  std::mutex mu;
  std::condition_variable cv;
  bool done = true;
  const lumen::Clock& clock = lumen::SystemClock::instance();
  std::uint64_t start = clock.wall_ns();
  std::unique_lock lock(mu);
  bool in_time = clock.wait_until(lock, cv, clock.now() + std::chrono::seconds(1),
                                  [&] { return done; });  // false: the deadline came first

  lumen::ManualClock fake;  // in a test, handed to a component as `.clock = &fake`
  std::thread sleeper([&] { fake.sleep_until(fake.now() + std::chrono::milliseconds(5)); });
  EXPECT_TRUE(fake.await_waiters(1));          // the other thread waits on the clock now
  fake.advance(std::chrono::milliseconds(5));  // wakes every waiter whose deadline has come
  sleeper.join();

  EXPECT_GT(start, 0u);
  EXPECT_TRUE(in_time);
}

TEST(ManualClock, NowMovesOnlyWhenAdvanced) {
  ManualClock clock;
  const Clock::TimePoint start = clock.now();
  const std::uint64_t wall = clock.wall_ns();
  clock.advance(5ms);
  EXPECT_EQ(clock.now() - start, 5ms);
  EXPECT_EQ(clock.wall_ns() - wall, 5'000'000u);
}

TEST(ManualClock, SleepUntilReturnsWhenTheDeadlineIsReachedAndNotBefore) {
  ManualClock clock;
  const Clock::TimePoint deadline = clock.now() + 10ms;
  auto sleeper = std::async(std::launch::async, [&] {
    clock.sleep_until(deadline);
    return clock.now();
  });
  ASSERT_TRUE(clock.await_waiters(1));
  clock.advance(9ms);
  EXPECT_EQ(clock.waiters(), 1u);  // advance() only wakes waiters whose deadline has come
  clock.advance(1ms);
  EXPECT_EQ(sleeper.get(), deadline);
  EXPECT_EQ(clock.waiters(), 0u);
}

TEST(ManualClock, WaitUntilTimesOutAtTheDeadlineWithThePredicateFalse) {
  ManualClock clock;
  std::mutex mu;
  std::condition_variable cv;
  auto waiter = std::async(std::launch::async, [&] {
    std::unique_lock lock(mu);
    return clock.wait_until(lock, cv, clock.now() + 1s, [] { return false; });
  });
  ASSERT_TRUE(clock.await_waiters(1));
  clock.advance(1s);
  EXPECT_FALSE(waiter.get());
}

TEST(ManualClock, WaitUntilReturnsWhenThePredicateTurnsTrueWithoutTimePassing) {
  ManualClock clock;
  std::mutex mu;
  std::condition_variable cv;
  bool done = false;
  const Clock::TimePoint start = clock.now();
  auto waiter = std::async(std::launch::async, [&] {
    std::unique_lock lock(mu);
    return clock.wait_until(lock, cv, clock.now() + 1s, [&] { return done; });
  });
  ASSERT_TRUE(clock.await_waiters(1));
  {
    std::lock_guard lock(mu);
    done = true;
  }
  cv.notify_all();
  EXPECT_TRUE(waiter.get());
  EXPECT_EQ(clock.now(), start);
}

TEST(ManualClock, AdvanceWakesEveryDueWaiterAndLeavesTheOthers) {
  ManualClock clock;
  const Clock::TimePoint t0 = clock.now();
  auto early = std::async(std::launch::async, [&] { clock.sleep_until(t0 + 1ms); });
  auto also_early = std::async(std::launch::async, [&] { clock.sleep_until(t0 + 2ms); });
  auto late = std::async(std::launch::async, [&] { clock.sleep_until(t0 + 1h); });
  ASSERT_TRUE(clock.await_waiters(3));
  clock.advance(2ms);
  early.get();
  also_early.get();
  EXPECT_EQ(clock.waiters(), 1u);
  clock.advance(1h);
  late.get();
}

TEST(ManualClock, PastDeadlinesReturnAtOnce) {
  ManualClock clock;
  std::mutex mu;
  std::condition_variable cv;
  std::unique_lock lock(mu);
  clock.sleep_until(clock.now());
  EXPECT_FALSE(clock.wait_until(lock, cv, clock.now(), [] { return false; }));
  EXPECT_TRUE(clock.wait_until(lock, cv, clock.now() - 1s, [] { return true; }));
}

TEST(SystemClock, WaitUntilHonoursThePredicateAndThePastDeadline) {
  const Clock& clock = SystemClock::instance();
  std::mutex mu;
  std::condition_variable cv;
  std::unique_lock lock(mu);
  EXPECT_TRUE(clock.wait_until(lock, cv, clock.now() + 1h, [] { return true; }));
  EXPECT_FALSE(clock.wait_until(lock, cv, clock.now(), [] { return false; }));
  const auto before = std::chrono::steady_clock::now();
  EXPECT_LE(before, clock.now());  // the same clock as steady_clock
}

}  // namespace
}  // namespace lumen
