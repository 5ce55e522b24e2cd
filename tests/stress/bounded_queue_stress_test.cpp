#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "core/bounded_queue.hpp"
#include "queue_stress.hpp"

namespace lumen {
namespace {

using testing::Popped;

void run_mpmc(std::size_t capacity, int producers, int consumers, std::uint32_t per_producer) {
  BoundedQueue<std::uint64_t> queue(capacity);
  testing::run_queue_stress(
      {.producers = producers, .consumers = consumers, .per_producer = per_producer},
      [&](std::uint64_t item) { return queue.try_push(item); },
      [&](std::vector<Popped>& out) {
        std::uint64_t item = 0;
        if (!queue.try_pop(item)) return false;
        out.push_back({0, item});
        return true;
      });
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
