#include "lumen/perf/micro_batcher.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

namespace lumen::perf {
namespace {

using namespace std::chrono_literals;

struct Recorder {
  std::mutex mu;
  std::vector<std::size_t> sizes;
  std::vector<int> operator()(std::vector<int>& requests) {
    {
      std::lock_guard lock(mu);
      sizes.push_back(requests.size());
    }
    std::vector<int> out;
    for (int r : requests) out.push_back(r * 10);
    return out;
  }
};

TEST(MicroBatcher, FlushesWhenTheBatchIsFullAndEachCallerGetsItsOwnResult) {
  Recorder rec;
  // A delay far longer than the test: only reaching max_batch can send the batch.
  MicroBatcher<int, int> mb([&](std::vector<int>& r) { return rec(r); },
                            {.max_batch = 4, .max_delay = 60s});
  std::vector<std::future<int>> calls;
  for (int i = 1; i <= 4; ++i) {
    calls.push_back(std::async(std::launch::async, [&mb, i] { return mb.submit(i); }));
  }
  for (int i = 1; i <= 4; ++i) EXPECT_EQ(calls[static_cast<std::size_t>(i - 1)].get(), i * 10);
  EXPECT_EQ(rec.sizes, std::vector<std::size_t>{4});
  const MicroBatcherStats st = mb.stats();
  EXPECT_EQ(st.flushed_full, 1u);
  EXPECT_EQ(st.flushed_by_time, 0u);
  EXPECT_EQ(st.requests, 4u);
}

TEST(MicroBatcher, FlushesAPartialBatchAfterMaxDelay) {
  Recorder rec;
  MicroBatcher<int, int> mb([&](std::vector<int>& r) { return rec(r); },
                            {.max_batch = 100, .max_delay = 20ms});
  const auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(mb.submit(7), 70);
  const auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_GE(elapsed, 20ms);
  EXPECT_LT(elapsed, 5s);
  EXPECT_EQ(rec.sizes, std::vector<std::size_t>{1});
  EXPECT_EQ(mb.stats().flushed_by_time, 1u);
}

TEST(MicroBatcher, BulkFailureReachesEveryCallerOfThatBatch) {
  MicroBatcher<int, int> mb([](std::vector<int>&) -> std::vector<int> {
    throw std::runtime_error("bulk endpoint down");
  }, {.max_batch = 2, .max_delay = 60s});
  auto a = std::async(std::launch::async, [&] { return mb.submit(1); });
  auto b = std::async(std::launch::async, [&] { return mb.submit(2); });
  EXPECT_THROW(a.get(), std::runtime_error);
  EXPECT_THROW(b.get(), std::runtime_error);
  EXPECT_EQ(mb.stats().failed_batches, 1u);
}

TEST(MicroBatcher, WrongResultCountIsAnErrorNotAMixUp) {
  MicroBatcher<int, int> mb([](std::vector<int>&) { return std::vector<int>{1}; },
                            {.max_batch = 2, .max_delay = 60s});
  auto a = std::async(std::launch::async, [&] { return mb.submit(1); });
  auto b = std::async(std::launch::async, [&] { return mb.submit(2); });
  EXPECT_THROW(a.get(), std::length_error);
  EXPECT_THROW(b.get(), std::length_error);
}

}  // namespace
}  // namespace lumen::perf
