// Exponential histograms in OTLP: the protobuf request decoded by a decoder we did not write
// (protobufjs, from @opentelemetry/otlp-proto-exporter-base, via tests/tools/decode_otlp.js), and
// the OTLP/JSON mapping.
#include <gtest/gtest.h>

#include <map>
#include <string>

#include <nlohmann/json.hpp>

#include "export/otlp_metrics_encoder.hpp"
#include "lumen/metrics/meter.hpp"
#include "lumen/metrics/temporality.hpp"
#include "otlp_decoder.hpp"

namespace lumen::testing {
namespace {

using Json = nlohmann::json;
using metrics::Base2Exponential;

std::map<std::string, Json> first_resources_metrics_by_name(const Json& request) {
  std::map<std::string, Json> out;
  for (const Json& scope : request["resourceMetrics"][0]["scopeMetrics"]) {
    for (const Json& m : scope["metrics"]) out[m["name"].get<std::string>()] = m;
  }
  return out;
}

Json point_with_string_attribute(const Json& points, const std::string& key,
                                 const std::string& value) {
  for (const Json& p : points) {
    for (const Json& a : p.value("attributes", Json::array())) {
      if (a["key"] == key && a["value"]["stringValue"] == value) return p;
    }
  }
  return Json();
}

Json counts(std::initializer_list<const char*> c) {
  Json out = Json::array();
  for (const char* s : c) out.push_back(s);
  return out;
}

metrics::MetricsSnapshot workload(metrics::MeterProvider& provider) {
  metrics::Meter& meter = provider.meter("t");
  auto h = meter.create_histogram(
      "payload.size",
      {.unit = "By", .exponential = Base2Exponential{.max_size = 160, .max_scale = 0}});
  for (double v : {1.0, 3.0, 3.0, 0.0, -2.0, 1000.0}) h.record(v, {{"kind", "mixed"}});
  for (double v : {0.5, 6.0}) h.record(v, {{"kind", "positive"}});
  auto wide = meter.create_histogram(
      "wide", {.exponential = Base2Exponential{.max_size = 4, .max_scale = 20}});
  wide.record(1.0);
  wide.record(1e6);
  return provider.collect();
}

TEST(OtlpExponentialHistogram, ProtobufDecodesWithScaleOffsetsCountsAndExtremes) {
  metrics::MeterProvider provider;
  std::string body;
  exporters::detail::encode_metrics_request(workload(provider), body);
  const Json decoded = decode_otlp(body, "metrics");
  auto by_name = first_resources_metrics_by_name(decoded["message"]);

  const Json& m = by_name.at("payload.size");
  EXPECT_EQ(m["unit"], "By");
  ASSERT_TRUE(m.contains("exponentialHistogram")) << m.dump();
  EXPECT_EQ(m["exponentialHistogram"]["aggregationTemporality"], 2);  // CUMULATIVE
  const Json& points = m["exponentialHistogram"]["dataPoints"];
  ASSERT_EQ(points.size(), 2U);

  // 1 closes bucket -1 at scale 0; 3 is in (2, 4], bucket 1; 1000 in (512, 1024], bucket 9.
  const Json mixed = point_with_string_attribute(points, "kind", "mixed");
  ASSERT_FALSE(mixed.is_null());
  EXPECT_EQ(mixed.value("scale", 0), 0);
  EXPECT_EQ(mixed["count"], "6");
  EXPECT_EQ(mixed["zeroCount"], "1");
  EXPECT_EQ(mixed["positive"]["offset"], -1);
  EXPECT_EQ(mixed["positive"]["bucketCounts"],
            counts({"1", "0", "2", "0", "0", "0", "0", "0", "0", "0", "1"}));
  EXPECT_EQ(mixed["negative"].value("offset", 0), 0);  // -2: magnitude 2 closes bucket 0
  EXPECT_EQ(mixed["negative"]["bucketCounts"], counts({"1"}));
  EXPECT_FALSE(mixed.contains("sum"));  // negative values: the sum is left out
  EXPECT_EQ(mixed["min"], -2.0);
  EXPECT_EQ(mixed["max"], 1000.0);
  EXPECT_TRUE(mixed.contains("timeUnixNano"));
  EXPECT_TRUE(mixed.contains("startTimeUnixNano"));

  const Json positive = point_with_string_attribute(points, "kind", "positive");
  ASSERT_FALSE(positive.is_null());
  EXPECT_EQ(positive["positive"]["offset"], -2);  // 0.5 closes bucket -2; 6 is in (4, 8], bucket 2
  EXPECT_EQ(positive["positive"]["bucketCounts"], counts({"1", "0", "0", "0", "1"}));
  EXPECT_EQ(positive["sum"], 6.5);
  EXPECT_EQ(positive["count"], "2");
  EXPECT_EQ(positive["min"], 0.5);
  EXPECT_EQ(positive["max"], 6.0);
  EXPECT_EQ(positive.value("zeroCount", "0"), "0");

  // Downscaled to a negative scale: 1 and 1e6 fit in 4 buckets of base 2^8 (-1 .. 2).
  const Json& w = by_name.at("wide")["exponentialHistogram"]["dataPoints"][0];
  EXPECT_EQ(w["scale"], -3);
  EXPECT_EQ(w["positive"]["offset"], -1);
  EXPECT_EQ(w["positive"]["bucketCounts"], counts({"1", "0", "0", "1"}));
  EXPECT_EQ(w["sum"], 1000001.0);
}

TEST(OtlpExponentialHistogram, DeltaTemporalityIsMarkedOnTheWire) {
  metrics::MeterProvider provider;
  metrics::MetricsSnapshot snap = workload(provider);
  metrics::DeltaConverter delta;
  delta.convert(snap, [](metrics::InstrumentKind) { return metrics::Temporality::kDelta; });
  std::string body;
  exporters::detail::encode_metrics_request(snap, body);
  auto by_name = first_resources_metrics_by_name(decode_otlp(body, "metrics")["message"]);
  EXPECT_EQ(by_name.at("wide")["exponentialHistogram"]["aggregationTemporality"], 1);  // DELTA
  EXPECT_EQ(by_name.at("wide")["exponentialHistogram"]["dataPoints"][0]["count"], "2");
}

TEST(OtlpExponentialHistogram, JsonFollowsTheOtlpJsonMapping) {
  metrics::MeterProvider provider;
  const Json request =
      Json::parse(exporters::detail::encode_metrics_request_json(workload(provider)));
  auto by_name = first_resources_metrics_by_name(request);
  const Json& m = by_name.at("payload.size")["exponentialHistogram"];
  EXPECT_EQ(m["aggregationTemporality"], 2);
  const Json mixed = point_with_string_attribute(m["dataPoints"], "kind", "mixed");
  EXPECT_EQ(mixed["scale"], 0);
  EXPECT_EQ(mixed["count"], "6");  // 64-bit integers are strings
  EXPECT_EQ(mixed["zeroCount"], "1");
  EXPECT_EQ(mixed["positive"]["offset"], -1);  // int32 is a number
  EXPECT_EQ(mixed["positive"]["bucketCounts"][2], "2");
  EXPECT_EQ(mixed["negative"]["bucketCounts"], counts({"1"}));
  EXPECT_EQ(mixed["min"], -2.0);
  EXPECT_EQ(mixed["max"], 1000.0);
  EXPECT_FALSE(mixed.contains("sum"));
  EXPECT_EQ(by_name.at("wide")["exponentialHistogram"]["dataPoints"][0]["scale"], -3);
}

}  // namespace
}  // namespace lumen::testing
