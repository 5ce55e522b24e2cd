// A stress run for the lock-free queues: producers push numbered items, consumers pop them, and
// the run checks that every item arrived exactly once and, within one lane (a queue, or a shard
// of one), in the order its producer pushed it.
//
//   lumen::testing::run_queue_stress({.producers = 4, .consumers = 3, .per_producer = 50'000},
//       [&](std::uint64_t item) { return queue.try_push(item); },
//       [&](std::vector<lumen::testing::Popped>& out) { ... append what was popped ... });
#pragma once

#include <gtest/gtest.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <thread>
#include <vector>

namespace lumen::testing {

struct QueueStressOptions {
  int producers = 4;
  int consumers = 2;
  std::uint32_t per_producer = 10'000;
  std::size_t lanes = 1;  // the lanes a consumer can report (Popped::lane < lanes)
};

struct Popped {
  std::size_t lane;
  std::uint64_t item;  // (producer << 32) | sequence
};

// `push(item)` returns false when the queue is full (the producer yields and retries);
// `pop_some(out)` appends what it popped and returns whether it popped anything.
template <typename Push, typename PopSome>
void run_queue_stress(const QueueStressOptions& o, Push push, PopSome pop_some) {
  const std::uint64_t total = static_cast<std::uint64_t>(o.producers) * o.per_producer;
  std::atomic<std::uint64_t> consumed{0};
  std::atomic<bool> start{false};
  std::vector<std::vector<Popped>> received(static_cast<std::size_t>(o.consumers));

  std::vector<std::thread> threads;
  for (int p = 0; p < o.producers; ++p) {
    threads.emplace_back([&, p] {
      while (!start.load(std::memory_order_acquire)) std::this_thread::yield();
      for (std::uint32_t i = 0; i < o.per_producer; ++i) {
        const std::uint64_t item = (static_cast<std::uint64_t>(p) << 32) | i;
        while (!push(item)) std::this_thread::yield();
      }
    });
  }
  for (int c = 0; c < o.consumers; ++c) {
    threads.emplace_back([&, c] {
      auto& mine = received[static_cast<std::size_t>(c)];
      while (!start.load(std::memory_order_acquire)) std::this_thread::yield();
      while (consumed.load(std::memory_order_relaxed) < total) {
        const std::size_t before = mine.size();
        if (pop_some(mine)) {
          consumed.fetch_add(mine.size() - before, std::memory_order_relaxed);
        } else {
          std::this_thread::yield();
        }
      }
    });
  }
  start.store(true, std::memory_order_release);
  for (auto& t : threads) t.join();

  constexpr std::uint32_t kNone = 0xffffffffu;
  std::vector<std::vector<bool>> seen(static_cast<std::size_t>(o.producers),
                                      std::vector<bool>(o.per_producer, false));
  std::uint64_t duplicates = 0;
  std::uint64_t out_of_order = 0;
  std::uint64_t count = 0;
  for (const auto& mine : received) {
    std::vector<std::vector<std::uint32_t>> last(
        o.lanes, std::vector<std::uint32_t>(static_cast<std::size_t>(o.producers), kNone));
    for (const auto& [lane, item] : mine) {
      const auto p = static_cast<std::size_t>(item >> 32);
      const auto i = static_cast<std::uint32_t>(item & 0xffffffffu);
      ASSERT_LT(lane, o.lanes);
      ASSERT_LT(p, seen.size());
      ASSERT_LT(i, o.per_producer);
      if (seen[p][i]) ++duplicates;
      seen[p][i] = true;
      if (last[lane][p] != kNone && i <= last[lane][p]) ++out_of_order;
      last[lane][p] = i;
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
}

}  // namespace lumen::testing
