#include <gtest/gtest.h>

#include <atomic>
#include <cstdint>
#include <thread>
#include <vector>

#include "core/per_cpu_queue.hpp"
#include "queue_stress.hpp"

namespace lumen {
namespace {

using testing::Popped;

// Consumers sweep the shards in turn, as the batch span processor's worker does.
void run_sharded(std::size_t capacity, std::size_t shards, int producers, int consumers,
                 std::uint32_t per_producer) {
  PerCpuQueue<std::uint64_t> queue(capacity, shards);
  testing::run_queue_stress(
      {.producers = producers,
       .consumers = consumers,
       .per_producer = per_producer,
       .lanes = queue.shard_count()},
      [&](std::uint64_t item) { return queue.try_push(item); },
      [&](std::vector<Popped>& out) {
        const std::size_t before = out.size();
        for (std::size_t s = 0; s < queue.shard_count(); ++s) {
          std::uint64_t item = 0;
          while (queue.try_pop(s, item)) out.push_back({s, item});
        }
        return out.size() > before;
      });
  EXPECT_EQ(queue.size_approx(), 0u) << "an item was left in the queue";
}

TEST(PerCpuQueueStress, EveryItemIsReceivedExactlyOnceWithManyProducersAndConsumers) {
  run_sharded(/*capacity=*/1000, /*shards=*/2, /*producers=*/4, /*consumers=*/2,
              /*per_producer=*/50'000);
}

// Shards of a few cells fill all the time: pushes spill, shards are marked full and cleared again
// while producers race the consumers.
TEST(PerCpuQueueStress, TinyShardsThatSpillConstantlyLoseNothing) {
  run_sharded(/*capacity=*/9, /*shards=*/3, /*producers=*/3, /*consumers=*/2,
              /*per_producer=*/20'000);
}

// Without a consumer, producers racing to fill the queue all succeed until it holds its capacity:
// a full shard sends them to another, never to a drop.
TEST(PerCpuQueueStress, ConcurrentProducersFillTheWholeCapacity) {
  constexpr int kProducers = 4;
  constexpr std::size_t kPerProducer = 250;
  PerCpuQueue<std::size_t> queue(kProducers * kPerProducer, 2);
  std::atomic<std::size_t> refused{0};
  std::atomic<bool> start{false};
  std::vector<std::thread> threads;
  for (int p = 0; p < kProducers; ++p) {
    threads.emplace_back([&] {
      while (!start.load(std::memory_order_acquire)) std::this_thread::yield();
      for (std::size_t i = 0; i < kPerProducer; ++i) {
        if (!queue.try_push(i)) refused.fetch_add(1);
      }
    });
  }
  start.store(true, std::memory_order_release);
  for (auto& t : threads) t.join();
  EXPECT_EQ(refused.load(), 0u);
  EXPECT_EQ(queue.size_approx(), queue.capacity());
  EXPECT_FALSE(queue.try_push(0));
}

}  // namespace
}  // namespace lumen
