// OTLP/HTTP export end to end, what is sent: real spans, a real HTTP receiver on 127.0.0.1, and
// every payload decoded by a decoder we did not write (protobufjs, from the npm package
// @opentelemetry/otlp-proto-exporter-base). Retries, deadlines and reports: otlp_delivery_test.cpp.
#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <stdexcept>

#include "lumen/core/error.hpp"
#include "lumen/core/version.hpp"
#include "lumen/export/memory_exporter.hpp"
#include "lumen/trace/batch_span_processor.hpp"
#include "lumen/trace/tracer_provider.hpp"
#include "otlp_test_fixtures.hpp"

namespace lumen::testing {
namespace {

using namespace std::chrono_literals;
using exporters::OtlpCompression;
using exporters::OtlpHttpExporter;
using exporters::OtlpProtocol;
using trace::ExportResult;
using Json = nlohmann::json;
using Steady = std::chrono::steady_clock;

TEST(OtlpExport, DeliversASpanTreeThatAnIndependentDecoderReads) {
  HttpReceiver receiver;
  Reports reports;
  auto exporter = std::make_shared<OtlpHttpExporter>(otlp_options_for(receiver, reports));
  lumen::trace::TracerProvider provider({
      .resource = lumen::Resource(lumen::Attributes{{"service.name", "beautifyai"},
                                                    {"service.version", "0.1.0"},
                                                    {"deployment.environment", "test"}}),
      .processor = std::make_unique<lumen::trace::BatchSpanProcessor>(
          exporter, lumen::trace::BatchSpanProcessorOptions{.schedule_delay = 60s}),
  });
  lumen::trace::Tracer& tracer = provider.tracer("beautifyai.gateway", "0.4.2");

  lumen::SpanContext linked;
  {
    lumen::trace::Span warmup = tracer.start("cache.warmup");
    linked = warmup.context();
  }
  const lumen::SpanContext remote(lumen::IdGenerator::trace_id(), lumen::IdGenerator::span_id(),
                                  lumen::SpanContext::kSampledFlag, /*remote=*/true);
  lumen::trace::Span inbound = tracer.start(
      "http.inbound",
      {.kind = lumen::trace::SpanKind::kServer, .parent = lumen::Context().with_span(remote)});
  inbound.end();

  lumen::trace::Span root =
      tracer.start("beautifyai.document.enhance", {.kind = lumen::trace::SpanKind::kServer});
  lumen::SpanContext child_context;
  {
    auto scope = root.activate();
    root.set("user.id", "u-42")
        .set("cache.hit", false)
        .set("ai.tokens", 812)
        .set("ai.temperature", 0.25)
        .set("document.tags", std::vector<std::string>{"scan", "invoice"})
        .set("ai.scores", std::vector<double>{0.5, 1.5})
        .set("retry.codes", std::vector<std::int64_t>{503, -1})
        .set("flags.seen", std::vector<bool>{true, false});
    lumen::trace::Span child = tracer.start(
        "ai.provider.analyze",
        {.kind = lumen::trace::SpanKind::kClient,
         .links = {lumen::trace::Link{linked, lumen::Attributes{{"link.reason", "warmup"}}}}});
    child_context = child.context();
    child.add_event("retry", {{"attempt", 2}});
    child.record_exception(std::runtime_error("model overloaded"));
    child.set_status(lumen::trace::StatusCode::kError, "model overloaded");
    child.end();
    root.set_status(lumen::trace::StatusCode::kOk);
  }
  root.end();
  ASSERT_TRUE(provider.force_flush(5s));

  const auto requests = receiver.requests();
  ASSERT_FALSE(requests.empty());
  // Every span by name, and Span.flags / Link.flags by span id, over all requests.
  std::map<std::string, Json> spans;
  std::map<std::string, std::uint32_t> span_flags;
  std::map<std::string, std::uint32_t> link_flags;
  for (const auto& request : requests) {
    EXPECT_EQ(request.method, "POST");
    EXPECT_EQ(request.path, "/v1/traces");
    EXPECT_EQ(request.headers.at("content-type"), "application/x-protobuf");
    const Json decoded = decode_otlp_traces(request.body);
    const Json& rs = decoded["message"]["resourceSpans"][0];
    EXPECT_EQ(decoded_attribute(rs["resource"], "service.name"),
              Json({{"stringValue", "beautifyai"}}));
    EXPECT_EQ(decoded_attribute(rs["resource"], "deployment.environment"),
              Json({{"stringValue", "test"}}));
    EXPECT_EQ(rs["scopeSpans"][0]["scope"],
              Json({{"name", "beautifyai.gateway"}, {"version", "0.4.2"}}));
    for (const auto& span : rs["scopeSpans"][0]["spans"])
      spans[span["name"].get<std::string>()] = span;
    for (const auto& [id, flags] : decoded["spanFlags"].items())
      span_flags[id] = flags.get<std::uint32_t>();
    for (const auto& [id, flags] : decoded["linkFlags"].items())
      link_flags[id] = flags.get<std::uint32_t>();
  }
  ASSERT_EQ(spans.size(), 4U);

  const Json& r = spans.at("beautifyai.document.enhance");
  EXPECT_EQ(r["traceId"], root.context().trace_id().to_hex());
  EXPECT_EQ(r["spanId"], root.context().span_id().to_hex());
  EXPECT_FALSE(r.contains("parentSpanId"));
  EXPECT_EQ(r["kind"], 2);  // SERVER
  EXPECT_EQ(r["status"], Json({{"code", 1}}));
  EXPECT_EQ(decoded_attribute(r, "user.id"), Json({{"stringValue", "u-42"}}));
  EXPECT_EQ(decoded_attribute(r, "cache.hit"), Json({{"boolValue", false}}));
  EXPECT_EQ(decoded_attribute(r, "ai.tokens"), Json({{"intValue", "812"}}));
  EXPECT_EQ(decoded_attribute(r, "ai.temperature"), Json({{"doubleValue", 0.25}}));
  EXPECT_EQ(decoded_attribute(r, "document.tags"),
            Json::parse(
                R"({"arrayValue":{"values":[{"stringValue":"scan"},{"stringValue":"invoice"}]}})"));
  EXPECT_EQ(decoded_attribute(r, "ai.scores"),
            Json::parse(R"({"arrayValue":{"values":[{"doubleValue":0.5},{"doubleValue":1.5}]}})"));
  EXPECT_EQ(decoded_attribute(r, "retry.codes"),
            Json::parse(R"({"arrayValue":{"values":[{"intValue":"503"},{"intValue":"-1"}]}})"));
  EXPECT_EQ(decoded_attribute(r, "flags.seen"),
            Json::parse(R"({"arrayValue":{"values":[{"boolValue":true},{"boolValue":false}]}})"));
  const auto start = std::stoull(r["startTimeUnixNano"].get<std::string>());
  const auto end = std::stoull(r["endTimeUnixNano"].get<std::string>());
  EXPECT_LE(start, end);
  const auto now_ns =
      static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                     std::chrono::system_clock::now().time_since_epoch())
                                     .count());
  EXPECT_LT(now_ns - start, 60'000'000'000ULL);  // a real wall-clock time, in nanoseconds

  const Json& c = spans.at("ai.provider.analyze");
  EXPECT_EQ(c["traceId"], r["traceId"]);
  EXPECT_EQ(c["spanId"], child_context.span_id().to_hex());
  EXPECT_EQ(c["parentSpanId"], r["spanId"]);
  EXPECT_EQ(c["kind"], 3);  // CLIENT
  EXPECT_EQ(c["status"], Json({{"code", 2}, {"message", "model overloaded"}}));
  ASSERT_EQ(c["events"].size(), 2U);
  EXPECT_EQ(c["events"][0]["name"], "retry");
  EXPECT_EQ(decoded_attribute(c["events"][0], "attempt"), Json({{"intValue", "2"}}));
  EXPECT_GE(std::stoull(c["events"][0]["timeUnixNano"].get<std::string>()), start);
  const Json& exception = c["events"][1];
  EXPECT_EQ(exception["name"], "exception");
  EXPECT_NE(decoded_attribute(exception, "exception.type")["stringValue"].get<std::string>().find(
                "runtime_error"),
            std::string::npos);
  EXPECT_EQ(decoded_attribute(exception, "exception.message"),
            Json({{"stringValue", "model overloaded"}}));
  EXPECT_TRUE(decoded_attribute(exception, "exception.stacktrace").contains("stringValue"));
  ASSERT_EQ(c["links"].size(), 1U);
  EXPECT_EQ(c["links"][0]["traceId"], linked.trace_id().to_hex());
  EXPECT_EQ(c["links"][0]["spanId"], linked.span_id().to_hex());
  EXPECT_EQ(decoded_attribute(c["links"][0], "link.reason"), Json({{"stringValue", "warmup"}}));

  const Json& in = spans.at("http.inbound");
  EXPECT_EQ(in["traceId"], remote.trace_id().to_hex());
  EXPECT_EQ(in["parentSpanId"], remote.span_id().to_hex());
  EXPECT_FALSE(spans.at("cache.warmup").contains("parentSpanId"));

  // Span.flags and Link.flags: the W3C trace flags (sampled 0x01; random trace id 0x02, set on
  // the traces lumen starts), HAS_IS_REMOTE (0x100), IS_REMOTE (0x200).
  EXPECT_EQ(span_flags[r["spanId"].get<std::string>()], 0x103U);
  EXPECT_EQ(span_flags[in["spanId"].get<std::string>()], 0x301U);
  EXPECT_EQ(link_flags[linked.span_id().to_hex()], 0x103U);

  EXPECT_EQ(exporter->stats().spans_exported, 4U);
  EXPECT_EQ(exporter->stats().spans_failed, 0U);
  EXPECT_TRUE(reports.lines().empty());
}

TEST(OtlpExport, SendsUserAgentNamingLumenAndTheConfiguredHeaders) {
  HttpReceiver receiver;
  Reports reports;
  auto options = otlp_options_for(receiver, reports);
  options.headers = {{"x-api-key", "secret"}, {"x-tenant", "acme"}};
  OtlpHttpExporter exporter(options);
  SpanBatchFixture batch(1);
  ASSERT_EQ(exporter.export_spans(batch.spans(), Steady::now() + 5s), ExportResult::kSuccess);
  const auto requests = receiver.requests();
  ASSERT_EQ(requests.size(), 1U);
  EXPECT_EQ(requests[0].headers.at("user-agent"), std::string("lumen-cpp/") + lumen::kVersion);
  EXPECT_EQ(requests[0].headers.at("x-api-key"), "secret");
  EXPECT_EQ(requests[0].headers.at("x-tenant"), "acme");
  EXPECT_EQ(requests[0].headers.count("content-encoding"), 0U);
  EXPECT_EQ(first_decoded_span(requests[0])["spanId"], batch.span_id(0));
}

TEST(OtlpExport, GzipBodiesCarryContentEncodingAndDecodeAfterGunzip) {
  HttpReceiver receiver;
  Reports reports;
  auto options = otlp_options_for(receiver, reports);
  options.compression = OtlpCompression::kGzip;
  OtlpHttpExporter exporter(options);
  SpanBatchFixture batch(20);
  ASSERT_EQ(exporter.export_spans(batch.spans(), Steady::now() + 5s), ExportResult::kSuccess);
  const auto requests = receiver.requests();
  ASSERT_EQ(requests.size(), 1U);
  EXPECT_EQ(requests[0].headers.at("content-encoding"), "gzip");
  ASSERT_GE(requests[0].body.size(), 2U);
  EXPECT_EQ(static_cast<unsigned char>(requests[0].body[0]), 0x1F);  // gzip magic
  EXPECT_EQ(static_cast<unsigned char>(requests[0].body[1]), 0x8B);
  const std::string plain = gunzip(requests[0].body);
  EXPECT_LT(requests[0].body.size(), plain.size());
  const Json decoded = decode_otlp_traces(plain);
  const Json& spans = decoded["message"]["resourceSpans"][0]["scopeSpans"][0]["spans"];
  ASSERT_EQ(spans.size(), 20U);
  EXPECT_EQ(spans[19]["name"], "span-19");
  EXPECT_EQ(spans[19]["spanId"], batch.span_id(19));
}

// The JSON encoding, parsed independently (nlohmann), equals what protobufjs decodes from the
// protobuf encoding of the same spans, apart from the flags that this decoder version drops.
TEST(OtlpExport, JsonEncodingMatchesTheProtobufEncodingOfTheSameSpans) {
  auto memory = std::make_shared<lumen::exporters::InMemorySpanExporter>();
  lumen::trace::TracerProvider provider({
      .resource =
          lumen::Resource(lumen::Attributes{{"service.name", "beautifyai"}, {"process.pid", 4242}}),
      .processor = std::make_unique<lumen::trace::SimpleSpanProcessor>(memory),
  });
  lumen::trace::Tracer& tracer = provider.tracer("beautifyai.gateway", "0.4.2");
  lumen::trace::Tracer& other = provider.tracer("lumen.cache");
  lumen::SpanContext linked;
  {
    lumen::trace::Span root = tracer.start("root", {.kind = lumen::trace::SpanKind::kServer});
    linked = root.context();
    auto scope = root.activate();
    root.set("s", "text \"quoted\" \xC3\xA9")
        .set("b", true)
        .set("i", -7)
        .set("d", 1e-9)
        .set("empty", std::vector<std::string>{});
    lumen::trace::Span cached =
        other.start("cache.get", {.kind = lumen::trace::SpanKind::kInternal,
                                  .links = {lumen::trace::Link{linked, {{"k", 1.5}}}}});
    cached.add_event("miss", {{"key", "doc:1"}, {"sizes", std::vector<std::int64_t>{1, 2}}});
    cached.set_status(lumen::trace::StatusCode::kError, "boom");
  }
  const std::vector<lumen::trace::SpanData> finished = memory->spans();
  ASSERT_EQ(finished.size(), 2U);
  std::vector<std::unique_ptr<lumen::trace::SpanData>> batch;
  for (const auto& s : finished) batch.push_back(std::make_unique<lumen::trace::SpanData>(s));

  HttpReceiver receiver;
  Reports reports;
  auto proto_options = otlp_options_for(receiver, reports);
  auto json_options = proto_options;
  json_options.protocol = OtlpProtocol::kHttpJson;
  OtlpHttpExporter proto_exporter(proto_options);
  OtlpHttpExporter json_exporter(json_options);
  ASSERT_EQ(proto_exporter.export_spans(batch, Steady::now() + 5s), ExportResult::kSuccess);
  ASSERT_EQ(json_exporter.export_spans(batch, Steady::now() + 5s), ExportResult::kSuccess);
  const auto requests = receiver.requests();
  ASSERT_EQ(requests.size(), 2U);
  EXPECT_EQ(requests[1].headers.at("content-type"), "application/json");

  const Json from_proto = decode_otlp_traces(requests[0].body);
  Json from_json = Json::parse(requests[1].body);
  // Two scopes under one resource, in the order the spans arrived.
  ASSERT_EQ(from_json["resourceSpans"].size(), 1U);
  ASSERT_EQ(from_json["resourceSpans"][0]["scopeSpans"].size(), 2U);
  // The OTLP/JSON mapping: hex ids, 64-bit integers as strings, enums as integers.
  const Json& root = from_json["resourceSpans"][0]["scopeSpans"][1]["spans"][0];
  EXPECT_EQ(root["name"], "root");
  EXPECT_EQ(root["traceId"], linked.trace_id().to_hex());
  EXPECT_EQ(root["spanId"], linked.span_id().to_hex());
  EXPECT_TRUE(root["startTimeUnixNano"].is_string());
  EXPECT_EQ(root["kind"], 2);
  EXPECT_EQ(decoded_attribute(root, "i"), Json({{"intValue", "-7"}}));
  EXPECT_EQ(root["flags"], 0x103);
  // Flags agree with the protobuf encoding's, then are set aside for the comparison.
  for (auto& ss : from_json["resourceSpans"][0]["scopeSpans"]) {
    for (auto& span : ss["spans"]) {
      EXPECT_EQ(span["flags"], from_proto["spanFlags"][span["spanId"].get<std::string>()]);
      span.erase("flags");
      for (auto& link : span.value("links", Json::array())) {
        EXPECT_EQ(link["flags"], from_proto["linkFlags"][link["spanId"].get<std::string>()]);
      }
      if (span.contains("links")) {
        for (auto& link : span["links"]) link.erase("flags");
      }
    }
  }
  EXPECT_EQ(from_json, from_proto["message"])
      << "json:  " << from_json.dump() << "\nproto: " << from_proto["message"].dump();
}

TEST(OtlpExport, RejectsAnEndpointThatIsNotHttp) {
  EXPECT_THROW(OtlpHttpExporter exporter({.endpoint = "localhost:4318"}), lumen::Error);
  EXPECT_THROW(OtlpHttpExporter exporter({.endpoint = "grpc://collector:4317"}), lumen::Error);
}

// The usage example at the top of lumen/export/otlp_http_exporter.hpp, compiled.
TEST(OtlpExport, HeaderExampleCompilesAndRuns) {
  HttpReceiver receiver;
  auto exporter = std::make_shared<lumen::exporters::OtlpHttpExporter>(
      lumen::exporters::OtlpHttpExporterOptions{
          .endpoint = receiver.url("/v1/traces"),
          .headers = {{"authorization", "Bearer abc"}},
          .compression = lumen::exporters::OtlpCompression::kGzip,
      });
  {
    lumen::trace::TracerProvider provider({
        .processor = std::make_unique<lumen::trace::BatchSpanProcessor>(exporter),
    });
    provider.tracer("example").start("hello").end();
  }  // the provider's destructor flushes
  std::uint64_t lost = exporter->stats().spans_failed;
  EXPECT_EQ(lost, 0U);
  EXPECT_EQ(exporter->stats().spans_exported, 1U);
  EXPECT_EQ(receiver.requests().at(0).headers.at("authorization"), "Bearer abc");
}

}  // namespace
}  // namespace lumen::testing
