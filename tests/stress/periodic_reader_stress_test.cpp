// The periodic reader under concurrent use: adds from two threads, flushes from two others, a
// short export interval and a shutdown racing all of them. With delta temporality, the deltas the
// exporter receives must add up to exactly what was added. Meant for TSan as much as for the sum.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdint>
#include <mutex>
#include <thread>
#include <vector>

#include "lumen/metrics/periodic_reader.hpp"

namespace lumen::metrics {
namespace {

using namespace std::chrono_literals;

class SummingExporter final : public MetricExporter {
 public:
  MetricExportResult export_metrics(const MetricsSnapshot& snapshot, Deadline) noexcept override {
    std::lock_guard lock(mutex_);
    for (const MetricData& m : snapshot.metrics) {
      if (m.name != "adds") continue;
      for (const NumberPoint& p : m.number_points) total_ += p.int_value;
    }
    return MetricExportResult::kSuccess;
  }
  Temporality temporality(InstrumentKind kind) const noexcept override {
    return temporality_for(TemporalityPreference::kDelta, kind);
  }
  std::int64_t total() const {
    std::lock_guard lock(mutex_);
    return total_;
  }

 private:
  mutable std::mutex mutex_;
  std::int64_t total_ = 0;
};

TEST(PeriodicReaderStress, DeltasFromConcurrentFlushesAddUpToEveryAdd) {
  MeterProvider provider;
  auto counter = provider.meter("stress").create_counter("adds");
  auto exporter = std::make_shared<SummingExporter>();
  PeriodicMetricReader reader(provider, exporter, {.interval = 1ms});
  constexpr int kAdders = 2;
  constexpr int kMinAdds = 20000;
  // The adders go on until this many exports have happened while they add: on a loaded machine
  // the flushers may not get a core before a fixed number of adds is done, and then nothing here
  // would have raced (CI saw one export, the shutdown's, at 20,000 adds each).
  constexpr std::uint64_t kExportsWhileAdding = 20;
  std::atomic<bool> adding{true};
  std::vector<std::thread> flushers;
  for (int f = 0; f < 2; ++f) {
    flushers.emplace_back([&] {
      while (adding.load()) (void)reader.force_flush(1s);
    });
  }
  std::atomic<std::int64_t> added{0};
  std::vector<std::thread> adders;
  for (int t = 0; t < kAdders; ++t) {
    adders.emplace_back([&, t] {
      std::int64_t n = 0;
      while (n < kMinAdds || reader.stats().exports < kExportsWhileAdding) {
        counter.add(1, {{"thread", t}});
        ++n;
      }
      added.fetch_add(n);
    });
  }
  for (auto& t : adders) t.join();
  adding.store(false);
  for (auto& t : flushers) t.join();
  ASSERT_TRUE(reader.shutdown(5s));  // the last export carries what is left
  EXPECT_EQ(exporter->total(), added.load());
  EXPECT_GT(reader.stats().exports, kExportsWhileAdding);
  EXPECT_EQ(reader.stats().failures, 0U);
}

}  // namespace
}  // namespace lumen::metrics
