#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "lumen/core/context.hpp"
#include "lumen/core/error.hpp"
#include "lumen/metrics/meter.hpp"

namespace lumen::metrics {
namespace {

const MetricData* find_metric(const MetricsSnapshot& snap, std::string_view name) {
  for (const auto& m : snap.metrics) {
    if (m.name == name) return &m;
  }
  return nullptr;
}

const NumberPoint* find_point(const MetricData& m, std::string_view key, const AttributeValue& v) {
  for (const auto& p : m.number_points) {
    const AttributeValue* got = p.attributes.find(key);
    if (got != nullptr && *got == v) return &p;
  }
  return nullptr;
}

TEST(Counter, AddsPerAttributeSetRegardlessOfAttributeOrder) {
  MeterProvider provider;
  auto counter = provider.meter("test").create_counter<std::int64_t>("requests");
  counter.add(1, {{"model", "a"}, {"success", "true"}});
  counter.add(2, {{"success", "true"}, {"model", "a"}});
  counter.add(5, {{"model", "b"}, {"success", "true"}});
  counter.add(-3, {{"model", "b"}, {"success", "true"}});  // ignored: counters only go up
  const auto snap = provider.collect();
  const MetricData* m = find_metric(snap, "requests");
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(m->type, MetricType::kMonotonicSum);
  ASSERT_EQ(m->number_points.size(), 2u);
  EXPECT_EQ(find_point(*m, "model", std::string("a"))->int_value, 3);
  EXPECT_EQ(find_point(*m, "model", std::string("b"))->int_value, 5);
  EXPECT_EQ(find_point(*m, "model", std::string("a"))->attributes.size(), 2u);
}

TEST(Counter, BoundHandleAddsToTheSameSeriesAsCallSiteAttributes) {
  MeterProvider provider;
  auto counter = provider.meter("test").create_counter<double>("bytes");
  auto bound = counter.bind({{"kind", "x"}});
  bound.add(1.5);
  bound.add(2.0);
  counter.add(0.5, {{"kind", "x"}});
  const auto snap = provider.collect();
  const MetricData* m = find_metric(snap, "bytes");
  ASSERT_NE(m, nullptr);
  ASSERT_EQ(m->number_points.size(), 1u);
  EXPECT_FALSE(m->is_integer);
  EXPECT_DOUBLE_EQ(m->number_points[0].value, 4.0);
}

TEST(Counter, RepeatedKeyKeepsTheLastValueAndTypedValuesAreDistinct) {
  MeterProvider provider;
  auto counter = provider.meter("test").create_counter<std::int64_t>("c");
  counter.add(1, {{"k", "first"}, {"k", "last"}});
  counter.add(1, {{"n", 1}});
  counter.add(1, {{"n", "1"}});
  counter.add(1, {{"n", true}});
  const auto snap = provider.collect();
  const MetricData* m = find_metric(snap, "c");
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(m->number_points.size(), 4u);
  EXPECT_NE(find_point(*m, "k", std::string("last")), nullptr);
  EXPECT_EQ(find_point(*m, "k", std::string("first")), nullptr);
  EXPECT_NE(find_point(*m, "n", std::int64_t{1}), nullptr);
  EXPECT_NE(find_point(*m, "n", true), nullptr);
}

TEST(Counter, ManyAttributeSetsSurviveTableGrowth) {
  MeterProvider provider;
  auto counter = provider.meter("test").create_counter<std::int64_t>("c");
  for (int round = 0; round < 3; ++round) {
    for (int i = 0; i < 500; ++i) counter.add(i, {{"i", i}});
  }
  const auto snap = provider.collect();
  const MetricData* m = find_metric(snap, "c");
  ASSERT_NE(m, nullptr);
  ASSERT_EQ(m->number_points.size(), 500u);
  for (int i = 0; i < 500; i += 37) {
    EXPECT_EQ(find_point(*m, "i", std::int64_t{i})->int_value, 3 * i);
  }
}

TEST(UpDownCounter, GoesDown) {
  MeterProvider provider;
  auto c = provider.meter("test").create_up_down_counter<std::int64_t>("inflight");
  c.add(5);
  c.add(-7);
  const auto snap = provider.collect();
  const MetricData* m = find_metric(snap, "inflight");
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(m->type, MetricType::kSum);
  EXPECT_EQ(m->number_points[0].int_value, -2);
}

TEST(Meter, RejectsInvalidNamesAtCreation) {
  MeterProvider provider;
  Meter& meter = provider.meter("test");
  EXPECT_THROW((void)meter.create_counter<std::int64_t>(""), Error);
  EXPECT_THROW((void)meter.create_counter<std::int64_t>("1abc"), Error);
  EXPECT_THROW((void)meter.create_counter<std::int64_t>("has space"), Error);
  EXPECT_THROW((void)meter.create_histogram("_x"), Error);
  EXPECT_THROW((void)meter.create_counter<std::int64_t>(std::string(256, 'a')), Error);
  EXPECT_NO_THROW((void)meter.create_counter<std::int64_t>(std::string(255, 'a')));
  EXPECT_NO_THROW((void)meter.create_counter<std::int64_t>("http.server/req-count_2"));
}

TEST(Meter, SameNameSameKindSharesStorageAndDifferentKindThrows) {
  MeterProvider provider;
  Meter& meter = provider.meter("test");
  auto a = meter.create_counter<std::int64_t>("c");
  auto b = meter.create_counter<std::int64_t>("c");
  a.add(1);
  b.add(2);
  EXPECT_THROW((void)meter.create_histogram("c"), Error);
  EXPECT_THROW((void)meter.create_counter<double>("c"), Error);
  const auto snap = provider.collect();
  ASSERT_EQ(snap.metrics.size(), 1u);
  EXPECT_EQ(snap.metrics[0].number_points[0].int_value, 3);
}

TEST(Meter, RejectsBoundariesThatAreNotStrictlyIncreasing) {
  MeterProvider provider;
  EXPECT_THROW((void)provider.meter("t").create_histogram("h", {.boundaries = {1, 1}}), Error);
  EXPECT_THROW((void)provider.meter("t").create_histogram("h2", {.boundaries = {2, 1}}), Error);
}

TEST(Histogram, UpperBoundsAreInclusiveAtEveryBoundary) {
  MeterProvider provider;
  const std::vector<double> bounds{0.5, 1, 2.5};
  auto h = provider.meter("t").create_histogram("h", {.unit = "s", .boundaries = bounds});
  // For each boundary: just below, exactly at, just above.
  for (double b : bounds) {
    h.record(std::nextafter(b, -1e9));
    h.record(b);
    h.record(std::nextafter(b, 1e9));
  }
  h.record(-1);
  h.record(1e300);
  const auto snap = provider.collect();
  const MetricData* m = find_metric(snap, "h");
  ASSERT_NE(m, nullptr);
  ASSERT_EQ(m->histogram_points.size(), 1u);
  const HistogramPoint& p = m->histogram_points[0];
  ASSERT_EQ(p.bucket_counts.size(), 4u);
  // (-inf,0.5]: -1, 0.5-, 0.5   (0.5,1]: 0.5+, 1-, 1   (1,2.5]: 1+, 2.5-, 2.5   (2.5,inf): 2.5+,
  // 1e300
  EXPECT_EQ(p.bucket_counts[0], 3u);
  EXPECT_EQ(p.bucket_counts[1], 3u);
  EXPECT_EQ(p.bucket_counts[2], 3u);
  EXPECT_EQ(p.bucket_counts[3], 2u);
  EXPECT_EQ(p.count, 11u);
}

TEST(Histogram, DefaultBoundariesSuitSecondsAndSumIsKept) {
  MeterProvider provider;
  auto h = provider.meter("t").create_histogram("latency");
  auto bound = h.bind({{"route", "/"}});
  bound.record(0.004);
  bound.record(0.2);
  bound.record(20);
  bound.record(std::nan(""));  // dropped
  const auto snap = provider.collect();
  const MetricData* m = find_metric(snap, "latency");
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(m->bounds, default_latency_boundaries());
  const HistogramPoint& p = m->histogram_points[0];
  EXPECT_EQ(p.count, 3u);
  EXPECT_DOUBLE_EQ(p.sum, 20.204);
  EXPECT_EQ(p.bucket_counts.front(), 1u);
  EXPECT_EQ(p.bucket_counts.back(), 1u);
}

TEST(Histogram, ManyBoundariesUseTheSameInclusiveRule) {
  MeterProvider provider;
  std::vector<double> bounds;
  for (int i = 1; i <= 40; ++i) bounds.push_back(i);
  auto h = provider.meter("t").create_histogram("h", {.boundaries = bounds});
  for (int i = 1; i <= 40; ++i) h.record(i);
  const auto snap = provider.collect();
  const HistogramPoint& p = snap.metrics[0].histogram_points[0];
  for (std::size_t i = 0; i < 40; ++i) EXPECT_EQ(p.bucket_counts[i], 1u) << i;
  EXPECT_EQ(p.bucket_counts[40], 0u);
}

TEST(ObservableGauge, CallbackRunsAtEachCollectionAndStopsWhenUnregistered) {
  MeterProvider provider;
  int calls = 0;
  std::int64_t depth = 7;
  auto reg = provider.meter("t").create_observable_gauge("queue.depth", [&](ObserverResult& r) {
    ++calls;
    r.observe(depth, {{"queue", "main"}});
    r.observe(1.5, {{"queue", "side"}});
  });
  EXPECT_EQ(calls, 0);
  auto snap = provider.collect();
  EXPECT_EQ(calls, 1);
  const MetricData* m = find_metric(snap, "queue.depth");
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(m->type, MetricType::kGauge);
  EXPECT_EQ(find_point(*m, "queue", std::string("main"))->value, 7.0);
  EXPECT_EQ(find_point(*m, "queue", std::string("side"))->value, 1.5);
  depth = 3;
  snap = provider.collect();
  EXPECT_EQ(find_point(*find_metric(snap, "queue.depth"), "queue", std::string("main"))->int_value,
            3);
  reg.reset();
  snap = provider.collect();
  EXPECT_EQ(calls, 2);
  EXPECT_EQ(find_metric(snap, "queue.depth"), nullptr);
}

TEST(ObservableCounter, ReportsWhatTheCallbackObserves) {
  MeterProvider provider;
  auto reg = provider.meter("t").create_observable_counter(
      "cpu.seconds", [](ObserverResult& r) { r.observe(std::int64_t{42}); });
  auto up = provider.meter("t").create_observable_up_down_counter(
      "conns", [](ObserverResult& r) { r.observe(-2); });
  const auto snap = provider.collect();
  EXPECT_EQ(find_metric(snap, "cpu.seconds")->type, MetricType::kMonotonicSum);
  EXPECT_TRUE(find_metric(snap, "cpu.seconds")->is_integer);
  EXPECT_EQ(find_metric(snap, "cpu.seconds")->number_points[0].int_value, 42);
  EXPECT_EQ(find_metric(snap, "conns")->type, MetricType::kSum);
  EXPECT_EQ(find_metric(snap, "conns")->number_points[0].int_value, -2);
}

TEST(Cardinality, NewAttributeSetsPastTheLimitGoToOneOverflowSeriesAndAreCounted) {
  MeterProvider provider({.cardinality_limit = 3});
  auto c = provider.meter("t").create_counter<std::int64_t>("c");
  for (int i = 0; i < 10; ++i) c.add(1, {{"user", i}});
  c.add(100, {{"user", 0}});  // an existing set still lands in its own series
  const auto snap = provider.collect();
  const MetricData* m = find_metric(snap, "c");
  ASSERT_NE(m, nullptr);
  ASSERT_EQ(m->number_points.size(), 4u);
  EXPECT_EQ(find_point(*m, "user", std::int64_t{0})->int_value, 101);
  const NumberPoint* overflow = find_point(*m, "otel_metric_overflow", true);
  ASSERT_NE(overflow, nullptr);
  EXPECT_EQ(overflow->int_value, 7);
  EXPECT_EQ(overflow->attributes.size(), 1u);
  EXPECT_EQ(m->overflowed_measurements, 7u);
}

TEST(Views, RenameKeepKeysAndChangeBuckets) {
  MeterProvider provider({.views = {View{.instrument_name = "lat",
                                         .rename = "latency",
                                         .keep_keys = std::vector<std::string>{"model"},
                                         .boundaries = std::vector<double>{1, 2}},
                                    View{.instrument_name = "c", .drop_keys = {"user"}}}});
  auto h = provider.meter("t").create_histogram("lat");
  h.record(1.5, {{"model", "a"}, {"user", "u1"}});
  h.record(1.5, {{"model", "a"}, {"user", "u2"}});
  auto c = provider.meter("t").create_counter<std::int64_t>("c");
  c.add(1, {{"user", "u1"}, {"k", "v"}});
  c.add(1, {{"user", "u2"}, {"k", "v"}});
  const auto snap = provider.collect();
  EXPECT_EQ(find_metric(snap, "lat"), nullptr);
  const MetricData* m = find_metric(snap, "latency");
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(m->bounds, (std::vector<double>{1, 2}));
  ASSERT_EQ(m->histogram_points.size(), 1u);
  EXPECT_EQ(m->histogram_points[0].count, 2u);
  EXPECT_EQ(m->histogram_points[0].bucket_counts[1], 2u);
  EXPECT_EQ(m->histogram_points[0].attributes.size(), 1u);
  const MetricData* cm = find_metric(snap, "c");
  ASSERT_EQ(cm->number_points.size(), 1u);
  EXPECT_EQ(cm->number_points[0].int_value, 2);
  EXPECT_FALSE(cm->number_points[0].attributes.contains("user"));
}

TEST(Exemplars, KeepTheTraceAndSpanIdOfTheSampledSpan) {
  ManualClock clock;
  MeterProvider provider({.clock = &clock});
  auto h = provider.meter("t").create_histogram("h", {.boundaries = {1, 10}});
  auto c = provider.meter("t").create_counter<std::int64_t>("c");
  const TraceId trace = *TraceId::from_hex("0af7651916cd43dd8448eb211c80319c");
  const SpanId span = *SpanId::from_hex("b7ad6b7169203331");
  const TraceId unsampled_trace = *TraceId::from_hex("11111111111111111111111111111111");
  h.record(0.5);  // no span: no exemplar
  {
    auto scope =
        Context().with_span(SpanContext(trace, span, SpanContext::kSampledFlag)).activate();
    h.record(5);
    c.add(2);
  }
  {
    auto scope = Context().with_span(SpanContext(unsampled_trace, span, 0)).activate();
    h.record(50);
  }
  const auto snap = provider.collect();
  const HistogramPoint& p = find_metric(snap, "h")->histogram_points[0];
  ASSERT_EQ(p.exemplars.size(), 3u);
  EXPECT_FALSE(p.exemplars[0].has_value());
  ASSERT_TRUE(p.exemplars[1].has_value());
  EXPECT_EQ(p.exemplars[1]->trace_id, trace);
  EXPECT_EQ(p.exemplars[1]->span_id, span);
  EXPECT_EQ(p.exemplars[1]->value, 5.0);
  EXPECT_EQ(p.exemplars[1]->time_unix_nano, clock.wall_ns());
  EXPECT_FALSE(p.exemplars[2].has_value());
  const NumberPoint& cp = find_metric(snap, "c")->number_points[0];
  ASSERT_TRUE(cp.exemplar.has_value());
  EXPECT_EQ(cp.exemplar->trace_id, trace);
}

TEST(Exemplars, AlwaysOnKeepsMeasurementsOutsideSampledSpansWithoutIds) {
  ManualClock clock;
  MeterProvider provider({.clock = &clock, .exemplar_filter = ExemplarFilter::kAlwaysOn});
  auto h = provider.meter("t").create_histogram("h", {.boundaries = {1, 10}});
  const TraceId trace = *TraceId::from_hex("0af7651916cd43dd8448eb211c80319c");
  const SpanId span = *SpanId::from_hex("b7ad6b7169203331");
  h.record(0.5);  // no span: an exemplar without ids
  {
    auto scope =
        Context().with_span(SpanContext(trace, span, SpanContext::kSampledFlag)).activate();
    h.record(5);
  }
  {
    auto scope = Context().with_span(SpanContext(trace, span, 0)).activate();
    h.record(50);  // unsampled span: kept, but its ids are not (no trace to follow)
  }
  const auto snap = provider.collect();
  const HistogramPoint& p = find_metric(snap, "h")->histogram_points[0];
  ASSERT_EQ(p.exemplars.size(), 3u);
  ASSERT_TRUE(p.exemplars[0].has_value());
  EXPECT_EQ(p.exemplars[0]->value, 0.5);
  EXPECT_FALSE(p.exemplars[0]->trace_id.is_valid());
  ASSERT_TRUE(p.exemplars[1].has_value());
  EXPECT_EQ(p.exemplars[1]->trace_id, trace);
  ASSERT_TRUE(p.exemplars[2].has_value());
  EXPECT_EQ(p.exemplars[2]->value, 50.0);
  EXPECT_FALSE(p.exemplars[2]->span_id.is_valid());
}

TEST(Exemplars, AlwaysOffKeepsNone) {
  MeterProvider provider({.exemplar_filter = ExemplarFilter::kAlwaysOff});
  auto h = provider.meter("t").create_histogram("h");
  {
    auto scope = Context()
                     .with_span(SpanContext(*TraceId::from_hex("0af7651916cd43dd8448eb211c80319c"),
                                            *SpanId::from_hex("b7ad6b7169203331"),
                                            SpanContext::kSampledFlag))
                     .activate();
    h.record(0.1);
  }
  const auto snap = provider.collect();
  for (const auto& e : snap.metrics[0].histogram_points[0].exemplars) EXPECT_FALSE(e.has_value());
}

}  // namespace
}  // namespace lumen::metrics

namespace lumen::metrics {
namespace {

TEST(Cardinality, ObservableCallbacksPastTheLimitShareOneOverflowPoint) {
  MeterProvider provider({.cardinality_limit = 2});
  auto reg = provider.meter("t").create_observable_gauge("g", [](ObserverResult& r) {
    for (int i = 0; i < 5; ++i) r.observe(i, {{"i", i}});
  });
  const auto snap = provider.collect();
  const MetricData* m = find_metric(snap, "g");
  ASSERT_NE(m, nullptr);
  ASSERT_EQ(m->number_points.size(), 3u);
  const NumberPoint* overflow = find_point(*m, "otel_metric_overflow", true);
  ASSERT_NE(overflow, nullptr);
  EXPECT_EQ(overflow->int_value, 4);
}

}  // namespace
}  // namespace lumen::metrics
