// Two threads record into one exponential histogram series (forcing downscales as the range
// widens) while a third collects. Meant for TSan as much as for the totals.
#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <numeric>
#include <thread>
#include <vector>

#include "lumen/metrics/meter.hpp"

namespace lumen::metrics {
namespace {

TEST(MetricsStress, ExponentialHistogramCountsEveryRecordFromTwoThreads) {
  MeterProvider provider;
  auto hist = provider.meter("stress").create_histogram(
      "spread", {.exponential = Base2Exponential{.max_size = 32, .max_scale = 20}});
  auto bound = hist.bind({{"kind", "bound"}});
  constexpr int kThreads = 2;
  constexpr int kIterations = 50000;
  std::atomic<bool> done{false};
  std::atomic<std::uint64_t> collections{0};
  std::thread collector([&] {
    while (!done.load()) {
      const MetricsSnapshot snap = provider.collect();
      for (const auto& m : snap.metrics) {
        for (const auto& p : m.exponential_points) {
          // Each collection sees a consistent point: the buckets add up to the count.
          const auto buckets = std::accumulate(p.positive.bucket_counts.begin(),
                                               p.positive.bucket_counts.end(), p.zero_count) +
                               std::accumulate(p.negative.bucket_counts.begin(),
                                               p.negative.bucket_counts.end(), std::uint64_t{0});
          EXPECT_EQ(buckets, p.count);
        }
      }
      collections.fetch_add(1);
    }
  });
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      const std::uint64_t collected_before = collections.load();
      for (int i = 0; i < kIterations; ++i) {
        // Halfway, wait for a collection that started after this thread did, so that at least one
        // overlaps the recording even on a loaded machine where the collector starts late.
        if (i == kIterations / 2) {
          while (collections.load() <= collected_before + 1) std::this_thread::yield();
        }
        // Values spread over 2^-10 .. 2^20, both signs and zero, so the scale keeps dropping.
        const double v = std::ldexp(1.0 + (i % 7) / 8.0, (i * 7 + t) % 31 - 10);
        const double signed_v = i % 5 == 0 ? -v : (i % 11 == 0 ? 0.0 : v);
        if (i % 2 == 0) {
          bound.record(signed_v);
        } else {
          hist.record(signed_v, {{"kind", "call"}});
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  done.store(true);
  collector.join();

  std::uint64_t recorded = 0;
  for (const auto& m : provider.collect().metrics) {
    for (const auto& p : m.exponential_points) {
      recorded += p.count;
      EXPECT_LE(p.positive.bucket_counts.size(), 32U);
      EXPECT_LE(p.negative.bucket_counts.size(), 32U);
      EXPECT_LT(p.scale, 20);
    }
  }
  EXPECT_EQ(recorded, std::uint64_t{kThreads} * kIterations);
}

}  // namespace
}  // namespace lumen::metrics
