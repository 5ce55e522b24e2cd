#include "export/otlp_metrics_encoder.hpp"

#include <algorithm>
#include <string_view>

#include "export/otlp_json_common.hpp"
#include "export/otlp_proto_encoder.hpp"

namespace lumen::exporters::detail {
namespace {

using metrics::Exemplar;
using metrics::ExponentialBuckets;
using metrics::ExponentialHistogramPoint;
using metrics::HistogramPoint;
using metrics::MetricData;
using metrics::MetricType;
using metrics::NumberPoint;
using Json = nlohmann::ordered_json;

int temporality_value(const MetricData& m) {
  return m.temporality == metrics::Temporality::kDelta ? kOtlpTemporalityDelta
                                                       : kOtlpTemporalityCumulative;
}

// Meters in the order they first appear, each with its metrics in snapshot order.
std::vector<std::pair<std::string_view, std::vector<const MetricData*>>> by_scope(
    const metrics::MetricsSnapshot& snapshot) {
  std::vector<std::pair<std::string_view, std::vector<const MetricData*>>> scopes;
  for (const MetricData& m : snapshot.metrics) {
    auto it = std::find_if(scopes.begin(), scopes.end(),
                           [&](const auto& s) { return s.first == m.scope; });
    if (it == scopes.end()) {
      scopes.emplace_back(m.scope, std::vector<const MetricData*>{});
      it = scopes.end() - 1;
    }
    it->second.push_back(&m);
  }
  return scopes;
}

// ---- protobuf ----

void write_exemplar(ProtoWriter& w, std::uint32_t field, const Exemplar& e) {
  const std::size_t ex = w.begin_message(field);
  if (e.time_unix_nano != 0) w.fixed64_field(2, e.time_unix_nano);
  w.double_field(3, e.value);
  if (e.span_id.is_valid()) w.bytes_field(4, e.span_id.bytes().data(), e.span_id.bytes().size());
  if (e.trace_id.is_valid()) w.bytes_field(5, e.trace_id.bytes().data(), e.trace_id.bytes().size());
  w.end_message(ex);
}

void write_number_point(ProtoWriter& w, const MetricData& m, const NumberPoint& p) {
  const std::size_t dp = w.begin_message(1);
  write_key_values(w, 7, p.attributes);
  if (m.start_time_unix_nano != 0) w.fixed64_field(2, m.start_time_unix_nano);
  w.fixed64_field(3, m.time_unix_nano);
  if (m.is_integer) {
    w.fixed64_field(6, static_cast<std::uint64_t>(p.int_value));  // sfixed64: same bytes
  } else {
    w.double_field(4, p.value);
  }
  if (p.exemplar) write_exemplar(w, 5, *p.exemplar);
  w.end_message(dp);
}

void write_histogram_point(ProtoWriter& w, const MetricData& m, const HistogramPoint& p) {
  const std::size_t dp = w.begin_message(1);
  write_key_values(w, 9, p.attributes);
  if (m.start_time_unix_nano != 0) w.fixed64_field(2, m.start_time_unix_nano);
  w.fixed64_field(3, m.time_unix_nano);
  w.fixed64_field(4, p.count);
  w.double_field(5, p.sum);
  if (!p.bucket_counts.empty()) {
    w.tag(6, WireType::kLengthDelimited);
    w.varint(p.bucket_counts.size() * 8);
    for (std::uint64_t c : p.bucket_counts) w.raw_fixed64(c);
  }
  if (!m.bounds.empty()) {
    w.tag(7, WireType::kLengthDelimited);
    w.varint(m.bounds.size() * 8);
    for (double b : m.bounds) w.raw_double(b);
  }
  for (const auto& e : p.exemplars) {
    if (e) write_exemplar(w, 8, *e);
  }
  if (p.max) w.double_field(12, *p.max);  // HistogramDataPoint.max (min, field 11, is not kept)
  w.end_message(dp);
}

std::uint64_t zigzag32(std::int32_t v) {
  return static_cast<std::uint32_t>((static_cast<std::uint32_t>(v) << 1) ^
                                    static_cast<std::uint32_t>(v >> 31));
}

void write_exponential_buckets(ProtoWriter& w, std::uint32_t field, const ExponentialBuckets& b) {
  const std::size_t buckets = w.begin_message(field);
  if (b.offset != 0) w.varint_field(1, zigzag32(b.offset));  // sint32
  if (!b.bucket_counts.empty()) {
    std::size_t bytes = 0;
    for (std::uint64_t c : b.bucket_counts) bytes += varint_size(c);
    w.tag(2, WireType::kLengthDelimited);  // packed uint64
    w.varint(bytes);
    for (std::uint64_t c : b.bucket_counts) w.varint(c);
  }
  w.end_message(buckets);
}

// Negative measurements make the sum no longer a counter; opentelemetry-proto says to leave it out.
bool exponential_has_sum(const ExponentialHistogramPoint& p) {
  return p.negative.bucket_counts.empty();
}

void write_exponential_point(ProtoWriter& w, const MetricData& m,
                             const ExponentialHistogramPoint& p) {
  const std::size_t dp = w.begin_message(1);
  write_key_values(w, 1, p.attributes);
  if (m.start_time_unix_nano != 0) w.fixed64_field(2, m.start_time_unix_nano);
  w.fixed64_field(3, m.time_unix_nano);
  w.fixed64_field(4, p.count);
  if (exponential_has_sum(p)) w.double_field(5, p.sum);
  w.varint_field(6, zigzag32(p.scale));  // sint32
  w.fixed64_field(7, p.zero_count);
  write_exponential_buckets(w, 8, p.positive);
  write_exponential_buckets(w, 9, p.negative);
  for (const Exemplar& e : p.exemplars) write_exemplar(w, 11, e);
  if (p.min) w.double_field(12, *p.min);
  if (p.max) w.double_field(13, *p.max);
  w.end_message(dp);
}

void write_metric(ProtoWriter& w, const MetricData& m) {
  const std::size_t metric = w.begin_message(2);  // ScopeMetrics.metrics
  w.string_field(1, m.name);
  if (!m.description.empty()) w.string_field(2, m.description);
  if (!m.unit.empty()) w.string_field(3, m.unit);
  switch (m.type) {
    case MetricType::kGauge: {
      const std::size_t gauge = w.begin_message(5);
      for (const NumberPoint& p : m.number_points) write_number_point(w, m, p);
      w.end_message(gauge);
      break;
    }
    case MetricType::kMonotonicSum:
    case MetricType::kSum: {
      const std::size_t sum = w.begin_message(7);
      for (const NumberPoint& p : m.number_points) write_number_point(w, m, p);
      w.varint_field(2, static_cast<std::uint64_t>(temporality_value(m)));
      if (m.type == MetricType::kMonotonicSum) w.bool_field(3, true);
      w.end_message(sum);
      break;
    }
    case MetricType::kHistogram: {
      const std::size_t histogram = w.begin_message(9);
      for (const HistogramPoint& p : m.histogram_points) write_histogram_point(w, m, p);
      w.varint_field(2, static_cast<std::uint64_t>(temporality_value(m)));
      w.end_message(histogram);
      break;
    }
    case MetricType::kExponentialHistogram: {
      const std::size_t histogram = w.begin_message(10);
      for (const ExponentialHistogramPoint& p : m.exponential_points) {
        write_exponential_point(w, m, p);
      }
      w.varint_field(2, static_cast<std::uint64_t>(temporality_value(m)));
      w.end_message(histogram);
      break;
    }
  }
  w.end_message(metric);
}

// ---- JSON ----

std::string u64(std::uint64_t v) {
  return std::to_string(v);
}

Json exemplar_json(const Exemplar& e) {
  Json ex = Json::object();
  if (e.time_unix_nano != 0) ex["timeUnixNano"] = u64(e.time_unix_nano);
  ex["asDouble"] = otlp_double_json(e.value);
  if (e.span_id.is_valid()) ex["spanId"] = e.span_id.to_hex();
  if (e.trace_id.is_valid()) ex["traceId"] = e.trace_id.to_hex();
  return ex;
}

void put_point_common(Json& dp, const MetricData& m, const Attributes& attributes) {
  if (!attributes.empty()) dp["attributes"] = key_values_json(attributes);
  if (m.start_time_unix_nano != 0) dp["startTimeUnixNano"] = u64(m.start_time_unix_nano);
  dp["timeUnixNano"] = u64(m.time_unix_nano);
}

Json number_points_json(const MetricData& m) {
  Json points = Json::array();
  for (const NumberPoint& p : m.number_points) {
    Json dp = Json::object();
    put_point_common(dp, m, p.attributes);
    if (m.is_integer) {
      dp["asInt"] = std::to_string(p.int_value);
    } else {
      dp["asDouble"] = otlp_double_json(p.value);
    }
    if (p.exemplar) dp["exemplars"] = Json::array({exemplar_json(*p.exemplar)});
    points.push_back(std::move(dp));
  }
  return points;
}

Json histogram_points_json(const MetricData& m) {
  Json points = Json::array();
  for (const HistogramPoint& p : m.histogram_points) {
    Json dp = Json::object();
    put_point_common(dp, m, p.attributes);
    dp["count"] = u64(p.count);
    dp["sum"] = otlp_double_json(p.sum);
    Json counts = Json::array();
    for (std::uint64_t c : p.bucket_counts) counts.push_back(u64(c));
    dp["bucketCounts"] = std::move(counts);
    Json bounds = Json::array();
    for (double b : m.bounds) bounds.push_back(otlp_double_json(b));
    dp["explicitBounds"] = std::move(bounds);
    if (p.max) dp["max"] = otlp_double_json(*p.max);
    Json exemplars = Json::array();
    for (const auto& e : p.exemplars) {
      if (e) exemplars.push_back(exemplar_json(*e));
    }
    if (!exemplars.empty()) dp["exemplars"] = std::move(exemplars);
    points.push_back(std::move(dp));
  }
  return points;
}

Json exponential_buckets_json(const ExponentialBuckets& b) {
  Json counts = Json::array();
  for (std::uint64_t c : b.bucket_counts) counts.push_back(u64(c));
  return Json{{"offset", b.offset}, {"bucketCounts", std::move(counts)}};
}

Json exponential_points_json(const MetricData& m) {
  Json points = Json::array();
  for (const ExponentialHistogramPoint& p : m.exponential_points) {
    Json dp = Json::object();
    put_point_common(dp, m, p.attributes);
    dp["count"] = u64(p.count);
    if (exponential_has_sum(p)) dp["sum"] = otlp_double_json(p.sum);
    dp["scale"] = p.scale;
    dp["zeroCount"] = u64(p.zero_count);
    dp["positive"] = exponential_buckets_json(p.positive);
    dp["negative"] = exponential_buckets_json(p.negative);
    if (p.min) dp["min"] = otlp_double_json(*p.min);
    if (p.max) dp["max"] = otlp_double_json(*p.max);
    if (!p.exemplars.empty()) {
      Json exemplars = Json::array();
      for (const Exemplar& e : p.exemplars) exemplars.push_back(exemplar_json(e));
      dp["exemplars"] = std::move(exemplars);
    }
    points.push_back(std::move(dp));
  }
  return points;
}

Json metric_json(const MetricData& m) {
  Json metric = Json::object();
  metric["name"] = m.name;
  if (!m.description.empty()) metric["description"] = m.description;
  if (!m.unit.empty()) metric["unit"] = m.unit;
  switch (m.type) {
    case MetricType::kGauge:
      metric["gauge"] = Json{{"dataPoints", number_points_json(m)}};
      break;
    case MetricType::kMonotonicSum:
    case MetricType::kSum: {
      Json sum = Json{{"dataPoints", number_points_json(m)},
                      {"aggregationTemporality", temporality_value(m)}};
      if (m.type == MetricType::kMonotonicSum) sum["isMonotonic"] = true;
      metric["sum"] = std::move(sum);
      break;
    }
    case MetricType::kHistogram:
      metric["histogram"] = Json{{"dataPoints", histogram_points_json(m)},
                                 {"aggregationTemporality", temporality_value(m)}};
      break;
    case MetricType::kExponentialHistogram:
      metric["exponentialHistogram"] = Json{{"dataPoints", exponential_points_json(m)},
                                            {"aggregationTemporality", temporality_value(m)}};
      break;
  }
  return metric;
}

}  // namespace

void encode_metrics_request(const metrics::MetricsSnapshot& snapshot, std::string& out) {
  out.clear();
  ProtoWriter w(out);
  const std::size_t resource_metrics = w.begin_message(1);
  const std::size_t resource = w.begin_message(1);
  write_key_values(w, 1, snapshot.resource.attributes());
  w.end_message(resource);
  for (const auto& [scope_name, metrics] : by_scope(snapshot)) {
    const std::size_t scope_metrics = w.begin_message(2);
    const std::size_t scope = w.begin_message(1);
    if (!scope_name.empty()) w.string_field(1, scope_name);
    w.end_message(scope);
    for (const MetricData* m : metrics) write_metric(w, *m);
    w.end_message(scope_metrics);
  }
  w.end_message(resource_metrics);
}

std::string encode_metrics_request_json(const metrics::MetricsSnapshot& snapshot) {
  Json resource = Json::object();
  if (!snapshot.resource.attributes().empty()) {
    resource["attributes"] = key_values_json(snapshot.resource.attributes());
  }
  Json scope_metrics = Json::array();
  for (const auto& [scope_name, metrics] : by_scope(snapshot)) {
    Json scope = Json::object();
    if (!scope_name.empty()) scope["name"] = std::string(scope_name);
    Json list = Json::array();
    for (const MetricData* m : metrics) list.push_back(metric_json(*m));
    scope_metrics.push_back(Json{{"scope", std::move(scope)}, {"metrics", std::move(list)}});
  }
  Json entry = Json::object();
  entry["resource"] = std::move(resource);
  entry["scopeMetrics"] = std::move(scope_metrics);
  Json request = Json::object();
  request["resourceMetrics"] = Json::array({std::move(entry)});
  return request.dump(-1, ' ', false, Json::error_handler_t::replace);
}

}  // namespace lumen::exporters::detail
