#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <limits>
#include <numeric>
#include <random>
#include <string>

#include "lumen/core/context.hpp"
#include "lumen/core/error.hpp"
#include "lumen/metrics/meter.hpp"
#include "lumen/metrics/metric_exporter.hpp"
#include "lumen/metrics/prometheus.hpp"
#include "lumen/metrics/temporality.hpp"
#include "metric_named.hpp"
#include "metrics/exponential_cell.hpp"

namespace lumen::metrics {
namespace {

using namespace std::chrono_literals;
using detail::exponential_bound;
using detail::exponential_index;

std::uint64_t total(const ExponentialBuckets& b) {
  return std::accumulate(b.bucket_counts.begin(), b.bucket_counts.end(), std::uint64_t{0});
}

// The bucket index of a value, looked up by the bucket's counts (exactly one bucket holds 1).
std::int64_t only_index(const ExponentialBuckets& b) {
  for (std::size_t k = 0; k < b.bucket_counts.size(); ++k) {
    if (b.bucket_counts[k] != 0) return b.offset + static_cast<std::int64_t>(k);
  }
  return std::numeric_limits<std::int64_t>::min();
}

TEST(ExponentialIndex, PowerOfTwoIsTheInclusiveUpperBoundOfItsBucketAtEveryScale) {
  for (int scale = -10; scale <= 20; ++scale) {
    for (int e : {-1074, -1022, -20, -1, 0, 1, 2, 3, 10, 1023}) {
      const double v = std::ldexp(1.0, e);
      const double above = std::nextafter(v, std::numeric_limits<double>::infinity());
      const double below = std::nextafter(v, 0.0);
      // 2^e closes bucket (e << scale) - 1; the next double opens the following bucket.
      const std::int64_t closes = scale >= 0 ? std::int64_t{e} * (std::int64_t{1} << scale) - 1
                                             : (std::int64_t{e} - 1) >> -scale;
      const std::int64_t opens = scale >= 0 ? closes + 1 : std::int64_t{e} >> -scale;
      EXPECT_EQ(exponential_index(v, scale), closes) << "2^" << e << " scale " << scale;
      if (e < 1023 && e > -1074) {  // after 2^-1074 the next double is 2^-1073
        EXPECT_EQ(exponential_index(above, scale), opens) << "2^" << e << "+ scale " << scale;
      }
      if (e > -1074) {
        EXPECT_EQ(exponential_index(below, scale), closes) << "2^" << e << "- scale " << scale;
      }
    }
  }
}

TEST(ExponentialIndex, KnownBucketsAtPositiveZeroAndNegativeScales) {
  // scale 1: base sqrt(2); (1, 1.414] is 0, (1.414, 2] is 1, (2, 2.83] is 2, (2.83, 4] is 3.
  EXPECT_EQ(exponential_index(1.4, 1), 0);
  EXPECT_EQ(exponential_index(1.5, 1), 1);
  EXPECT_EQ(exponential_index(2.5, 1), 2);
  EXPECT_EQ(exponential_index(3.0, 1), 3);
  EXPECT_EQ(exponential_index(0.75, 1), -1);  // (0.707, 1]
  // scale 0: base 2.
  EXPECT_EQ(exponential_index(3.0, 0), 1);
  EXPECT_EQ(exponential_index(0.3, 0), -2);  // (0.25, 0.5]
  // scale -1: base 4; (1, 4] is 0, (4, 16] is 1, (0.25, 1] is -1, (1/16, 1/4] is -2.
  EXPECT_EQ(exponential_index(4.0, -1), 0);
  EXPECT_EQ(exponential_index(5.0, -1), 1);
  EXPECT_EQ(exponential_index(1.0, -1), -1);
  EXPECT_EQ(exponential_index(0.3, -1), -1);
  EXPECT_EQ(exponential_index(0.2, -1), -2);
  // scale -2: base 16.
  EXPECT_EQ(exponential_index(16.0, -2), 0);
  EXPECT_EQ(exponential_index(17.0, -2), 1);
  EXPECT_EQ(exponential_index(1.0, -2), -1);
}

TEST(ExponentialIndex, ExtremesOfTheDoubleRangeStayInRange) {
  const double tiny = std::numeric_limits<double>::denorm_min();  // 2^-1074
  const double huge = std::numeric_limits<double>::max();
  EXPECT_EQ(exponential_index(tiny, 0), -1075);
  EXPECT_EQ(exponential_index(huge, 0), 1023);
  EXPECT_EQ(exponential_index(huge, 20), 1024 * (1 << 20) - 1);
  EXPECT_EQ(exponential_index(tiny, 20), -1074 * (1 << 20) - 1);
  EXPECT_EQ(exponential_index(huge, -10), 0);
  EXPECT_EQ(exponential_index(tiny, -10), -2);
}

TEST(ExponentialIndex, EveryValueLiesBetweenItsBucketsBounds) {
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<double> exponent(-300.0, 300.0);
  for (int scale : {1, 3, 8, 14, 20}) {
    for (int i = 0; i < 2000; ++i) {
      const double v = std::exp2(exponent(rng));
      const std::int32_t index = exponential_index(v, scale);
      // The bounds come from exp2, so allow a few ulps of disagreement at a boundary.
      EXPECT_GT(v, exponential_bound(index, scale) * (1 - 1e-14)) << v << " scale " << scale;
      EXPECT_LE(v, exponential_bound(index + 1, scale) * (1 + 1e-14)) << v << " scale " << scale;
    }
  }
  EXPECT_EQ(exponential_bound(3, 0), 8.0);
  EXPECT_EQ(exponential_bound(-1, -1), 0.25);
  EXPECT_DOUBLE_EQ(exponential_bound(1, 1), std::sqrt(2.0));
  EXPECT_EQ(exponential_bound(4, 2), 2.0);
}

TEST(ExponentialHistogram, DownscalesToTheLargestScaleThatFitsAndKeepsTheCounts) {
  MeterProvider provider;
  auto h = provider.meter("t").create_histogram(
      "size", {.exponential = Base2Exponential{.max_size = 20, .max_scale = 20}});
  h.record(1.0);
  h.record(1e6);
  const auto snap = provider.collect();
  const MetricData& m = metric_named(snap, "size");
  ASSERT_EQ(m.type, MetricType::kExponentialHistogram);
  const ExponentialHistogramPoint& p = m.exponential_points.at(0);
  // At scale 0 the indexes are -1 (1 = 2^0 closes bucket -1) and 19 (2^19 < 1e6 <= 2^20): 21
  // buckets, one too many. At scale -1 (base 4) they are -1 and 9: 11 buckets.
  EXPECT_EQ(p.scale, -1);
  EXPECT_EQ(p.positive.offset, -1);
  ASSERT_EQ(p.positive.bucket_counts.size(), 11U);
  EXPECT_EQ(p.positive.bucket_counts.front(), 1U);
  EXPECT_EQ(p.positive.bucket_counts.back(), 1U);
  EXPECT_EQ(total(p.positive), 2U);
  EXPECT_EQ(p.count, 2U);
  EXPECT_EQ(p.sum, 1e6 + 1);
  // The largest scale that fits, computed independently of the cell.
  int best = 20;
  while (exponential_index(1e6, best) - exponential_index(1.0, best) + 1 > 20) --best;
  EXPECT_EQ(p.scale, best);
}

TEST(ExponentialHistogram, StaysAtMaxScaleWhileTheValuesFit) {
  MeterProvider provider;
  auto h = provider.meter("t").create_histogram(
      "h", {.exponential = Base2Exponential{.max_size = 160, .max_scale = 3}});
  for (double v : {1.1, 1.2, 1.3, 100.0}) h.record(v);  // 1.1 .. 100 is 53 buckets at scale 3
  const MetricsSnapshot snap_p = provider.collect();
  const ExponentialHistogramPoint& p = metric_named(snap_p, "h").exponential_points.at(0);
  EXPECT_EQ(p.scale, 3);
  EXPECT_EQ(p.positive.offset, exponential_index(1.1, 3));
  EXPECT_EQ(p.positive.offset + static_cast<std::int64_t>(p.positive.bucket_counts.size()) - 1,
            exponential_index(100.0, 3));
  EXPECT_EQ(total(p.positive), 4U);
}

TEST(ExponentialHistogram, ZeroAndNegativeValuesHaveTheirOwnCountsAndMinMaxSumCountCoverAll) {
  MeterProvider provider;
  auto h =
      provider.meter("t").create_histogram("delta.seconds", {.exponential = Base2Exponential{}});
  for (double v : {0.0, -0.0, -3.0, -5.0, 2.0}) h.record(v);
  h.record(std::numeric_limits<double>::quiet_NaN());  // ignored: no bucket holds them
  h.record(std::numeric_limits<double>::infinity());
  h.record(-std::numeric_limits<double>::infinity());
  const MetricsSnapshot snap_p = provider.collect();
  const ExponentialHistogramPoint& p =
      metric_named(snap_p, "delta.seconds").exponential_points.at(0);
  EXPECT_EQ(p.count, 5U);
  EXPECT_EQ(p.zero_count, 2U);
  EXPECT_EQ(total(p.negative), 2U);
  EXPECT_EQ(total(p.positive), 1U);
  EXPECT_EQ(p.sum, -6.0);
  ASSERT_TRUE(p.min && p.max);
  EXPECT_EQ(*p.min, -5.0);
  EXPECT_EQ(*p.max, 2.0);
  // Both signs share one scale: 3 and 5 needed it lowered below 20 to fit in 160 buckets.
  EXPECT_LT(p.scale, 20);
  EXPECT_EQ(p.negative.offset, exponential_index(3.0, p.scale));
  EXPECT_EQ(p.negative.offset + static_cast<std::int64_t>(p.negative.bucket_counts.size()) - 1,
            exponential_index(5.0, p.scale));
  EXPECT_LE(p.negative.bucket_counts.size(), 160U);
  EXPECT_EQ(only_index(p.positive), exponential_index(2.0, p.scale));
}

TEST(ExponentialHistogram, BoundHandleAndAttributesMakeSeparateSeries) {
  MeterProvider provider;
  auto h = provider.meter("t").create_histogram("h", {.exponential = Base2Exponential{}});
  auto bound = h.bind({{"model", "a"}});
  bound.record(1.0);
  bound.record(2.0);
  h.record(4.0, {{"model", "b"}});
  const MetricsSnapshot snap_m = provider.collect();
  const MetricData& m = metric_named(snap_m, "h");
  ASSERT_EQ(m.exponential_points.size(), 2U);
  EXPECT_TRUE(m.histogram_points.empty());
  for (const auto& p : m.exponential_points) {
    const bool a = *p.attributes.find("model") == AttributeValue(std::string("a"));
    EXPECT_EQ(p.count, a ? 2U : 1U);
  }
}

TEST(ExponentialHistogram, ExemplarKeepsTheSampledSpan) {
  ManualClock clock;
  MeterProvider provider({.clock = &clock});
  auto h = provider.meter("t").create_histogram("h", {.exponential = Base2Exponential{}});
  const TraceId trace = *TraceId::from_hex("0af7651916cd43dd8448eb211c80319c");
  const SpanId span = *SpanId::from_hex("b7ad6b7169203331");
  h.record(0.5);
  {
    auto scope =
        Context().with_span(SpanContext(trace, span, SpanContext::kSampledFlag)).activate();
    h.record(7.0);
  }
  const MetricsSnapshot snap_p = provider.collect();
  const ExponentialHistogramPoint& p = metric_named(snap_p, "h").exponential_points.at(0);
  ASSERT_EQ(p.exemplars.size(), 1U);
  EXPECT_EQ(p.exemplars[0].trace_id, trace);
  EXPECT_EQ(p.exemplars[0].value, 7.0);
}

TEST(ExponentialHistogram, ViewSwitchesAnInstrumentToExponentialAndBack) {
  MeterProvider provider(
      {.views = {
           {.instrument_name = "latency", .exponential = Base2Exponential{.max_size = 8}},
           {.instrument_name = "size", .boundaries = std::vector<double>{1, 2}},
       }});
  Meter& meter = provider.meter("t");
  auto latency = meter.create_histogram("latency", {.boundaries = {0.1, 1}});
  auto size = meter.create_histogram("size", {.exponential = Base2Exponential{}});
  latency.record(0.3);
  latency.record(300);
  size.record(1.5);
  const auto snap = provider.collect();
  const MetricData& l = metric_named(snap, "latency");
  EXPECT_EQ(l.type, MetricType::kExponentialHistogram);
  EXPECT_TRUE(l.bounds.empty());
  ASSERT_EQ(l.exponential_points.size(), 1U);
  EXPECT_LE(l.exponential_points[0].positive.bucket_counts.size(), 8U);
  EXPECT_EQ(l.exponential_points[0].count, 2U);
  const MetricData& s = metric_named(snap, "size");
  EXPECT_EQ(s.type, MetricType::kHistogram);
  EXPECT_EQ(s.bounds, (std::vector<double>{1, 2}));
  EXPECT_EQ(s.histogram_points.at(0).bucket_counts, (std::vector<std::uint64_t>{0, 1, 0}));
}

TEST(ExponentialHistogram, BadOptionsAreRejectedAtCreation) {
  MeterProvider provider;
  Meter& meter = provider.meter("t");
  EXPECT_THROW((void)meter.create_histogram("a", {.exponential = Base2Exponential{.max_size = 1}}),
               Error);
  EXPECT_THROW(
      (void)meter.create_histogram("b", {.exponential = Base2Exponential{.max_scale = 21}}), Error);
  EXPECT_THROW(
      (void)meter.create_histogram("c", {.exponential = Base2Exponential{.max_scale = -11}}),
      Error);
  EXPECT_THROW(
      (void)meter.create_histogram("d", {.boundaries = {1, 2}, .exponential = Base2Exponential{}}),
      Error);
  EXPECT_NO_THROW((void)meter.create_histogram(
      "e", {.exponential = Base2Exponential{.max_size = 2, .max_scale = -10}}));
}

DeltaConverter::TemporalityOf delta_for_all() {
  return [](InstrumentKind) { return Temporality::kDelta; };
}

TEST(ExponentialHistogram, DeltaSubtractsThePreviousCollectionAtTheCurrentScale) {
  ManualClock clock;
  MeterProvider provider({.clock = &clock});
  auto h = provider.meter("t").create_histogram(
      "h", {.exponential = Base2Exponential{.max_size = 4, .max_scale = 0}});
  DeltaConverter delta;
  h.record(1.0);  // index -1 at scale 0
  h.record(2.0);  // index 0
  clock.advance(10s);
  MetricsSnapshot first = provider.collect();
  delta.convert(first, delta_for_all());
  const ExponentialHistogramPoint& p1 = metric_named(first, "h").exponential_points.at(0);
  EXPECT_EQ(metric_named(first, "h").temporality, Temporality::kDelta);
  EXPECT_EQ(p1.scale, 0);
  EXPECT_EQ(p1.positive.offset, -1);
  EXPECT_EQ(p1.positive.bucket_counts, (std::vector<std::uint64_t>{1, 1}));
  EXPECT_EQ(p1.min, 1.0);
  EXPECT_EQ(p1.max, 2.0);

  h.record(3.0);    // index 1 at scale 0
  h.record(100.0);  // index 6 at scale 0: -1 .. 6 needs scale -2 (base 16) to fit in 4 buckets
  clock.advance(10s);
  MetricsSnapshot second = provider.collect();
  delta.convert(second, delta_for_all());
  const ExponentialHistogramPoint& p2 = metric_named(second, "h").exponential_points.at(0);
  EXPECT_EQ(p2.scale, -2);
  // Cumulative at scale -2: 1 -> -1; 2 and 3 -> 0; 100 -> 1. Minus the first interval (1 and 2).
  EXPECT_EQ(p2.positive.offset, 0);
  EXPECT_EQ(p2.positive.bucket_counts, (std::vector<std::uint64_t>{1, 1}));
  EXPECT_EQ(p2.count, 2U);
  EXPECT_EQ(p2.sum, 103.0);
  EXPECT_FALSE(p2.min.has_value());  // the smallest value so far (1) was recorded earlier
  EXPECT_EQ(p2.max, 100.0);          // the largest was recorded in this interval

  clock.advance(10s);
  MetricsSnapshot third = provider.collect();  // nothing recorded
  delta.convert(third, delta_for_all());
  const ExponentialHistogramPoint& p3 = metric_named(third, "h").exponential_points.at(0);
  EXPECT_EQ(p3.count, 0U);
  EXPECT_TRUE(p3.positive.bucket_counts.empty());
  EXPECT_FALSE(p3.min.has_value());
  EXPECT_FALSE(p3.max.has_value());

  // A cumulative collection of the same provider still has every value.
  const MetricsSnapshot snap_c = provider.collect();
  const ExponentialHistogramPoint& c = metric_named(snap_c, "h").exponential_points.at(0);
  EXPECT_EQ(c.count, 4U);
  EXPECT_EQ(c.positive.bucket_counts, (std::vector<std::uint64_t>{1, 2, 1}));
}

TEST(ExponentialHistogram, CumulativeTemporalityLeavesThePointsAlone) {
  MeterProvider provider;
  auto h = provider.meter("t").create_histogram("h", {.exponential = Base2Exponential{}});
  DeltaConverter delta;
  h.record(5.0);
  MetricsSnapshot first = provider.collect();
  delta.convert(first, [](InstrumentKind) { return Temporality::kCumulative; });
  h.record(6.0);
  MetricsSnapshot second = provider.collect();
  delta.convert(second, [](InstrumentKind) { return Temporality::kCumulative; });
  const MetricData& m = metric_named(second, "h");
  EXPECT_EQ(m.temporality, Temporality::kCumulative);
  EXPECT_EQ(m.exponential_points.at(0).count, 2U);
  EXPECT_EQ(m.exponential_points.at(0).min, 5.0);
}

TEST(ExponentialHistogram, PrometheusTextShowsItAsAClassicHistogramWithBucketBounds) {
  MeterProvider provider;
  auto h = provider.meter("t").create_histogram(
      "payload", {.unit = "By", .exponential = Base2Exponential{.max_size = 160, .max_scale = 0}});
  for (double v : {1.0, 3.0, 0.0, -2.0}) h.record(v);
  const std::string text = serialize(provider.collect(), ExpositionFormat::kPrometheusText);
  // -2 is in negative bucket 0 (magnitudes (1, 2]); 0 in the zero count; 1 closes bucket -1 and 3
  // is in bucket 1 ((2, 4]).
  EXPECT_NE(text.find("# TYPE payload_bytes histogram\n"
                      "payload_bytes_bucket{le=\"-1\"} 1\n"
                      "payload_bytes_bucket{le=\"0\"} 2\n"
                      "payload_bytes_bucket{le=\"1\"} 3\n"
                      "payload_bytes_bucket{le=\"2\"} 3\n"
                      "payload_bytes_bucket{le=\"4\"} 4\n"
                      "payload_bytes_bucket{le=\"+Inf\"} 4\n"
                      "payload_bytes_sum 2\n"
                      "payload_bytes_count 4\n"),
            std::string::npos)
      << text;
  // OpenMetrics: no _sum once negative values were recorded (it would not be a counter).
  const std::string om = serialize(provider.collect(), ExpositionFormat::kOpenMetrics);
  EXPECT_NE(om.find("payload_bytes_bucket{le=\"-1.0\"} 1\n"), std::string::npos) << om;
  EXPECT_EQ(om.find("payload_bytes_sum"), std::string::npos) << om;
  EXPECT_NE(om.find("payload_bytes_count 4\n"), std::string::npos) << om;
}

TEST(ExponentialHistogram, OpenMetricsPutsTheExemplarOnTheBucketLineThatHoldsItsValue) {
  ManualClock clock;
  MeterProvider provider({.clock = &clock});
  auto h = provider.meter("t").create_histogram(
      "payload", {.unit = "By", .exponential = Base2Exponential{.max_size = 160, .max_scale = 0}});
  const TraceId trace = *TraceId::from_hex("0af7651916cd43dd8448eb211c80319c");
  const SpanId span = *SpanId::from_hex("b7ad6b7169203331");
  h.record(1.0);
  {
    const SpanContext sampled(trace, span, SpanContext::kSampledFlag);
    auto scope = Context().with_span(sampled).activate();
    h.record(3.0);  // bucket (2, 4]
  }
  const std::string om = serialize(provider.collect(), ExpositionFormat::kOpenMetrics);
  EXPECT_NE(
      om.find("payload_bytes_bucket{le=\"4.0\"} 2 # "
              "{trace_id=\"0af7651916cd43dd8448eb211c80319c\",span_id=\"b7ad6b7169203331\"} 3 "),
      std::string::npos)
      << om;
  EXPECT_EQ(om.find("# {"), om.rfind("# {")) << "one exemplar, on one line: " << om;
  // The classic text format has no exemplars.
  const std::string text = serialize(provider.collect(), ExpositionFormat::kPrometheusText);
  EXPECT_EQ(text.find("trace_id"), std::string::npos) << text;
}

}  // namespace
}  // namespace lumen::metrics
