// Races in the batch processor and the micro-batcher: many items and callers at once, failures
// and timeouts mixed in; every answer must reach the right caller. Meant for TSan as well.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <stdexcept>
#include <thread>
#include <vector>

#include "lumen/perf/batch.hpp"
#include "lumen/perf/micro_batcher.hpp"

namespace lumen::perf {
namespace {

using namespace std::chrono_literals;

TEST(BatchStress, ManyItemsWithFailuresAndTimeoutsGetOneOutcomeEachInOrder) {
  std::vector<int> items(600);
  for (int i = 0; i < 600; ++i) items[static_cast<std::size_t>(i)] = i;
  auto release = std::make_shared<std::atomic<bool>>(false);
  auto out = process_batch(items,
                           [release](const int& v) {
                             if (v % 7 == 0) throw std::runtime_error("seven");
                             if (v == 302) {  // held past its timeout, then let go
                               while (!release->load()) std::this_thread::sleep_for(1ms);
                             }
                             return v + 1;
                           },
                           {.batch_size = 64, .concurrency = 8, .timeout = 400ms});
  release->store(true);
  ASSERT_EQ(out.size(), items.size());
  for (int i = 0; i < 600; ++i) {
    const auto& o = out[static_cast<std::size_t>(i)];
    if (i == 302) {
      EXPECT_EQ(o.status, ItemStatus::kTimedOut);
    } else if (i % 7 == 0) {
      EXPECT_EQ(o.status, ItemStatus::kFailed) << i;
    } else {
      ASSERT_TRUE(o.ok()) << i << ": " << o.message;
      EXPECT_EQ(*o.value, i + 1);
    }
  }
}

TEST(MicroBatcherStress, EveryCallerGetsItsOwnAnswerUnderContention) {
  std::atomic<int> calls{0};
  MicroBatcher<int, int> mb(
      [&](std::vector<int>& r) {
        calls.fetch_add(1);
        std::vector<int> out;
        for (int x : r) out.push_back(x * 3);
        return out;
      },
      {.max_batch = 8, .max_delay = 200us});
  constexpr int kThreads = 12;
  constexpr int kEach = 300;
  std::atomic<int> wrong{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        const int x = t * 100000 + i;
        if (mb.submit(x) != x * 3) wrong.fetch_add(1);
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(wrong.load(), 0);
  const MicroBatcherStats st = mb.stats();
  EXPECT_EQ(st.requests, static_cast<std::uint64_t>(kThreads * kEach));
  EXPECT_EQ(st.batches, static_cast<std::uint64_t>(calls.load()));
  EXPECT_EQ(st.flushed_full + st.flushed_by_time, st.batches);
}

}  // namespace
}  // namespace lumen::perf
