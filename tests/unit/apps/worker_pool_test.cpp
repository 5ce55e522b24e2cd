#include "worker_pool.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <future>

namespace beautifyai {
namespace {

TEST(WorkerPool, RefusesJobsPastTheQueueCapacityAndCountsThem) {
  WorkerPool pool(1, 2);
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  std::atomic<int> ran{0};
  std::promise<void> started;
  ASSERT_TRUE(pool.try_submit([&] {
    started.set_value();
    released.wait();
    ++ran;
  }));
  started.get_future().wait();  // the worker is busy now
  EXPECT_TRUE(pool.try_submit([&] { ++ran; }));
  EXPECT_TRUE(pool.try_submit([&] { ++ran; }));
  EXPECT_FALSE(pool.try_submit([&] { ++ran; }));
  EXPECT_EQ(pool.stats().depth, 2u);
  EXPECT_EQ(pool.stats().rejected, 1u);
  release.set_value();
  pool.stop();
  EXPECT_EQ(ran.load(), 3);  // stop() ran what was queued
  EXPECT_FALSE(pool.try_submit([] {}));
}

}  // namespace
}  // namespace beautifyai
