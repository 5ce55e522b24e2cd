#include "core/per_cpu_queue.hpp"

#include <gtest/gtest.h>
#include <sched.h>

#include <set>
#include <thread>

#include "core/current_cpu.hpp"
#include "cpu_pinning.hpp"

namespace lumen {
namespace {

using testing::PinnedToCpu;

TEST(CurrentCpu, AgreesWithTheKernel) {
  PinnedToCpu pin(PinnedToCpu::kCurrent);
  ASSERT_TRUE(pin.pinned());
  EXPECT_EQ(current_cpu(), static_cast<std::size_t>(sched_getcpu()));
}

TEST(PerCpuQueue, SplitsTheCapacityOverItsShards) {
  PerCpuQueue<int> queue(1001, 4);
  EXPECT_EQ(queue.capacity(), 1001u);
  EXPECT_EQ(queue.shard_count(), 4u);
  EXPECT_EQ(queue.shard_capacity(), 250u);  // 251, 250, 250, 250
  // Never more shards than items, and never none.
  EXPECT_EQ(PerCpuQueue<int>(3, 8).shard_count(), 3u);
  EXPECT_EQ(PerCpuQueue<int>(0, 0).shard_count(), 1u);
}

TEST(PerCpuQueue, DefaultShardsFollowTheCpusButStayLargeEnough) {
  const std::size_t cpus = std::max(1U, std::thread::hardware_concurrency());
  EXPECT_EQ(PerCpuQueue<int>::default_shards(1000), std::min<std::size_t>(cpus, 1000 / 128));
  EXPECT_EQ(PerCpuQueue<int>::default_shards(100), 1u);
}

// One producer can fill the whole capacity: a full home shard spills into the others, and the
// queue refuses a push only when every shard is full.
TEST(PerCpuQueue, OneProducerFillsEveryShardBeforeAPushFails) {
  PerCpuQueue<int> queue(10, 3);
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(queue.try_push(i)) << i;
  EXPECT_FALSE(queue.try_push(10));
  EXPECT_EQ(queue.size_approx(), 10u);
  EXPECT_EQ(queue.push_count(), 10u);
  std::set<int> popped;
  for (std::size_t s = 0; s < queue.shard_count(); ++s) {
    int v = -1;
    while (queue.try_pop(s, v)) EXPECT_TRUE(popped.insert(v).second) << v;
  }
  EXPECT_EQ(popped.size(), 10u);
  EXPECT_EQ(queue.size_approx(), 0u);
}

TEST(PerCpuQueue, PushesGoToTheShardOfTheCallersCpu) {
  PinnedToCpu pin(PinnedToCpu::kCurrent);
  ASSERT_TRUE(pin.pinned());
  PerCpuQueue<int> queue(8, 2);
  const std::size_t home = current_cpu() % 2;
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(queue.try_push(i));
  EXPECT_EQ(queue.size_approx(home), 3u);
  EXPECT_EQ(queue.size_approx(1 - home), 0u);
}

// Once the home shard is full, pushes go elsewhere; once the consumer pops from it, they come back.
TEST(PerCpuQueue, AFullHomeShardSpillsUntilTheConsumerMakesRoom) {
  PinnedToCpu pin(PinnedToCpu::kCurrent);
  ASSERT_TRUE(pin.pinned());
  PerCpuQueue<int> queue(8, 2);
  const std::size_t home = current_cpu() % 2;
  const std::size_t other = 1 - home;
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(queue.try_push(i));
  ASSERT_TRUE(queue.try_push(4));
  ASSERT_TRUE(queue.try_push(5));
  EXPECT_EQ(queue.size_approx(home), 4u);
  EXPECT_EQ(queue.size_approx(other), 2u);
  int v = -1;
  ASSERT_TRUE(queue.try_pop(home, v));
  EXPECT_EQ(v, 0);  // each shard is FIFO
  ASSERT_TRUE(queue.try_push(6));
  EXPECT_EQ(queue.size_approx(home), 4u) << "the push after the pop did not go home";
  EXPECT_EQ(queue.size_approx(other), 2u);
}

TEST(PerCpuQueue, ResetEmptiesEveryShard) {
  PerCpuQueue<int> queue(6, 2);
  for (int i = 0; i < 6; ++i) ASSERT_TRUE(queue.try_push(i));
  queue.reset();
  EXPECT_EQ(queue.size_approx(), 0u);
  EXPECT_EQ(queue.push_count(), 0u);
  for (int i = 0; i < 6; ++i) EXPECT_TRUE(queue.try_push(i));
}

}  // namespace
}  // namespace lumen
