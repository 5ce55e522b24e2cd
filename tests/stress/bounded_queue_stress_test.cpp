#include <gtest/gtest.h>

#include <atomic>
#include <cstdint>
#include <thread>
#include <vector>

#include "lumen/core/bounded_queue.hpp"

namespace lumen {
namespace {

// Items are (producer << 32) | sequence, so that every one is unique and its origin is known.
void run_mpmc(std::size_t capacity, int producers, int consumers, std::uint32_t per_producer) {
  BoundedQueue<std::uint64_t> queue(capacity);
  const std::uint64_t total = static_cast<std::uint64_t>(producers) * per_producer;
  std::atomic<std::uint64_t> consumed{0};
  std::atomic<bool> start{false};
  std::vector<std::vector<std::uint64_t>> received(static_cast<std::size_t>(consumers));

  std::vector<std::thread> threads;
  for (int p = 0; p < producers; ++p) {
    threads.emplace_back([&, p] {
      while (!start.load(std::memory_order_acquire)) std::this_thread::yield();
      for (std::uint32_t i = 0; i < per_producer; ++i) {
        const std::uint64_t item = (static_cast<std::uint64_t>(p) << 32) | i;
        while (!queue.try_push(item)) std::this_thread::yield();
      }
    });
  }
  for (int c = 0; c < consumers; ++c) {
    threads.emplace_back([&, c] {
      auto& mine = received[static_cast<std::size_t>(c)];
      while (!start.load(std::memory_order_acquire)) std::this_thread::yield();
      while (consumed.load(std::memory_order_relaxed) < total) {
        std::uint64_t item = 0;
        if (queue.try_pop(item)) {
          mine.push_back(item);
          consumed.fetch_add(1, std::memory_order_relaxed);
        } else {
          std::this_thread::yield();
        }
      }
    });
  }
  start.store(true, std::memory_order_release);
  for (auto& t : threads) t.join();

  std::vector<std::vector<bool>> seen(static_cast<std::size_t>(producers),
                                      std::vector<bool>(per_producer, false));
  std::uint64_t duplicates = 0;
  std::uint64_t out_of_order = 0;
  std::uint64_t count = 0;
  for (const auto& mine : received) {
    // One consumer sees each producer's items in the order they were pushed (FIFO).
    std::vector<std::int64_t> last(static_cast<std::size_t>(producers), -1);
    for (const std::uint64_t item : mine) {
      const auto p = static_cast<std::size_t>(item >> 32);
      const auto i = static_cast<std::uint32_t>(item & 0xffffffffu);
      ASSERT_LT(p, seen.size());
      ASSERT_LT(i, per_producer);
      if (seen[p][i]) ++duplicates;
      seen[p][i] = true;
      if (static_cast<std::int64_t>(i) <= last[p]) ++out_of_order;
      last[p] = i;
      ++count;
    }
  }
  EXPECT_EQ(count, total);
  EXPECT_EQ(duplicates, 0u);
  EXPECT_EQ(out_of_order, 0u);
  std::uint64_t missing = 0;
  for (const auto& per : seen) {
    for (const bool s : per) missing += s ? 0 : 1;
  }
  EXPECT_EQ(missing, 0u);
  std::uint64_t leftover = 0;
  EXPECT_FALSE(queue.try_pop(leftover)) << "an item was left in the queue";
}

TEST(BoundedQueueStress, EveryItemIsReceivedExactlyOnceWithManyProducersAndConsumers) {
  run_mpmc(/*capacity=*/1000, /*producers=*/4, /*consumers=*/3, /*per_producer=*/50'000);
}

TEST(BoundedQueueStress, SmallOddCapacityUnderHeavyContentionLosesNothing) {
  run_mpmc(/*capacity=*/7, /*producers=*/3, /*consumers=*/3, /*per_producer=*/20'000);
}

}  // namespace
}  // namespace lumen
