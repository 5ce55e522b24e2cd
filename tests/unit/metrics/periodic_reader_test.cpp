#include "lumen/metrics/periodic_reader.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <future>
#include <mutex>
#include <thread>

#include "eventually.hpp"
#include "lumen/core/clock.hpp"
#include "lumen/core/error.hpp"

namespace lumen::metrics {
namespace {

using namespace std::chrono_literals;

// Records what it is given; can fail, or block until released (ignoring its deadline).
class FakeExporter final : public MetricExporter {
 public:
  explicit FakeExporter(TemporalityPreference preference = TemporalityPreference::kCumulative)
      : preference_(preference) {}

  MetricExportResult export_metrics(const MetricsSnapshot& snapshot, Deadline) noexcept override {
    std::unique_lock lock(mutex_);
    snapshots_.push_back(snapshot);
    changed_.notify_all();
    changed_.wait(lock, [&] { return !block_; });
    return fail_ ? MetricExportResult::kFailure : MetricExportResult::kSuccess;
  }
  Temporality temporality(InstrumentKind kind) const noexcept override {
    return temporality_for(preference_, kind);
  }
  void shutdown(Deadline) noexcept override { shutdowns_.fetch_add(1); }

  void set_fail(bool fail) {
    std::lock_guard lock(mutex_);
    fail_ = fail;
  }
  void set_block(bool block) {
    std::lock_guard lock(mutex_);
    block_ = block;
    changed_.notify_all();
  }
  bool wait_for_exports(std::size_t n, std::chrono::milliseconds timeout) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, timeout, [&] { return snapshots_.size() >= n; });
  }
  std::vector<MetricsSnapshot> snapshots() const {
    std::lock_guard lock(mutex_);
    return snapshots_;
  }
  int shutdowns() const { return shutdowns_.load(); }

 private:
  TemporalityPreference preference_;
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<MetricsSnapshot> snapshots_;
  bool fail_ = false;
  bool block_ = false;
  std::atomic<int> shutdowns_{0};
};

std::int64_t value_of(const MetricsSnapshot& s, const std::string& name) {
  for (const MetricData& m : s.metrics) {
    if (m.name == name && !m.number_points.empty()) return m.number_points[0].int_value;
  }
  return -1;
}

TEST(PeriodicMetricReader, ExportsExactlyOnEveryIntervalWithoutBeingAsked) {
  MeterProvider provider;
  auto c = provider.meter("app").create_counter("ticks");
  c.add(1);
  ManualClock clock;
  auto exporter = std::make_shared<FakeExporter>();
  PeriodicMetricReader reader(provider, exporter,
                              {.interval = 60s, .timeout = 1s, .clock = &clock});
  for (std::size_t n = 1; n <= 2; ++n) {
    ASSERT_TRUE(clock.await_waiters(1));  // the worker, until its next interval ends
    clock.advance(60s - 1ns);
    EXPECT_EQ(exporter->snapshots().size(), n - 1);
    clock.advance(1ns);
    ASSERT_TRUE(exporter->wait_for_exports(n, 5s));
  }
  EXPECT_EQ(value_of(exporter->snapshots()[0], "ticks"), 1);
  EXPECT_TRUE(reader.shutdown(2s));
  EXPECT_EQ(exporter->shutdowns(), 1);
}

TEST(PeriodicMetricReader, ForceFlushExportsTheLatestValuesAtOnce) {
  MeterProvider provider;
  auto c = provider.meter("app").create_counter("requests");
  auto exporter = std::make_shared<FakeExporter>();
  PeriodicMetricReader reader(provider, exporter, {.interval = std::chrono::hours(1)});
  c.add(3);
  ASSERT_TRUE(reader.force_flush(2s));
  c.add(4);
  ASSERT_TRUE(reader.force_flush(2s));
  const auto snaps = exporter->snapshots();
  ASSERT_EQ(snaps.size(), 2U);
  EXPECT_EQ(value_of(snaps[0], "requests"), 3);
  EXPECT_EQ(value_of(snaps[1], "requests"), 7);  // cumulative by default
  EXPECT_EQ(reader.stats().exports, 2U);
  EXPECT_EQ(reader.stats().failures, 0U);
}

