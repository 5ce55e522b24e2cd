// Concurrent adds and first-time inserts on one instrument, with collections running meanwhile.
// Meant for TSan as much as for the totals.
#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "lumen/metrics/meter.hpp"

namespace lumen::metrics {
namespace {

TEST(MetricsStress, SumOfAllAddsFromFourThreadsEqualsTheTotal) {
  MeterProvider provider({.cardinality_limit = 100});
  auto counter = provider.meter("stress").create_counter<std::int64_t>("adds");
  auto hist = provider.meter("stress").create_histogram("lat", {.boundaries = {1, 2, 3}});
  constexpr int kThreads = 4;
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
  std::uint64_t recorded = 0;
  for (const auto& m : snap.metrics) {
    for (const auto& p : m.number_points) {
      (p.attributes.contains("kind") ? bound : keyed) += p.int_value;
    }
    for (const auto& p : m.histogram_points) recorded += p.count;
  }
  EXPECT_EQ(keyed, std::int64_t{kThreads} * kIterations);
  EXPECT_EQ(bound, std::int64_t{2} * kThreads * kIterations);
  EXPECT_EQ(recorded, std::uint64_t{kThreads} * kIterations);
}

}  // namespace
}  // namespace lumen::metrics
