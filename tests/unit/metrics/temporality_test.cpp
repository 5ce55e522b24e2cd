#include "lumen/metrics/temporality.hpp"

#include <gtest/gtest.h>

#include <optional>
#include <utility>

#include "lumen/metrics/meter.hpp"
#include "lumen/metrics/metric_exporter.hpp"
#include "metric_named.hpp"

namespace lumen::metrics {
namespace {

using namespace std::chrono_literals;

DeltaConverter::TemporalityOf preference(TemporalityPreference p) {
  return [p](InstrumentKind k) { return temporality_for(p, k); };
}

TEST(TemporalityFor, DeltaPreferenceKeepsUpDownCountersCumulative) {
  using enum InstrumentKind;
  const auto delta = TemporalityPreference::kDelta;
  EXPECT_EQ(temporality_for(delta, kCounter), Temporality::kDelta);
  EXPECT_EQ(temporality_for(delta, kObservableCounter), Temporality::kDelta);
  EXPECT_EQ(temporality_for(delta, kHistogram), Temporality::kDelta);
  EXPECT_EQ(temporality_for(delta, kUpDownCounter), Temporality::kCumulative);
  EXPECT_EQ(temporality_for(delta, kObservableUpDownCounter), Temporality::kCumulative);
}

TEST(TemporalityFor, LowMemoryMakesOnlySynchronousCountersAndHistogramsDelta) {
  using enum InstrumentKind;
  const auto low = TemporalityPreference::kLowMemory;
  EXPECT_EQ(temporality_for(low, kCounter), Temporality::kDelta);
  EXPECT_EQ(temporality_for(low, kHistogram), Temporality::kDelta);
  EXPECT_EQ(temporality_for(low, kObservableCounter), Temporality::kCumulative);
  EXPECT_EQ(temporality_for(low, kUpDownCounter), Temporality::kCumulative);
}

TEST(TemporalityFor, CumulativePreferenceIsCumulativeForEveryKind) {
  for (auto k : {InstrumentKind::kCounter, InstrumentKind::kHistogram,
                 InstrumentKind::kObservableCounter, InstrumentKind::kUpDownCounter}) {
    EXPECT_EQ(temporality_for(TemporalityPreference::kCumulative, k), Temporality::kCumulative);
  }
}

TEST(DeltaConverter, SecondCollectionReportsOnlyWhatWasAddedSinceTheFirst) {
  ManualClock clock;
  MeterProvider provider({.clock = &clock});
  Meter& meter = provider.meter("test");
  auto requests = meter.create_counter("requests");
  auto queue = meter.create_up_down_counter("queue");
  auto latency = meter.create_histogram("latency", {.boundaries = {1.0, 2.0}});
  DeltaConverter delta;

  requests.add(5, {{"model", "a"}});
  queue.add(3);
  latency.record(0.5);
  latency.record(1.5);
  clock.advance(10s);
  MetricsSnapshot first = provider.collect();
  delta.convert(first, preference(TemporalityPreference::kDelta));
  const MetricData& r1 = metric_named(first, "requests");
  EXPECT_EQ(r1.temporality, Temporality::kDelta);
  EXPECT_EQ(r1.number_points.at(0).int_value, 5);
  const std::uint64_t first_time = r1.time_unix_nano;
  const std::uint64_t instrument_start = r1.start_time_unix_nano;

  requests.add(2, {{"model", "a"}});
  requests.add(7, {{"model", "b"}});
  queue.add(-1);
  latency.record(1.5);
  latency.record(9.0);
  clock.advance(10s);
  MetricsSnapshot second = provider.collect();
  delta.convert(second, preference(TemporalityPreference::kDelta));

  const MetricData& r2 = metric_named(second, "requests");
  EXPECT_EQ(r2.temporality, Temporality::kDelta);
  EXPECT_EQ(r2.start_time_unix_nano, first_time);  // the interval starts where the last one ended
  EXPECT_GT(r2.time_unix_nano, first_time);
  EXPECT_EQ(instrument_start, metric_named(provider.collect(), "requests").start_time_unix_nano);
  ASSERT_EQ(r2.number_points.size(), 2U);
  for (const NumberPoint& p : r2.number_points) {
    const auto& model = std::get<std::string>(p.attributes[0].value);
    EXPECT_EQ(p.int_value, model == "a" ? 2 : 7) << model;
    EXPECT_EQ(p.value, static_cast<double>(p.int_value));
  }

  const MetricData& q2 = metric_named(second, "queue");  // up-down counters stay cumulative
  EXPECT_EQ(q2.temporality, Temporality::kCumulative);
  EXPECT_EQ(q2.number_points.at(0).int_value, 2);

  const MetricData& h2 = metric_named(second, "latency");
  EXPECT_EQ(h2.temporality, Temporality::kDelta);
  const HistogramPoint& hp = h2.histogram_points.at(0);
  EXPECT_EQ(hp.count, 2U);
  EXPECT_DOUBLE_EQ(hp.sum, 10.5);
  EXPECT_EQ(hp.bucket_counts, (std::vector<std::uint64_t>{0, 1, 1}));
}

TEST(DeltaConverter, HistogramMaxIsTheIntervalsOnlyWhenItGrewInIt) {
  MeterProvider provider;
  auto latency = provider.meter("test").create_histogram("latency", {.boundaries = {1.0, 2.0}});
  DeltaConverter delta;
  // The cumulative largest value, then what the delta interval says of it.
  const auto collect = [&](std::initializer_list<double> values) {
    for (double v : values) latency.record(v);
    MetricsSnapshot s = provider.collect();
    const std::optional<double> cumulative = metric_named(s, "latency").histogram_points.at(0).max;
    delta.convert(s, preference(TemporalityPreference::kDelta));
    return std::pair(cumulative, metric_named(s, "latency").histogram_points.at(0).max);
  };
  EXPECT_EQ(collect({0.5, 3.0}), std::pair(std::optional(3.0), std::optional(3.0)));
  // At most 3.0 in the interval, but not known to be anything in particular.
  EXPECT_EQ(collect({1.5}), std::pair(std::optional(3.0), std::optional<double>()));
  EXPECT_EQ(collect({7.0, 0.1}), std::pair(std::optional(7.0), std::optional(7.0)));
}

TEST(DeltaConverter, CumulativePreferenceLeavesTheSnapshotUnchanged) {
  MeterProvider provider;
  auto c = provider.meter("test").create_counter("c");
  DeltaConverter delta;
  c.add(4);
  MetricsSnapshot first = provider.collect();
  delta.convert(first, preference(TemporalityPreference::kCumulative));
  c.add(1);
  MetricsSnapshot second = provider.collect();
  const std::uint64_t start = second.metrics.at(0).start_time_unix_nano;
  delta.convert(second, preference(TemporalityPreference::kCumulative));
  EXPECT_EQ(second.metrics.at(0).temporality, Temporality::kCumulative);
  EXPECT_EQ(second.metrics.at(0).number_points.at(0).int_value, 5);
  EXPECT_EQ(second.metrics.at(0).start_time_unix_nano, start);
  EXPECT_EQ(delta.remembered_series(), 0U);
}

TEST(DeltaConverter, ObservableCounterThatWentDownIsReportedAsAReset) {
  MeterProvider provider;
  std::int64_t value = 100;
  auto reg = provider.meter("test").create_observable_counter(
      "restarts", [&](ObserverResult& r) { r.observe(value); });
  DeltaConverter delta;
  MetricsSnapshot first = provider.collect();
  delta.convert(first, preference(TemporalityPreference::kDelta));
  EXPECT_EQ(first.metrics.at(0).number_points.at(0).int_value, 100);
  value = 30;  // the observed process restarted
  MetricsSnapshot second = provider.collect();
  delta.convert(second, preference(TemporalityPreference::kDelta));
  EXPECT_EQ(second.metrics.at(0).number_points.at(0).int_value, 30);
}

TEST(DeltaConverter, RemembersOnlyTheSeriesOfTheLastCollectionBoundedByTheCardinalityLimit) {
  MeterProvider provider({.cardinality_limit = 10});
  auto c = provider.meter("test").create_counter("c");
  for (int i = 0; i < 100; ++i) c.add(1, {{"i", i}});
  DeltaConverter delta;
  MetricsSnapshot snap = provider.collect();
  delta.convert(snap, preference(TemporalityPreference::kDelta));
  EXPECT_LE(delta.remembered_series(), 11U);  // the limit plus the overflow series
  EXPECT_EQ(delta.remembered_series(), snap.metrics.at(0).number_points.size());
}

}  // namespace
}  // namespace lumen::metrics
