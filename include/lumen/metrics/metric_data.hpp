// The metrics snapshot: what a collection hands to exporters (Prometheus text, OpenMetrics, OTLP).
// Plain values; a collection yields cumulative temporality, and a periodic reader may turn sums and
// histograms into deltas for an exporter that prefers them. Nothing here points back into the hot
// path.
//
//   lumen::metrics::MetricsSnapshot snap = provider.collect();
//   for (const lumen::metrics::MetricData& m : snap.metrics) {
//     for (const auto& p : m.number_points) use(m.name, p.attributes, p.value);
//   }
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "lumen/core/attributes.hpp"
#include "lumen/core/ids.hpp"
#include "lumen/core/resource.hpp"

namespace lumen::metrics {

enum class InstrumentKind {
  kCounter,
  kUpDownCounter,
  kHistogram,
  kObservableCounter,
  kObservableUpDownCounter,
  kObservableGauge,
};

// How exporters should present a metric: a monotonic sum, a non-monotonic sum, a gauge, an
// explicit-bucket histogram, or a base-2 exponential histogram.
enum class MetricType { kMonotonicSum, kSum, kGauge, kHistogram, kExponentialHistogram };

// Whether a point covers [start, time] since the instrument began (cumulative) or only since the
// previous export (delta). Meaningless for gauges.
enum class Temporality : std::uint8_t { kCumulative, kDelta };

// A measurement that was recorded inside a sampled span.
struct Exemplar {
  double value = 0;
  TraceId trace_id;
  SpanId span_id;
  std::uint64_t time_unix_nano = 0;
};

struct NumberPoint {
  Attributes attributes;
  // Integer instruments fill int_value (and value, as a double); floating ones fill value only.
  double value = 0;
  std::int64_t int_value = 0;
  std::optional<Exemplar> exemplar;
};

struct HistogramPoint {
  Attributes attributes;
  // bucket_counts[i] counts values v with bounds[i-1] < v <= bounds[i]; the last one is (last,
  // +Inf]. Not cumulative: exporters that need cumulative counts sum them.
  std::vector<std::uint64_t> bucket_counts;
  double sum = 0;
  std::uint64_t count = 0;
  // The largest value counted (cumulative: since the start); unset when nothing was counted, or
  // in a delta interval in which the largest value did not grow (it is then unknown).
  std::optional<double> max;
  // One slot per bucket; empty when no sampled span recorded into that bucket.
  std::vector<std::optional<Exemplar>> exemplars;
};

// One sign's buckets of an exponential histogram: bucket_counts[k] counts the values whose
// magnitude lies in (base^(offset+k), base^(offset+k+1)], base = 2^(2^-scale).
struct ExponentialBuckets {
  std::int32_t offset = 0;
  std::vector<std::uint64_t> bucket_counts;
};

struct ExponentialHistogramPoint {
  Attributes attributes;
  std::int32_t scale = 0;
  std::uint64_t zero_count = 0;  // values equal to 0 (the zero threshold is 0)
  ExponentialBuckets positive;
  ExponentialBuckets
      negative;  // by magnitude: bucket k holds -base^(offset+k+1) <= v < -base^(offset+k)
  double sum = 0;
  std::uint64_t count = 0;
  // Absent when unknown: no measurement, or a delta interval whose extreme was set earlier.
  std::optional<double> min;
  std::optional<double> max;
  std::vector<Exemplar> exemplars;
};

struct MetricData {
  std::string name;
  std::string description;
  std::string unit;
  std::string scope;  // the meter's name
  InstrumentKind kind = InstrumentKind::kCounter;
  MetricType type = MetricType::kMonotonicSum;
  bool is_integer = true;
  Temporality temporality = Temporality::kCumulative;
  // Cumulative: when the instrument was created. Delta: the previous export's time.
  std::uint64_t start_time_unix_nano = 0;
  std::uint64_t time_unix_nano = 0;
  std::vector<NumberPoint> number_points;        // sums and gauges
  std::vector<double> bounds;                    // histograms: the explicit upper bounds
  std::vector<HistogramPoint> histogram_points;  // histograms
  std::vector<ExponentialHistogramPoint> exponential_points;  // exponential histograms
  // Measurements with a new attribute set that arrived after the cardinality limit was reached
  // (they are aggregated into the otel_metric_overflow="true" series).
  std::uint64_t overflowed_measurements = 0;
};

struct MetricsSnapshot {
  Resource resource;
  std::vector<MetricData> metrics;
};

}  // namespace lumen::metrics
