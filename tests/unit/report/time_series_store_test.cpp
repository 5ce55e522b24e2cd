#include "lumen/report/time_series_store.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <random>

#include "lumen/metrics/meter.hpp"
#include "report_time.hpp"

namespace lumen::report {
namespace {

using metrics::MetricData;
using metrics::MetricsSnapshot;
using metrics::MetricType;

std::uint64_t at(std::uint64_t seconds) {
  return kT0 + seconds * kSec;
}

MetricData counter(std::string name, double v, Attributes attrs = {}) {
  MetricData m;
  m.name = std::move(name);
  m.type = MetricType::kMonotonicSum;
  metrics::NumberPoint p;
  p.attributes = std::move(attrs);
  p.value = v;
  m.number_points.push_back(std::move(p));
  return m;
}

MetricData gauge_metric(std::string name, double v) {
  MetricData m = counter(std::move(name), v);
  m.type = MetricType::kGauge;
  return m;
}

MetricsSnapshot snap(std::vector<MetricData> ms) {
  MetricsSnapshot s;
  s.metrics = std::move(ms);
  return s;
}

TEST(TimeSeriesStore, CounterIncreaseAndRateOverAWindow) {
  TimeSeriesStore store;
  for (std::uint64_t i = 0; i <= 6; ++i)
    store.record(snap({counter("c", 10.0 * static_cast<double>(i))}), at(i * 10));
  EXPECT_DOUBLE_EQ(store.increase("c", {}, at(0), at(60)), 60.0);
  EXPECT_DOUBLE_EQ(store.increase("c", {}, at(20), at(40)), 20.0);
  EXPECT_DOUBLE_EQ(store.rate("c", {}, at(0), at(60)), 1.0);
  // A window that starts between samples uses the last sample before it as the baseline.
  EXPECT_DOUBLE_EQ(store.increase("c", {}, at(25), at(60)), 40.0);
}

TEST(TimeSeriesStore, CounterResetCountsTheNewValueInFull) {
  TimeSeriesStore store;
  const double values[] = {100, 150, 20, 50};  // restart between 150 and 20
  for (std::uint64_t i = 0; i < 4; ++i) store.record(snap({counter("c", values[i])}), at(i * 10));
  EXPECT_DOUBLE_EQ(store.increase("c", {}, at(0), at(30)), 50.0 + 20.0 + 30.0);
}

TEST(TimeSeriesStore, EmptyWindowAndSingleSampleGiveZero) {
  TimeSeriesStore store;
  EXPECT_EQ(store.increase("c", {}, at(0), at(60)), 0.0);
  EXPECT_EQ(store.gauge("g", {}, at(0), at(60)).samples, 0U);
  store.record(snap({counter("c", 42), gauge_metric("g", 7)}), at(10));
  // One sample is only a baseline: nothing is known about what happened before it.
  EXPECT_EQ(store.increase("c", {}, at(0), at(60)), 0.0);
  EXPECT_EQ(store.rate("c", {}, at(0), at(60)), 0.0);
  const GaugeWindow g = store.gauge("g", {}, at(0), at(60));
  EXPECT_EQ(g.samples, 1U);
  EXPECT_EQ(g.latest, 7.0);
  // A window after the last sample holds nothing.
  EXPECT_EQ(store.increase("c", {}, at(100), at(200)), 0.0);
  EXPECT_EQ(store.gauge("g", {}, at(100), at(200)).samples, 0U);
}

TEST(TimeSeriesStore, SeriesThatAppearsLaterCountsFromZero) {
  TimeSeriesStore store;
  store.record(snap({counter("c", 5, {{"model", "a"}})}), at(0));
  store.record(snap({counter("c", 6, {{"model", "a"}}), counter("c", 3, {{"model", "b"}})}),
               at(10));
  EXPECT_DOUBLE_EQ(store.increase("c", {}, at(0), at(10)), 1.0 + 3.0);
  const auto by = store.increase_by("c", "model", {}, at(0), at(10));
  EXPECT_DOUBLE_EQ(by.at("a"), 1.0);
  EXPECT_DOUBLE_EQ(by.at("b"), 3.0);
  EXPECT_DOUBLE_EQ(store.increase("c", {{"model", "b"}}, at(0), at(10)), 3.0);
  EXPECT_EQ(store.increase("c", {{"model", "zzz"}}, at(0), at(10)), 0.0);
}

TEST(TimeSeriesStore, GaugeLatestMeanAndMax) {
  TimeSeriesStore store;
  const double values[] = {4, 10, 2, 6};
  for (std::uint64_t i = 0; i < 4; ++i)
    store.record(snap({gauge_metric("g", values[i])}), at(i * 10));
  const GaugeWindow g = store.gauge("g", {}, at(0), at(30));  // (0, 30]: the last three
  EXPECT_EQ(g.samples, 3U);
  EXPECT_EQ(g.latest, 6.0);
  EXPECT_EQ(g.max, 10.0);
  EXPECT_DOUBLE_EQ(g.mean, 6.0);
}

TEST(TimeSeriesStore, HistogramQuantilesAreWithinTheBucketOfTheExactValue) {
  metrics::MeterProvider provider;
  auto h = provider.meter("t").create_histogram("lat", {.unit = "s"});
  TimeSeriesStore store;
  store.record(provider.collect(), at(0));
  std::mt19937 rng(7);
  std::lognormal_distribution<double> dist(-1.5, 0.8);
  std::vector<double> values;
  for (int i = 0; i < 5000; ++i) {
    values.push_back(dist(rng));
    h.record(values.back());
  }
  store.record(provider.collect(), at(10));
  std::sort(values.begin(), values.end());
  const HistogramWindow w = store.histogram("lat", {}, at(0), at(10));
  EXPECT_DOUBLE_EQ(w.count, 5000.0);
  double exact_sum = 0;
  for (double v : values) exact_sum += v;
  EXPECT_NEAR(w.mean(), exact_sum / 5000.0, 1e-9);
  const auto& bounds = metrics::default_latency_boundaries();
  for (double q : {0.5, 0.9, 0.99}) {
    const double exact = values[static_cast<std::size_t>(q * 5000) - 1];
    const auto upper = std::lower_bound(bounds.begin(), bounds.end(), exact);
    ASSERT_NE(upper, bounds.end());
    const double lower = upper == bounds.begin() ? 0.0 : *(upper - 1);
    const double got = w.quantile(q);
    EXPECT_GE(got, lower) << "q=" << q << " exact=" << exact;
    EXPECT_LE(got, *upper) << "q=" << q << " exact=" << exact;
  }
}

TEST(TimeSeriesStore, ExponentialHistogramsGiveQuantilesWithinABucketAndMergeAcrossLabels) {
  metrics::MeterProvider provider;
  auto h = provider.meter("t").create_histogram(
      "lat", {.unit = "s", .exponential = metrics::Base2Exponential{}});
  TimeSeriesStore store;
  store.record(provider.collect(), at(0));
  std::mt19937 rng(11);
  std::lognormal_distribution<double> dist(-1.5, 0.8);
  std::vector<double> values;
  for (int i = 0; i < 4000; ++i) {
    values.push_back(dist(rng));
    h.record(values.back(), {{"model", i % 2 == 0 ? "a" : "b"}});
  }
  store.record(provider.collect(), at(10));
  for (int i = 0; i < 1000; ++i) {  // a later model with a series of its own, same bounds
    values.push_back(dist(rng));
    h.record(values.back(), {{"model", "c"}});
  }
  store.record(provider.collect(), at(20));
  std::sort(values.begin(), values.end());
  const HistogramWindow w = store.histogram("lat", {}, at(0), at(20));
  EXPECT_DOUBLE_EQ(w.count, 5000.0);
  double exact_sum = 0;
  for (double v : values) exact_sum += v;
  EXPECT_NEAR(w.mean(), exact_sum / 5000.0, 1e-9);
  // The first values span 8 doublings, so the store keeps scale 2: buckets a factor 2^(1/4) wide,
  // and a quantile within 19 % of the exact one.
  ASSERT_GE(w.bounds.size(), 2U);
  EXPECT_NEAR(w.bounds[1] / w.bounds[0], std::exp2(0.25), 1e-9);
  for (double q : {0.5, 0.9, 0.99}) {
    const double exact = values[static_cast<std::size_t>(q * 5000) - 1];
    EXPECT_NEAR(w.quantile(q), exact, exact * 0.19) << "q=" << q;
  }
  EXPECT_DOUBLE_EQ(store.histogram("lat", {{"model", "c"}}, at(0), at(20)).count, 1000.0);
  EXPECT_DOUBLE_EQ(store.histogram("lat", {{"model", "a"}}, at(10), at(20)).count, 0.0);
}

TEST(TimeSeriesStore, QuantileInterpolatesLinearlyInsideTheBucket) {
  HistogramWindow w;
  w.bounds = {1.0, 2.0};
  w.bucket_counts = {0, 10, 0};  // ten values in (1, 2]
  EXPECT_DOUBLE_EQ(w.quantile(0.5), 1.5);
  EXPECT_DOUBLE_EQ(w.quantile(1.0), 2.0);
  EXPECT_DOUBLE_EQ(w.count_at_or_below(1.25), 2.5);
  EXPECT_DOUBLE_EQ(w.count_at_or_below(5.0), 10.0);
  w.bucket_counts = {0, 0, 4};  // only +Inf: the last finite bound
  EXPECT_DOUBLE_EQ(w.quantile(0.99), 2.0);
  EXPECT_EQ(HistogramWindow{}.quantile(0.5), 0.0);
}

// The report's case: 98 calls at 0.3 s and 2 at 1.1 s in the default buckets. Interpolating inside
// (1, 2.5] put p99 at 1.75 s, above every call that happened.
TEST(TimeSeriesStore, QuantileNeverExceedsTheLargestValueOfTheWindow) {
  metrics::MeterProvider provider;
  auto h = provider.meter("t").create_histogram("lat", {.unit = "s"});
  TimeSeriesStore store;
  store.record(provider.collect(), at(0));
  for (int i = 0; i < 98; ++i) h.record(0.3);
  h.record(1.1);
  h.record(1.1);
  store.record(provider.collect(), at(10));
  const HistogramWindow w = store.histogram("lat", {}, at(0), at(10));
  EXPECT_DOUBLE_EQ(w.count, 100.0);
  EXPECT_DOUBLE_EQ(w.max, 1.1);
  EXPECT_DOUBLE_EQ(w.quantile(0.99), 1.1);
  EXPECT_DOUBLE_EQ(w.quantile(0.5), 0.25 + 0.25 * 50.0 / 98.0);  // inside (0.25, 0.5], as before
}

TEST(TimeSeriesStore, LargestValueOfSeveralSeriesIsTheLargestOfThoseThatCountedInTheWindow) {
  metrics::MeterProvider provider;
  auto h = provider.meter("t").create_histogram("lat", {.unit = "s"});
  h.record(9.0, {{"model", "old"}});  // before the window only
  TimeSeriesStore store;
  store.record(provider.collect(), at(0));
  h.record(0.4, {{"model", "a"}});
  h.record(1.2, {{"model", "b"}});
  store.record(provider.collect(), at(10));
  EXPECT_DOUBLE_EQ(store.histogram("lat", {}, at(0), at(10)).max, 1.2);
  EXPECT_DOUBLE_EQ(store.histogram("lat", {{"model", "a"}}, at(0), at(10)).max, 0.4);
  EXPECT_DOUBLE_EQ(store.histogram("lat", {}, at(0), at(10)).quantile(1.0), 1.2);
}

TEST(TimeSeriesStore, QuantileInTheInfBucketEndsAtTheLargestValueWhenKnown) {
  HistogramWindow w;
  w.bounds = {1.0, 2.0};
  w.bucket_counts = {0, 0, 4};
  w.max = 4.0;
  EXPECT_DOUBLE_EQ(w.quantile(0.5), 3.0);
  EXPECT_DOUBLE_EQ(w.quantile(1.0), 4.0);
  w.bucket_counts = {0, 10, 0};
  w.max = 1.5;  // every value in (1, 2] was at most 1.5
  EXPECT_DOUBLE_EQ(w.quantile(0.25), 1.25);
  EXPECT_DOUBLE_EQ(w.quantile(0.99), 1.5);
}

TEST(TimeSeriesStore, HistogramWindowUsesBucketDeltasNotTotals) {
  metrics::MeterProvider provider;
  auto h = provider.meter("t").create_histogram("lat", {.boundaries = {1, 2, 4}});
  TimeSeriesStore store;
  for (int i = 0; i < 100; ++i) h.record(3.5);  // before the window: slow
  store.record(provider.collect(), at(0));
  for (int i = 0; i < 10; ++i) h.record(0.5);  // in the window: fast
  store.record(provider.collect(), at(10));
  const HistogramWindow w = store.histogram("lat", {}, at(0), at(10));
  EXPECT_DOUBLE_EQ(w.count, 10.0);
  EXPECT_LE(w.quantile(0.99), 1.0);
  EXPECT_DOUBLE_EQ(w.mean(), 0.5);
}

TEST(TimeSeriesStore, OldWindowsAreAnsweredFromMinutePoints) {
  TimeSeriesStore store;
  // 3 h of a counter growing 1/s and a gauge alternating 0 and 10, every 10 s.
  for (std::uint64_t s = 0; s <= 3 * 3600; s += 10) {
    store.record(snap({counter("c", static_cast<double>(s)),
                       gauge_metric("g", (s / 10) % 2 == 0 ? 0.0 : 10.0)}),
                 at(s));
  }
  // 2 h ago is past the raw ring (1 h): the minute points answer, merged with the raw samples.
  EXPECT_NEAR(store.increase("c", {}, at(3600), at(3 * 3600)), 2.0 * 3600, 60.0);
  const GaugeWindow g = store.gauge("g", {}, at(3600), at(3 * 3600));
  EXPECT_EQ(g.max, 10.0);
  EXPECT_NEAR(g.mean, 5.0, 0.5);
  EXPECT_GT(g.samples, 100U);
  // The raw ring is bounded: the oldest raw sample is about an hour old.
  EXPECT_LE(store.oldest_time(), at(3600));
}

TEST(TimeSeriesStore, OlderThanRetentionIsForgotten) {
  TimeSeriesStore store(
      {.raw_retention = std::chrono::minutes(1), .retention = std::chrono::minutes(5)});
  for (std::uint64_t s = 0; s <= 1800; s += 10)
    store.record(snap({counter("c", static_cast<double>(s))}), at(s));
  EXPECT_GE(store.oldest_time(), at(1800 - 6 * 60));
  EXPECT_EQ(store.increase("c", {}, at(0), at(600)), 0.0);
}

TEST(TimeSeriesStore, RejectsOutOfOrderSamples) {
  TimeSeriesStore store;
  EXPECT_TRUE(store.record(snap({counter("c", 1)}), at(10)));
  EXPECT_FALSE(store.record(snap({counter("c", 2)}), at(10)));
  EXPECT_FALSE(store.record(snap({counter("c", 2)}), at(5)));
  EXPECT_EQ(store.stats().samples, 1U);
}

TEST(TimeSeriesStore, SeriesPastTheColumnLimitAreDroppedAndCounted) {
  TimeSeriesStore store({.max_columns = 3});
  std::vector<MetricData> ms;
  for (int i = 0; i < 5; ++i) ms.push_back(counter("c", 1, {{"i", i}}));
  store.record(snap(ms), at(0));
  EXPECT_EQ(store.stats().columns, 3U);
  EXPECT_EQ(store.stats().dropped_series, 2U);
}

TEST(TimeSeriesStore, MemoryFor2000SeriesOver24HoursStaysUnderTheDocumentedBound) {
  TimeSeriesStore store;  // defaults: 10 s raw for 1 h, 1 min for 24 h, 2000 columns
  std::vector<MetricData> ms;
  for (int i = 0; i < 1000; ++i) ms.push_back(counter("c", 1, {{"i", i}}));
  for (int i = 0; i < 1000; ++i) {
    MetricData g = gauge_metric("g", 1);
    g.number_points[0].attributes = {{"i", i}};
    ms.push_back(std::move(g));
  }
  ms.push_back(counter("one_too_many", 1));
  const MetricsSnapshot s = snap(std::move(ms));
  // Memory is allocated when a series appears; a day of samples adds nothing. Record a few hours.
  for (std::uint64_t t = 0; t < 2 * 3600; t += 10) store.record(s, at(t));
  const StoreStats st = store.stats();
  EXPECT_EQ(st.columns, 2000U);
  EXPECT_GT(st.dropped_series, 0U);
  constexpr std::size_t kBound = 52U * 1024U * 1024U;  // docs/REPORT.md
  EXPECT_LT(st.memory_bytes, kBound);
  EXPECT_GT(st.memory_bytes, 2000U * 1800U * sizeof(double));
}

TEST(TimeSeriesStore, LabelValuesListsEachValueOnce) {
  TimeSeriesStore store;
  store.record(snap({counter("c", 1, {{"model", "b"}, {"ok", true}}),
                     counter("c", 1, {{"model", "a"}, {"ok", true}}),
                     counter("c", 1, {{"model", "a"}, {"ok", false}})}),
               at(0));
  EXPECT_EQ(store.label_values("c", "model"), (std::vector<std::string>{"a", "b"}));
  for (const auto& [ok, n] : store.increase_by("c", "ok", {}, at(0), at(1)))
    EXPECT_EQ(n, 0.0) << ok;
  EXPECT_TRUE(store.has_series("c"));
  EXPECT_FALSE(store.has_series("d"));
}

}  // namespace
}  // namespace lumen::report
