#include "worker_pool.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <future>

#include "job_store.hpp"

namespace beautifyai {
namespace {

TEST(WorkerPool, RefusesJobsPastTheQueueCapacityAndCountsThem) {
  WorkerPool pool(1, 2);
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  std::atomic<int> ran{0};
  std::promise<void> started;
  ASSERT_TRUE(pool.try_submit([&] { started.set_value(); released.wait(); ++ran; }));
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

TEST(JobStore, TracksAJobAndForgetsTheOldestPastItsCapacity) {
  JobStore store(2);
  const std::string a = store.create();
  EXPECT_EQ(a.size(), 32u);
  EXPECT_EQ(store.find(a)->status, JobStatus::kQueued);
  store.set_running(a);
  EXPECT_EQ(store.find(a)->status, JobStatus::kRunning);
  store.finish(a, 200, "{}");
  EXPECT_EQ(store.find(a)->status, JobStatus::kDone);
  const std::string b = store.create();
  store.finish(b, 503, "{}");
  EXPECT_EQ(store.find(b)->status, JobStatus::kFailed);
  const std::string c = store.create();
  EXPECT_FALSE(store.find(a).has_value());
  EXPECT_TRUE(store.find(c).has_value());
  EXPECT_EQ(store.evicted(), 1u);
}

}  // namespace
}  // namespace beautifyai