TEST(PeriodicMetricReader, ConvertsToDeltasWhenTheExporterPrefersThem) {
  MeterProvider provider;
  auto c = provider.meter("app").create_counter("requests");
  auto exporter = std::make_shared<FakeExporter>(TemporalityPreference::kDelta);
  PeriodicMetricReader reader(provider, exporter, {.interval = std::chrono::hours(1)});
  c.add(3);
  ASSERT_TRUE(reader.force_flush(2s));
  c.add(4);
  ASSERT_TRUE(reader.force_flush(2s));
  const auto snaps = exporter->snapshots();
  ASSERT_EQ(snaps.size(), 2U);
  EXPECT_EQ(value_of(snaps[0], "requests"), 3);
  EXPECT_EQ(value_of(snaps[1], "requests"), 4);
}

TEST(PeriodicMetricReader, CountsFailedExportsAndPublishesThemAsAMetric) {
  MeterProvider provider;
  auto exporter = std::make_shared<FakeExporter>();
  exporter->set_fail(true);
  PeriodicMetricReader reader(provider, exporter, {.interval = std::chrono::hours(1)});
  EXPECT_FALSE(reader.force_flush(2s));
  EXPECT_FALSE(reader.force_flush(2s));
  EXPECT_EQ(reader.stats().failures, 2U);
  EXPECT_EQ(value_of(provider.collect(), "lumen.metric_export.failures"), 2);
  EXPECT_EQ(value_of(provider.collect(), "lumen.metric_export.count"), 2);
  bool has_duration = false;
  for (const MetricData& m : provider.collect().metrics) {
    if (m.name == "lumen.metric_export.duration") {
      has_duration = true;
      ASSERT_EQ(m.number_points.size(), 1U);
      EXPECT_GE(m.number_points[0].value, 0.0);
      EXPECT_LT(m.number_points[0].value, 2.0);
    }
  }
  EXPECT_TRUE(has_duration);
}

TEST(PeriodicMetricReader, ShutdownReturnsAtItsDeadlineWhenTheExportNeverReturns) {
  MeterProvider provider;
  ManualClock clock;  // outlives the worker that shutdown leaves behind
  auto exporter = std::make_shared<FakeExporter>();
  exporter->set_block(true);
  auto reader = std::make_unique<PeriodicMetricReader>(
      provider, exporter, PeriodicMetricReaderOptions{.interval = 10s, .clock = &clock});
  ASSERT_TRUE(clock.await_waiters(1));
  clock.advance(10s);
  ASSERT_TRUE(exporter->wait_for_exports(1, 5s));  // the worker is now stuck in export
  auto stopped = std::async(std::launch::async, [&] { return reader->shutdown(100ms); });
  ASSERT_TRUE(clock.await_waiters(1));  // shutdown, for the export it asked for
  clock.advance(100ms);
  // Past the deadline the exporter is asked to abort, and given 200 ms to do so.
  ASSERT_TRUE(clock.await_waiters(1));
  EXPECT_EQ(exporter->shutdowns(), 1);
  clock.advance(200ms - 1ns);
  EXPECT_EQ(stopped.wait_for(0s), std::future_status::timeout);
  clock.advance(1ns);
  EXPECT_FALSE(stopped.get());
  EXPECT_GE(reader->stats().failures, 1U);
  reader.reset();              // the destructor does not wait for the stuck worker either
  exporter->set_block(false);  // let the abandoned worker finish
  // It lets go of the exporter as it ends, and then no longer reads the clock.
  EXPECT_TRUE(lumen::testing::eventually([&] { return exporter.use_count() == 1; }, 20s));
}

TEST(PeriodicMetricReader, RejectsANonPositiveIntervalOrTimeout) {
  MeterProvider provider;
  auto exporter = std::make_shared<FakeExporter>();
  EXPECT_THROW(PeriodicMetricReader(provider, exporter, {.interval = 0ms}), Error);
  EXPECT_THROW(PeriodicMetricReader(provider, exporter, {.timeout = -1ms}), Error);
  EXPECT_THROW(PeriodicMetricReader(provider, nullptr), Error);
}

TEST(PeriodicMetricReader, FlushAfterShutdownFailsAtOnce) {
  MeterProvider provider;
  auto exporter = std::make_shared<FakeExporter>();
  PeriodicMetricReader reader(provider, exporter, {.interval = std::chrono::hours(1)});
  EXPECT_TRUE(reader.shutdown(2s));  // the last export succeeds
  EXPECT_FALSE(reader.force_flush(2s));
  EXPECT_FALSE(reader.shutdown(2s));
}

}  // namespace
}  // namespace lumen::metrics
