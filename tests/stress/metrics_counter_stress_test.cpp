// Concurrent adds and first-time inserts on one instrument, with collections running meanwhile.
// Meant for TSan as much as for the totals. More threads than stripes: some own theirs (plain
// stores), the others share the rest (atomic adds).
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "lumen/metrics/meter.hpp"

namespace lumen::metrics {
namespace {

TEST(MetricsStress, SumOfAllAddsFromSixThreadsEqualsTheTotal) {
  MeterProvider provider({.cardinality_limit = 100});
  auto counter = provider.meter("stress").create_counter<std::int64_t>("adds");
  auto seconds = provider.meter("stress").create_counter<double>("seconds");
  auto hist = provider.meter("stress").create_histogram("lat", {.boundaries = {1, 2, 3}});
  constexpr int kThreads = 6;  // with the collector's: more than kOwnableStripes
  constexpr int kIterations = 20000;
  std::atomic<bool> done{false};
  std::thread collector([&] {
    while (!done.load()) (void)provider.collect();
  });
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      auto bound = counter.bind({{"kind", "bound"}});
      for (int i = 0; i < kIterations; ++i) {
        // New attribute sets appear while others look them up (and the table grows).
        counter.add(1, {{"key", i % 64}});
        bound.add(2);
        seconds.add(0.5);  // exact in binary: the total is exact too
        hist.record(static_cast<double>((i + t) % 4), {{"key", i % 8}});
      }
    });
  }
  for (auto& th : threads) th.join();
  done.store(true);
  collector.join();

  const MetricsSnapshot snap = provider.collect();
  std::int64_t keyed = 0;
  std::int64_t bound = 0;
  double seconds_total = 0;
  std::uint64_t recorded = 0;
  double recorded_sum = 0;
  double recorded_max = 0;
  for (const auto& m : snap.metrics) {
    for (const auto& p : m.number_points) {
      if (m.name == "seconds") {
        seconds_total += p.value;
      } else {
        (p.attributes.contains("kind") ? bound : keyed) += p.int_value;
      }
    }
    for (const auto& p : m.histogram_points) {
      recorded += p.count;
      recorded_sum += p.sum;
      if (p.max) recorded_max = std::max(recorded_max, *p.max);
    }
  }
  EXPECT_EQ(keyed, std::int64_t{kThreads} * kIterations);
  EXPECT_EQ(bound, std::int64_t{2} * kThreads * kIterations);
  EXPECT_EQ(seconds_total, 0.5 * kThreads * kIterations);
  EXPECT_EQ(recorded, std::uint64_t{kThreads} * kIterations);
  // Each thread records 0, 1, 2, 3 in turn: 6 per 4 records.
  EXPECT_EQ(recorded_sum, 6.0 * kThreads * kIterations / 4);
  EXPECT_EQ(recorded_max, 3.0);
}

}  // namespace
}  // namespace lumen::metrics
