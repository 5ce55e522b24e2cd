// OTLP/HTTP metrics export end to end: real instruments, a real HTTP receiver on 127.0.0.1, and
// every protobuf payload decoded by a decoder we did not write (protobufjs, from the npm package
// @opentelemetry/otlp-proto-exporter-base, through tests/tools/decode_otlp.js).
#include <gtest/gtest.h>

#include <chrono>
#include <map>

#include "lumen/core/error.hpp"
#include "lumen/export/otlp_metric_exporter.hpp"
#include "lumen/metrics/meter.hpp"
#include "lumen/metrics/periodic_reader.hpp"
#include "lumen/trace/tracer_provider.hpp"
#include "otlp_test_fixtures.hpp"

namespace lumen::testing {
namespace {

using namespace std::chrono_literals;
using exporters::OtlpHttpMetricExporter;
using exporters::OtlpHttpMetricExporterOptions;
using metrics::MetricExportResult;
using metrics::TemporalityPreference;
using Json = nlohmann::json;
using Steady = std::chrono::steady_clock;

OtlpHttpMetricExporterOptions metric_options_for(
    const HttpReceiver& receiver, Reports& reports,
    TemporalityPreference temporality = TemporalityPreference::kCumulative) {
  return OtlpHttpMetricExporterOptions{
      .endpoint = receiver.url("/v1/metrics"),
      .timeout = 5s,
      .temporality = temporality,
      .initial_backoff = 1ms,
      .max_backoff = 20ms,
      .report = reports.sink(),
  };
}

// Metrics of a decoded request by name, over all scopes.
std::map<std::string, Json> metrics_by_name(const Json& decoded) {
  std::map<std::string, Json> out;
  for (const auto& rm : decoded["message"]["resourceMetrics"]) {
    for (const auto& sm : rm["scopeMetrics"]) {
      for (const auto& m : sm["metrics"]) {
        Json copy = m;
        copy["scope"] = sm["scope"];
        out[m["name"].get<std::string>()] = copy;
      }
    }
  }
  return out;
}

// The data point whose attribute `key` has string value `value`.
Json point_with(const Json& points, const std::string& key, const std::string& value) {
  for (const auto& p : points) {
    if (decoded_attribute(p, key) == Json({{"stringValue", value}})) return p;
  }
  return nullptr;
}

metrics::MeterProviderOptions provider_options() {
  return {.resource =
              Resource(Attributes{{"service.name", "beautifyai"}, {"service.version", "0.1.0"}})};
}

TEST(OtlpMetricsExport, SumsGaugesAndHistogramsReachAnIndependentDecoderIntact) {
  HttpReceiver receiver;
  Reports reports;
  metrics::MeterProvider provider(provider_options());
  metrics::Meter& meter = provider.meter("beautifyai.gateway");
  auto requests = meter.create_counter("ai.requests", {.description = "AI calls", .unit = "1"});
  auto queue = meter.create_up_down_counter("queue.items");
  auto cost = meter.create_counter<double>("ai.cost");
  auto latency = meter.create_histogram("ai.duration", {.unit = "s", .boundaries = {0.1, 1.0}});
  auto gauge = meter.create_observable_gauge("memory.usage", [](metrics::ObserverResult& r) {
    r.observe(2.5, {{"pool", "images"}});
  });
  requests.add(3, {{"model", "gemini"}, {"success", true}});
  requests.add(1, {{"model", "openai"}, {"success", false}});
  queue.add(5);
  queue.add(-7);
  cost.add(0.25);
  latency.record(0.05, {{"model", "gemini"}});
  latency.record(0.1, {{"model", "gemini"}});  // upper bounds are inclusive
  latency.record(0.5, {{"model", "gemini"}});
  latency.record(30.0, {{"model", "gemini"}});

  OtlpHttpMetricExporter exporter(metric_options_for(receiver, reports));
  ASSERT_EQ(exporter.export_metrics(provider.collect(), Steady::now() + 5s),
            MetricExportResult::kSuccess);
  const auto requests_seen = receiver.requests();
  ASSERT_EQ(requests_seen.size(), 1U);
  EXPECT_EQ(requests_seen[0].path, "/v1/metrics");
  EXPECT_EQ(requests_seen[0].headers.at("content-type"), "application/x-protobuf");

  const Json decoded = decode_otlp(requests_seen[0].body, "metrics");
  const Json& rm = decoded["message"]["resourceMetrics"][0];
  EXPECT_EQ(decoded_attribute(rm["resource"], "service.name"),
            Json({{"stringValue", "beautifyai"}}));
  auto by_name = metrics_by_name(decoded);

  const Json& r = by_name.at("ai.requests");
  EXPECT_EQ(r["scope"]["name"], "beautifyai.gateway");
  EXPECT_EQ(r["description"], "AI calls");
  EXPECT_EQ(r["unit"], "1");
  EXPECT_EQ(r["sum"]["isMonotonic"], true);
  EXPECT_EQ(r["sum"]["aggregationTemporality"], 2);  // CUMULATIVE
  const Json gemini = point_with(r["sum"]["dataPoints"], "model", "gemini");
  ASSERT_FALSE(gemini.is_null());
  EXPECT_EQ(gemini["asInt"], "3");
  EXPECT_EQ(decoded_attribute(gemini, "success"), Json({{"boolValue", true}}));
  EXPECT_EQ(point_with(r["sum"]["dataPoints"], "model", "openai")["asInt"], "1");
  const auto start = std::stoull(gemini["startTimeUnixNano"].get<std::string>());
  const auto time = std::stoull(gemini["timeUnixNano"].get<std::string>());
  EXPECT_GT(start, 1'600'000'000'000'000'000ULL);
  EXPECT_LE(start, time);

  const Json& q = by_name.at("queue.items");
  EXPECT_FALSE(q["sum"].contains("isMonotonic"));  // false is the default, omitted
  EXPECT_EQ(q["sum"]["dataPoints"][0]["asInt"], "-2");

  EXPECT_EQ(by_name.at("ai.cost")["sum"]["dataPoints"][0]["asDouble"], 0.25);

  const Json& g = by_name.at("memory.usage");
  ASSERT_TRUE(g.contains("gauge"));
  EXPECT_EQ(g["gauge"]["dataPoints"][0]["asDouble"], 2.5);
  EXPECT_EQ(decoded_attribute(g["gauge"]["dataPoints"][0], "pool"),
            Json({{"stringValue", "images"}}));

  const Json& h = by_name.at("ai.duration");
  EXPECT_EQ(h["unit"], "s");
  EXPECT_EQ(h["histogram"]["aggregationTemporality"], 2);
  const Json& hp = h["histogram"]["dataPoints"][0];
  EXPECT_EQ(hp["count"], "4");
  EXPECT_DOUBLE_EQ(hp["sum"].get<double>(), 30.65);
  EXPECT_EQ(hp["bucketCounts"], Json::parse(R"(["2","1","1"])"));
  EXPECT_EQ(hp["explicitBounds"], Json::parse("[0.1,1]"));
  EXPECT_EQ(hp["max"], 30.0);  // the report bounds its quantiles by it
  EXPECT_TRUE(reports.lines().empty());
}

TEST(OtlpMetricsExport, ExemplarCarriesTheSampledSpansTraceId) {
  HttpReceiver receiver;
  Reports reports;
  metrics::MeterProvider provider(provider_options());
  auto latency = provider.meter("app").create_histogram("work.duration", {.boundaries = {1.0}});
  trace::TracerProvider tracers({});
  std::string trace_id;
  std::string span_id;
  {
    trace::Span span = tracers.tracer("app").start("work");
    auto scope = span.activate();
    trace_id = span.context().trace_id().to_hex();
    span_id = span.context().span_id().to_hex();
    latency.record(0.5);
  }
  OtlpHttpMetricExporter exporter(metric_options_for(receiver, reports));
  ASSERT_EQ(exporter.export_metrics(provider.collect(), Steady::now() + 5s),
            MetricExportResult::kSuccess);
  const Json decoded = decode_otlp(receiver.requests().at(0).body, "metrics");
  const Json hp = metrics_by_name(decoded).at("work.duration")["histogram"]["dataPoints"][0];
  ASSERT_EQ(hp["exemplars"].size(), 1U);
  EXPECT_EQ(hp["exemplars"][0]["traceId"], trace_id);
  EXPECT_EQ(hp["exemplars"][0]["spanId"], span_id);
  EXPECT_EQ(hp["exemplars"][0]["asDouble"], 0.5);
}

TEST(OtlpMetricsExport, DeltaPreferenceSendsIncrementsAndCumulativeSendsTotals) {
  for (const auto preference :
       {TemporalityPreference::kDelta, TemporalityPreference::kCumulative}) {
    const bool delta = preference == TemporalityPreference::kDelta;
    SCOPED_TRACE(delta ? "delta" : "cumulative");
    HttpReceiver receiver;
    Reports reports;
    metrics::MeterProvider provider(provider_options());
    metrics::Meter& meter = provider.meter("app");
    auto requests = meter.create_counter("requests");
    auto queue = meter.create_up_down_counter("queue");
    auto latency = meter.create_histogram("latency", {.boundaries = {1.0}});
    auto exporter =
        std::make_shared<OtlpHttpMetricExporter>(metric_options_for(receiver, reports, preference));
    metrics::PeriodicMetricReader reader(
        provider, exporter, {.interval = std::chrono::hours(1), .self_metrics = false});
    requests.add(5);
    queue.add(2);
    latency.record(0.5);
    ASSERT_TRUE(reader.force_flush(5s));
    requests.add(2);
    queue.add(1);
    latency.record(3.0);
    ASSERT_TRUE(reader.force_flush(5s));

    const auto seen = receiver.requests();
    ASSERT_EQ(seen.size(), 2U);
    auto first = metrics_by_name(decode_otlp(seen[0].body, "metrics"));
    auto second = metrics_by_name(decode_otlp(seen[1].body, "metrics"));
    const int temporality = delta ? 1 : 2;
    EXPECT_EQ(second.at("requests")["sum"]["aggregationTemporality"], temporality);
    EXPECT_EQ(second.at("requests")["sum"]["dataPoints"][0]["asInt"], delta ? "2" : "7");
    EXPECT_EQ(second.at("latency")["histogram"]["aggregationTemporality"], temporality);
    EXPECT_EQ(second.at("latency")["histogram"]["dataPoints"][0]["bucketCounts"],
              delta ? Json::parse(R"(["0","1"])") : Json::parse(R"(["1","1"])"));
    // Up-down counters stay cumulative under the delta preference.
    EXPECT_EQ(second.at("queue")["sum"]["aggregationTemporality"], 2);
    EXPECT_EQ(second.at("queue")["sum"]["dataPoints"][0]["asInt"], "3");
    const auto& p1 = first.at("requests")["sum"]["dataPoints"][0];
    const auto& p2 = second.at("requests")["sum"]["dataPoints"][0];
    if (delta) {  // consecutive, non-overlapping intervals
      EXPECT_EQ(p2["startTimeUnixNano"], p1["timeUnixNano"]);
    } else {  // both from the instrument's start
      EXPECT_EQ(p2["startTimeUnixNano"], p1["startTimeUnixNano"]);
    }
  }
}

TEST(OtlpMetricsExport, JsonProtocolFollowsTheOtlpJsonMapping) {
  HttpReceiver receiver;
  Reports reports;
  metrics::MeterProvider provider(provider_options());
  auto requests = provider.meter("app").create_counter("requests");
  auto latency = provider.meter("app").create_histogram("latency", {.boundaries = {1.0}});
  requests.add(9, {{"model", "gemini"}});
  latency.record(2.0);
  auto options = metric_options_for(receiver, reports);
  options.protocol = exporters::OtlpProtocol::kHttpJson;
  OtlpHttpMetricExporter exporter(options);
  ASSERT_EQ(exporter.export_metrics(provider.collect(), Steady::now() + 5s),
            MetricExportResult::kSuccess);
  const auto seen = receiver.requests();
  ASSERT_EQ(seen.size(), 1U);
  EXPECT_EQ(seen[0].headers.at("content-type"), "application/json");
  const Json body = Json::parse(seen[0].body);
  const Json& rm = body["resourceMetrics"][0];
  EXPECT_EQ(decoded_attribute(rm["resource"], "service.name"),
            Json({{"stringValue", "beautifyai"}}));
  const Json& metrics_list = rm["scopeMetrics"][0]["metrics"];
  EXPECT_EQ(rm["scopeMetrics"][0]["scope"]["name"], "app");
  std::map<std::string, Json> by_name;
  for (const auto& m : metrics_list) by_name[m["name"].get<std::string>()] = m;
  const Json& sum = by_name.at("requests")["sum"];
  EXPECT_EQ(sum["isMonotonic"], true);
  EXPECT_EQ(sum["aggregationTemporality"], 2);
  EXPECT_EQ(sum["dataPoints"][0]["asInt"], "9");  // 64-bit integers as strings
  EXPECT_EQ(decoded_attribute(sum["dataPoints"][0], "model"), Json({{"stringValue", "gemini"}}));
  const Json& hp = by_name.at("latency")["histogram"]["dataPoints"][0];
  EXPECT_EQ(hp["count"], "1");
  EXPECT_EQ(hp["bucketCounts"], Json::parse(R"(["0","1"])"));
  EXPECT_EQ(hp["explicitBounds"], Json::parse("[1.0]"));
}

TEST(OtlpMetricsExport, RetriesA503AndSendsGzipWhenAsked) {
  HttpReceiver receiver;
  receiver.script({{503, "", {{"Retry-After", "0"}}}, {200, ""}});
  Reports reports;
  metrics::MeterProvider provider(provider_options());
  auto requests = provider.meter("app").create_counter("requests");
  requests.add(1);
  auto options = metric_options_for(receiver, reports);
  options.compression = exporters::OtlpCompression::kGzip;
  options.headers = {{"api-key", "secret"}};
  OtlpHttpMetricExporter exporter(options);
  ASSERT_EQ(exporter.export_metrics(provider.collect(), Steady::now() + 5s),
            MetricExportResult::kSuccess);
  const auto seen = receiver.requests();
  ASSERT_EQ(seen.size(), 2U);
  EXPECT_EQ(seen[1].headers.at("content-encoding"), "gzip");
  EXPECT_EQ(seen[1].headers.at("api-key"), "secret");
  const Json decoded = decode_otlp(gunzip(seen[1].body), "metrics");
  EXPECT_EQ(metrics_by_name(decoded).at("requests")["sum"]["dataPoints"][0]["asInt"], "1");
  EXPECT_EQ(exporter.stats().retries, 1U);
  EXPECT_EQ(exporter.stats().exports_succeeded, 1U);
}

TEST(OtlpMetricsExport, ABadRequestIsNotRetriedAndIsCountedAsAFailure) {
  HttpReceiver receiver;
  receiver.script({{400, "bad"}});
  Reports reports;
  metrics::MeterProvider provider(provider_options());
  auto requests = provider.meter("app").create_counter("requests");
  requests.add(1);
  OtlpHttpMetricExporter exporter(metric_options_for(receiver, reports));
  EXPECT_EQ(exporter.export_metrics(provider.collect(), Steady::now() + 5s),
            MetricExportResult::kFailure);
  EXPECT_EQ(receiver.requests().size(), 1U);
  EXPECT_EQ(exporter.stats().exports_failed, 1U);
  ASSERT_EQ(reports.lines().size(), 1U);
  EXPECT_NE(reports.lines()[0].find("/v1/metrics"), std::string::npos);
}

TEST(OtlpMetricsExport, PeriodicReaderDeliversOnAShortIntervalWithoutBeingFlushed) {
  HttpReceiver receiver;
  Reports reports;
  metrics::MeterProvider provider(provider_options());
  auto requests = provider.meter("app").create_counter("requests");
  requests.add(1);
  auto exporter = std::make_shared<OtlpHttpMetricExporter>(metric_options_for(receiver, reports));
  metrics::PeriodicMetricReader reader(provider, exporter, {.interval = 50ms});
  const auto seen = receiver.wait_for_requests(2, 5s);
  ASSERT_GE(seen.size(), 2U);
  const auto by_name = metrics_by_name(decode_otlp(seen[1].body, "metrics"));
  EXPECT_EQ(by_name.at("requests")["sum"]["dataPoints"][0]["asInt"], "1");
  EXPECT_TRUE(by_name.contains("lumen.metric_export.count"));
  EXPECT_TRUE(reader.shutdown(5s));
}

TEST(OtlpMetricsExport, ShutdownReturnsByItsDeadlineWhenTheCollectorNeverAnswers) {
  HttpReceiver receiver;
  receiver.script({{.hang = true}, {.hang = true}, {.hang = true}});
  Reports reports;
  metrics::MeterProvider provider(provider_options());
  auto requests = provider.meter("app").create_counter("requests");
  requests.add(1);
  auto options = metric_options_for(receiver, reports);
  options.timeout = 30s;
  auto exporter = std::make_shared<OtlpHttpMetricExporter>(options);
  metrics::PeriodicMetricReader reader(provider, exporter, {.interval = 20ms, .timeout = 30s});
  ASSERT_GE(receiver.wait_for_requests(1, 5s).size(), 1U);  // the first export now hangs
  const auto start = Steady::now();
  EXPECT_FALSE(reader.shutdown(300ms));
  EXPECT_LT(Steady::now() - start, 2s);
  EXPECT_GE(reader.stats().failures, 1U);
}

TEST(OtlpMetricsExport, APartialSuccessIsCountedAndReportedForProtobufAndJson) {
  for (const bool json : {false, true}) {
    SCOPED_TRACE(json ? "json" : "protobuf");
    HttpReceiver receiver;
    // ExportMetricsServiceResponse{partial_success{rejected_data_points: 3, error_message: "old"}}
    const std::string proto_body = std::string("\x0a\x07\x08\x03\x12\x03old", 9);
    const std::string json_body =
        R"({"partialSuccess":{"rejectedDataPoints":"3","errorMessage":"old"}})";
    receiver.script({{200, json ? json_body : proto_body}});
    Reports reports;
    metrics::MeterProvider provider(provider_options());
    auto requests = provider.meter("app").create_counter("requests");
    requests.add(1);
    auto options = metric_options_for(receiver, reports);
    if (json) options.protocol = exporters::OtlpProtocol::kHttpJson;
    OtlpHttpMetricExporter exporter(options);
    EXPECT_EQ(exporter.export_metrics(provider.collect(), Steady::now() + 5s),
              MetricExportResult::kSuccess);
    EXPECT_EQ(exporter.stats().points_rejected, 3U);
    ASSERT_EQ(reports.lines().size(), 1U);
    EXPECT_NE(reports.lines()[0].find("rejected 3 data points: old"), std::string::npos)
        << reports.lines()[0];
  }
}

TEST(OtlpMetricsExport, RejectsAnEndpointThatIsNotHttp) {
  EXPECT_THROW(OtlpHttpMetricExporter({.endpoint = "localhost:4318"}), Error);
}

}  // namespace
}  // namespace lumen::testing
